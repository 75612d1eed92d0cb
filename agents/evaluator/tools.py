"""The Evaluator's tools: `posttrain.tools.evaluation` bound to the run (reports under artifacts, scores in the ledger)."""

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from posttrain.agents.evaluator.report import DecodingReport, EvaluationReport
from posttrain.run.context import RunContext
from posttrain.run.events import ScoreReported
from posttrain.run.ledger import Score


def make_evaluator_tools(ctx: RunContext) -> list[Callable]:
    from posttrain.tools.evaluation import evaluate_model
    from posttrain.tools.evaluation.decoding import check_decoding as _check_decoding

    def evaluate_checkpoint(limit: Annotated[int | None, "evaluate only the first N items (None = all)"] = None
                            ) -> EvaluationReport:
        """Score this iteration's checkpoint on the goal's benchmark with per-item records, a Wilson 95% CI and how
        each wrong item failed (empty, cut, format miss, wrong), then run a paired test against the best model so
        far. In iteration 0 the base model is measured fairly: raw prompt vs chat template, greedy vs sampled, and the
        baseline is the better setting (the run then trains and serves in that prompt format). After an ablation,
        every arm is scored on the same items and paired with the control; the best arm is the iteration's result."""
        iteration = ctx.iteration
        if iteration.index > 0 and iteration.ablation is not None and len(iteration.ablation.arms) > 1:
            from posttrain.agents.evaluator.ablation import evaluate_arms

            return evaluate_arms(ctx, limit)
        if iteration.index == 0:
            return _measure_baseline(ctx, limit)
        model = ctx.model_to_evaluate()
        report = evaluate_model(model, ctx.benchmark, ctx.artifacts / "eval", limit=limit,
                                default_chat=ctx.ledger.chat_format, progress=ctx.progress_or_stop)
        score = Score(score=report.score, n=report.n, ci95=tuple(report.ci95), report=report.path,
                      checkpoint=model if iteration.index > 0 else None)
        versus = ctx.ledger.record_score(iteration, score)
        summary = f"Score {score.describe()}" + (f"; {versus.describe()}" if versus else "")
        summary += "." + _outcomes(report)
        best, _ = ctx.ledger.best()
        ctx.bus.publish(ScoreReported(iteration=iteration.index, score=report.score, ci95=tuple(report.ci95),
                                      n=report.n, best=best.score if best else report.score))
        return EvaluationReport(summary=summary, score=report.score, n=report.n, ci95=tuple(report.ci95),
                                report_path=report.path,
                                comparison=versus.comparison.model_dump() if versus else None,
                                outcomes=report.outcomes or None)

    def check_decoding(limit: Annotated[int | None, "check on the first N items (None = all)"] = None
                       ) -> DecodingReport:
        """Check decoding on this iteration's checkpoint: greedy vs sampled, with vs without the chat template.
        The better setting (kept only when it wins a paired test) is saved beside the checkpoint as
        generation_config.json and used for every later evaluation of it."""
        if ctx.iteration.index == 0:
            return _measure_baseline(ctx, limit).decoding
        model = ctx.model_to_evaluate()
        if not Path(model).resolve().is_relative_to(ctx.workspace.root.resolve()):
            from posttrain.tools.errors import ToolError

            raise ToolError(f"{model} is outside this run's directory; decoding is checked on the run's own "
                            "checkpoints, never written into a model cache")
        iteration = ctx.iteration
        check = _check_decoding(model, ctx.benchmark, ctx.artifacts / "decoding", limit=limit,
                                seed=ctx.config.seed, default_chat=ctx.ledger.chat_format,
                                known=iteration.evaluation.report if iteration.evaluation and limit is None else None,
                                progress=ctx.progress_or_stop)
        iteration.decoding = check.describe()
        chosen = next(c for c in check.candidates if c.name == check.chosen)
        if iteration.index > 0 and iteration.evaluation and chosen.name != check.candidates[0].name \
                and limit is None:
            # the checkpoint is used with the chosen decoding from now on, so that is its score
            ctx.ledger.record_score(iteration, Score(score=chosen.score, n=chosen.n, ci95=tuple(chosen.ci95),
                                                     report=chosen.report, checkpoint=model))
            best, _ = ctx.ledger.best()
            ctx.bus.publish(ScoreReported(iteration=iteration.index, score=chosen.score, ci95=tuple(chosen.ci95),
                                          n=chosen.n, best=best.score if best else chosen.score))
        return DecodingReport(summary=check.describe(), chosen=check.chosen, written=check.written)

    return [evaluate_checkpoint, check_decoding]


