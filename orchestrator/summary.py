"""summary.json: the run's result at a glance, rebuilt from the ledger after every iteration."""

from posttrain.run.context import RunContext
from posttrain.run.ledger import Ablation


def build_summary(ctx: RunContext, status: str, reason: str | None = None) -> dict:
    ledger, cfg = ctx.ledger, ctx.config
    best, where = ledger.best()
    iterations = []
    for it in ledger.iterations:
        scores = {cfg.benchmark: it.evaluation.score} if it.evaluation else {}
        if it.index == 0 and ledger.baseline:
            scores = {cfg.benchmark: ledger.baseline.score}
        t = it.training
        iterations.append({
            "index": it.index,
            "phase": it.phase,
            "plan": it.plan.model_dump() if it.plan else None,
            "decision": it.decision,
            "dissent": it.dissent,
            "scores": scores,
            "ci95": list(it.evaluation.ci95) if it.evaluation else None,
            "comparison": it.comparison.model_dump() if it.comparison else None,
            "data": {"search": it.data_search, "dataset": it.dataset.describe() if it.dataset else None,
                     "path": it.dataset.path if it.dataset else None,
                     "label_accuracy": it.dataset.label_accuracy if it.dataset else None,
                     "contamination_dropped": it.dataset.contamination.dropped if it.dataset else None},
            "training": {"method": t.method, "status": t.status, "checkpoint": t.checkpoint, "error": t.error,
                         "steps": t.summary.get("steps")} if t else None,
            "findings": [f"{f.kind}: {f.evidence}" for f in t.findings] if t else [],
            "decoding": it.decoding,
            "blocked": it.blocked,
            "techniques": it.techniques,
            "ablation": ablation_summary(it.ablation) if it.ablation else None,
            "duration_s": round(it.duration_s, 2),
        })
    objective = cfg.objective.model_dump() if getattr(cfg, "objective", None) else None
    from posttrain.run.usage import run_usage_summary
    return {
        "goal": cfg.goal,
        "status": status,
        "reason": reason,
        "objective": objective,
        "benchmark": cfg.benchmark,
        "base_model": cfg.base_model,
        "brain": cfg.brain,
        "target": cfg.target,
        "train_data": cfg.train_data,
        "baseline": {"score": ledger.baseline.score, "n": ledger.baseline.n, "ci95": list(ledger.baseline.ci95)}
        if ledger.baseline else None,
        "best": {"score": best.score, "iteration": where, "checkpoint": ledger.best_checkpoint()} if best else None,
        "elapsed_s": round(ctx.elapsed_s(), 1),
        "brain_usage": run_usage_summary(ledger.brain_usage, cfg),
        "steering": [{"iteration": it.index, "text": text} for it in ledger.iterations for text in it.steering],
        "iterations": iterations,
    }


def ablation_summary(ablation: Ablation) -> dict:
    """The ablation table: per arm its change vs the control, run, score, CI and paired test vs the control."""
    control = ablation.control.plan
    arms = []
    for arm in ablation.arms:
        t, ev, c = arm.training, arm.evaluation, arm.comparison
        arms.append({
            "arm": arm.name, "proposed_by": arm.proposed_by, "changes": arm.changes,
            "change": arm.change_text(control),
            "status": t.status if t else "not run", "checkpoint": t.checkpoint if t else None,
            "trackio_run": f"{t.project}/{t.run_name}" if t else None, "steps": t.summary.get("steps") if t else None,
            "started_at": arm.started_at, "finished_at": arm.finished_at,
            "score": ev.score if ev else None, "n": ev.n if ev else None, "ci95": list(ev.ci95) if ev else None,
            "vs_control": {"diff": c.diff, "ci95": list(c.ci95), "p_value": c.p_value, "significant": c.significant,
                           "method": c.method} if c else None,
        })
    return {"resources": ablation.resources, "winner": ablation.winner, "arms": arms,
            "table": ablation.describe().splitlines()}
