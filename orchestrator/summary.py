"""summary.json: the run's result at a glance, rebuilt from the ledger after every iteration."""

from posttrain.run.context import RunContext


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
            "duration_s": round(it.duration_s, 2),
        })
    objective = cfg.objective.model_dump() if getattr(cfg, "objective", None) else None
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
        "iterations": iterations,
    }