def _outcomes(report) -> str:
    failures = report.failures()
    return f" Outcomes: {failures.describe()}." if failures else ""


# The baseline's settings are compared on this many items (paired): enough to tell a format-level difference (tens of
# points: an empty raw completion against a sentence in the template) at p < 0.05; the chosen setting is then
# evaluated on every item, and that is the baseline.
BASELINE_CHECK_ITEMS = 100


def _measure_baseline(ctx: RunContext, limit: int | None) -> EvaluationReport:
    """The base model measured fairly: every decoding setting (raw vs chat template, greedy vs sampled) on the same
    items; the baseline is the chosen setting's score, and that setting is the run's prompt format from then on. The
    base model is never written to (it may be a shared cache): the choice is kept in the run."""
    from posttrain.tools.evaluation import evaluate_model
    from posttrain.tools.evaluation.backends import GenerationSettings
    from posttrain.tools.evaluation.decoding import check_decoding
    from posttrain.tools.evaluation.report import load_report

    n_items = len(ctx.benchmark.eval_items(limit=limit))
    subset = BASELINE_CHECK_ITEMS if n_items > BASELINE_CHECK_ITEMS else limit
    check = check_decoding(ctx.base_model_path, ctx.benchmark, ctx.artifacts / "decoding", limit=subset,
                           seed=ctx.config.seed, save_beside_model=False, progress=ctx.progress_or_stop)
    chosen = next(c for c in check.candidates if c.name == check.chosen)
    report = load_report(chosen.report)
    if subset != limit:  # the chosen setting on every item: that is the baseline
        settings = GenerationSettings(max_new_tokens=ctx.benchmark.answer_budget(bool(chosen.settings["chat"])),
                                      stop=list(ctx.benchmark.stop), seed=ctx.config.seed,
                                      temperature=float(chosen.settings["temperature"]),
                                      top_p=float(chosen.settings["top_p"]), chat=bool(chosen.settings["chat"]))
        report = evaluate_model(ctx.base_model_path, ctx.benchmark, ctx.artifacts / "eval", limit=limit,
                                settings=settings, progress=ctx.progress_or_stop)
        chosen = chosen.model_copy(update={"score": report.score, "n": report.n, "ci95": tuple(report.ci95),
                                           "report": report.path})
    ctx.ledger.base_decoding = {"chat_template": bool(chosen.settings["chat"]), "chosen": chosen.name,
                                "settings": chosen.settings, "scores": {c.name: c.score for c in check.candidates},
                                "reason": check.reason, "n": chosen.n, "eval_s": report.duration_s}
    ctx.iteration.decoding = check.describe()
    score = Score(score=chosen.score, n=chosen.n, ci95=tuple(chosen.ci95), report=chosen.report)
    ctx.ledger.baseline = score
    others = "; ".join(f"{c.name} {c.score:.3f}" for c in check.candidates if c.name != chosen.name)
    on = f" on the first {subset} items" if subset != limit else ""
    summary = (f"Baseline {score.describe()} with {chosen.name} decoding ({check.reason}{on}; also measured: "
               f"{others})."
               + _outcomes(report))
    ctx.bus.publish(ScoreReported(iteration=0, score=score.score, ci95=score.ci95, n=score.n, best=score.score))
    return EvaluationReport(summary=summary, score=score.score, n=score.n, ci95=score.ci95, report_path=score.report,
                            outcomes=report.outcomes or None,
                            decoding=DecodingReport(summary=check.describe(), chosen=check.chosen,
                                                    written=check.written))

