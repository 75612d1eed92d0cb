"""The Evaluator's tools: `posttrain.tools.evaluation` bound to the run (reports under artifacts, scores in the ledger)."""

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from posttrain.agents.evaluator.report import DecodingReport, EvaluationReport
from posttrain.run.context import RunContext
from posttrain.run.events import ScoreReported
from posttrain.run.ledger import Score, describe_comparison


def make_evaluator_tools(ctx: RunContext) -> list[Callable]:
    from posttrain.tools.evaluation import compare_reports, evaluate_model
    from posttrain.tools.evaluation.decoding import check_decoding as _check_decoding

    def evaluate_checkpoint(limit: Annotated[int | None, "evaluate only the first N items (None = all)"] = None
                            ) -> EvaluationReport:
        """Score this iteration's checkpoint (the base model in iteration 0) on the goal's benchmark with per-item
        records and a Wilson 95% CI, then run a paired test against the best model so far. After an ablation,
        every arm is scored on the same items and paired with the control; the best arm is the iteration's result."""
        iteration = ctx.iteration
        if iteration.index > 0 and iteration.ablation is not None and len(iteration.ablation.arms) > 1:
            from posttrain.agents.evaluator.ablation import evaluate_arms

            return evaluate_arms(ctx, limit)
        model = ctx.model_to_evaluate()
        previous_best, best_iteration = ctx.ledger.best()
        report = evaluate_model(model, ctx.benchmark, ctx.artifacts / "eval", limit=limit,
                                progress=ctx.progress_or_stop)
        score = Score(score=report.score, n=report.n, ci95=tuple(report.ci95), report=report.path,
                      checkpoint=model if iteration.index > 0 else None)
        comparison = None
        if iteration.index == 0:
            ctx.ledger.baseline = score
            summary = f"Baseline {score.describe()}."
        else:
            iteration.evaluation = score
            summary = f"Score {score.describe()}"
            if previous_best is not None:
                comparison = compare_reports(previous_best.report, report.path)
                iteration.comparison = comparison
                label = "baseline" if best_iteration == 0 else f"iteration {best_iteration}"
                summary += f"; vs best ({label}, {previous_best.score:.3f}): {describe_comparison(comparison)}"
            summary += "."
        best, _ = ctx.ledger.best()
        ctx.bus.publish(ScoreReported(iteration=iteration.index, score=report.score, ci95=tuple(report.ci95),
                                      n=report.n, best=best.score if best else report.score))
        return EvaluationReport(summary=summary, score=report.score, n=report.n, ci95=tuple(report.ci95),
                                report_path=report.path, comparison=comparison.model_dump() if comparison else None)

    def check_decoding(limit: Annotated[int | None, "check on the first N items (None = all)"] = None
                       ) -> DecodingReport:
        """Check decoding on this iteration's checkpoint: greedy vs sampled, with vs without the chat template.
        The better setting (kept only when it wins a paired test) is saved beside the checkpoint as
        generation_config.json and used for every later evaluation of it."""
        model = ctx.model_to_evaluate()
        if not Path(model).resolve().is_relative_to(ctx.workspace.root.resolve()):
            from posttrain.tools.errors import ToolError

            raise ToolError(f"{model} is outside this run's directory; decoding is checked on the run's own "
                            "checkpoints, never written into a model cache")
        iteration = ctx.iteration
        check = _check_decoding(model, ctx.benchmark, ctx.artifacts / "decoding", limit=limit,
                                seed=ctx.config.seed, progress=ctx.progress_or_stop)
        iteration.decoding = check.describe()
        chosen = next(c for c in check.candidates if c.name == check.chosen)
        if iteration.index > 0 and iteration.evaluation and chosen.name != check.candidates[0].name \
                and limit is None:
            # the checkpoint is used with the chosen decoding from now on, so that is its score
            iteration.evaluation = Score(score=chosen.score, n=chosen.n, ci95=tuple(chosen.ci95), report=chosen.report,
                                         checkpoint=model)
            previous = _previous_best(ctx)
            if previous is not None:
                iteration.comparison = compare_reports(previous.report, chosen.report)
            best, _ = ctx.ledger.best()
            ctx.bus.publish(ScoreReported(iteration=iteration.index, score=chosen.score, ci95=tuple(chosen.ci95),
                                          n=chosen.n, best=best.score if best else chosen.score))
        return DecodingReport(summary=check.describe(), chosen=check.chosen, written=check.written)

    return [evaluate_checkpoint, check_decoding]


def _previous_best(ctx: RunContext) -> Score | None:
    """The best score before this iteration (baseline included)."""
    best = ctx.ledger.baseline
    for it in ctx.ledger.iterations[:-1]:
        if it.evaluation and (best is None or it.evaluation.score > best.score):
            best = it.evaluation
    return best
