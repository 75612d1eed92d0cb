"""The Evaluator on an ablation: score every arm's checkpoint on the same items, pair each arm with the control
(McNemar exact p-value, paired-bootstrap CI of the difference), and make the best-scoring arm this iteration's result.

The table goes to the tool result (the transcript), the ledger (summary.json, the report) and the next debate.
"""

from posttrain.run.context import RunContext
from posttrain.run.events import ScoreReported
from posttrain.run.ledger import CONTROL, Score
from posttrain.run.run_summary import ArmSummary
from posttrain.tools.errors import ToolError


def evaluate_arms(ctx: RunContext, limit: int | None):
    from posttrain.agents.evaluator.report import EvaluationReport
    from posttrain.tools.evaluation import compare_reports, evaluate_model

    iteration = ctx.iteration
    ablation = iteration.ablation
    trained = [arm for arm in ablation.arms if arm.trained]
    if not trained:
        raise ToolError("no arm of this iteration's ablation trained a checkpoint; ask the Trainer to run "
                        "launch_training first")
    for arm in trained:
        if arm.evaluation is None:  # a resumed run keeps the arms already scored
            report = evaluate_model(arm.training.checkpoint, ctx.benchmark, ctx.artifacts / "eval" / arm.slug,
                                    limit=limit, progress=ctx.progress)
            arm.evaluation = Score(score=report.score, n=report.n, ci95=tuple(report.ci95), report=report.path,
                                   checkpoint=arm.training.checkpoint)
    control = ablation.control
    for arm in ablation.arms[1:]:
        if arm.evaluation and control.evaluation:
            arm.comparison = compare_reports(control.evaluation.report, arm.evaluation.report)
    winner = ablation.pick_winner()
    ablation.winner = winner.name
    iteration.training = winner.training
    if winner.name != CONTROL:  # the winning arm's settings are what this iteration's checkpoint was trained with
        iteration.plan = winner.plan.model_copy(update={
            "adopted_from": f"{winner.proposed_by} (ablation winner)",
            "rationale": f"{winner.plan.rationale.rstrip('.')}. Ablation: {ablation.verdict()}".lstrip(". ")})
    verdict = f"Ablation result: {ablation.verdict()}."
    if verdict not in iteration.decision:
        iteration.decision = f"{iteration.decision} {verdict}".strip()
    versus = ctx.ledger.record_score(iteration, winner.evaluation)
    summary = (f"{ablation.describe()}\nThis iteration's result: arm {winner.name}, "
               f"score {winner.evaluation.describe()}" + (f"; {versus.describe()}" if versus else ""))
    overall, _ = ctx.ledger.best()
    ctx.bus.publish(ScoreReported(iteration=iteration.index, score=winner.evaluation.score,
                                  ci95=tuple(winner.evaluation.ci95), n=winner.evaluation.n,
                                  best=overall.score if overall else winner.evaluation.score))
    table = [ArmSummary.of(arm, control.plan).model_dump(mode="json") for arm in ablation.arms]
    return EvaluationReport(summary=summary + ".", score=winner.evaluation.score, n=winner.evaluation.n,
                            ci95=tuple(winner.evaluation.ci95), report_path=winner.evaluation.report,
                            comparison=iteration.comparison.model_dump() if iteration.comparison else None,
                            ablation=table)
