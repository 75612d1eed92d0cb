"""The Evaluator's tools: `posttrain.tools.evaluation` bound to the run (reports under artifacts, scores in the ledger)."""

from collections.abc import Callable
from typing import Annotated

from pydantic import BaseModel, Field

from posttrain.orchestrator.context import RunContext
from posttrain.orchestrator.events import ScoreReported
from posttrain.orchestrator.ledger import Score


class EvaluationReport(BaseModel):
    summary: str = Field(description="One line for the team: score, CI, paired test against the best so far.")
    score: float
    n: int
    ci95: tuple[float, float]
    report_path: str
    comparison: dict | None = Field(None, description="Paired test against the previous best (None for the baseline).")


def make_evaluator_tools(ctx: RunContext) -> list[Callable]:
    from posttrain.tools.evaluation import compare_reports, evaluate_model

    def evaluate_checkpoint(limit: Annotated[int | None, "evaluate only the first N items (None = all)"] = None
                            ) -> EvaluationReport:
        """Score this iteration's checkpoint (the base model in iteration 0) on the goal's benchmark with per-item
        records and a Wilson 95% CI, then run a paired test against the best model so far."""
        iteration = ctx.iteration
        model = ctx.model_to_evaluate()
        previous_best, best_iteration = ctx.ledger.best()
        report = evaluate_model(model, ctx.config.benchmark, ctx.artifacts / "eval", limit=limit, progress=ctx.progress)
        score = Score(score=report.score, n=report.n, ci95=tuple(report.ci95), report=report.path,
                      checkpoint=model if iteration.index > 0 else None)
        comparison = None
        if iteration.index == 0:
            ctx.ledger.baseline = score
            summary = f"Baseline {report.score:.3f} (n={report.n}, 95% CI {report.ci95[0]:.3f}–{report.ci95[1]:.3f})."
        else:
            iteration.evaluation = score
            summary = f"Score {report.score:.3f} (n={report.n}, 95% CI {report.ci95[0]:.3f}–{report.ci95[1]:.3f})"
            if previous_best is not None:
                comparison = compare_reports(previous_best.report, report.path).model_dump()
                iteration.comparison = comparison
                label = "baseline" if best_iteration == 0 else f"iteration {best_iteration}"
                summary += (f"; vs best ({label}, {previous_best.score:.3f}): Δ {comparison['diff']:+.3f}, "
                            f"95% CI {comparison['ci95'][0]:+.3f}…{comparison['ci95'][1]:+.3f}, "
                            f"p={comparison['p_value']:.3g} ({comparison['method']}) — "
                            f"{'significant' if comparison['significant'] else 'not significant'} at 0.05")
            summary += "."
        best, _ = ctx.ledger.best()
        ctx.bus.publish(ScoreReported(iteration=iteration.index, score=report.score, ci95=tuple(report.ci95),
                                      n=report.n, best=best.score if best else report.score))
        return EvaluationReport(summary=summary, score=report.score, n=report.n, ci95=tuple(report.ci95),
                                report_path=report.path, comparison=comparison)

    return [evaluate_checkpoint]
