"""summary.json: the run's result at a glance, rebuilt from the ledger after every iteration."""

from posttrain.orchestrator.context import RunContext


def build_summary(ctx: RunContext, status: str) -> dict:
    ledger, cfg = ctx.ledger, ctx.config
    best, where = ledger.best()
    iterations = []
    for it in ledger.iterations:
        scores = {cfg.benchmark: it.evaluation.score} if it.evaluation else {}
        if it.index == 0 and ledger.baseline:
            scores = {cfg.benchmark: ledger.baseline.score}
        iterations.append({
            "index": it.index,
            "phase": it.phase,
            "plan": it.plan.model_dump() if it.plan else None,
            "decision": it.decision,
            "dissent": it.dissent,
            "scores": scores,
            "ci95": list(it.evaluation.ci95) if it.evaluation else None,
            "comparison": it.comparison,
            "training": {k: (it.training or {}).get(k) for k in ("method", "status", "checkpoint", "error")}
            if it.training else None,
            "findings": [f"{f['kind']}: {f['evidence']}" for f in (it.training or {}).get("findings", [])],
            "techniques": it.techniques,
            "duration_s": round(it.duration_s, 2),
        })
    return {
        "goal": cfg.goal,
        "status": status,
        "benchmark": cfg.benchmark,
        "base_model": cfg.base_model,
        "brain": cfg.brain,
        "target": cfg.target,
        "baseline": {"score": ledger.baseline.score, "n": ledger.baseline.n, "ci95": list(ledger.baseline.ci95)}
        if ledger.baseline else None,
        "best": {"score": best.score, "iteration": where, "checkpoint": ledger.best_checkpoint()} if best else None,
        "elapsed_s": round(ctx.elapsed_s(), 1),
        "iterations": iterations,
    }
