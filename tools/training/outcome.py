"""What a trainer hands back to the launcher, and the callbacks both trainers add.

    callbacks, budget = standard_callbacks(spec, out_dir, tokenizer)
"""

from pathlib import Path

from pydantic import BaseModel, Field

from posttrain.tools.training.base_config import RunSpec


METRICS_FILE = "metrics.jsonl"


class TrainOutcome(BaseModel):
    """Result of a trainer that returned normally."""

    checkpoint: str = Field(description="Directory of the exported checkpoint.")
    stopped_by_budget: bool = Field(False, description="True when the time budget ended training early.")


def standard_callbacks(spec: RunSpec, out_dir: Path, tokenizer):
    """Metrics stream, time budget (when set) and in-training eval (when set); returns (callbacks, budget or None)."""
    from posttrain.tools.training.callbacks import GreedyEval, MetricsStream, TimeBudget

    stream = MetricsStream(out_dir / METRICS_FILE)
    callbacks = [stream]
    budget = TimeBudget(spec.time_budget_s) if spec.time_budget_s else None
    if budget:
        callbacks.append(budget)
    if spec.eval_benchmark and spec.eval_every:
        callbacks.append(GreedyEval(spec.eval_benchmark, tokenizer, stream, spec.eval_every, spec.eval_limit))
    return callbacks, budget
