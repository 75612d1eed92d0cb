"""What a trainer hands back to the launcher, the callbacks both trainers add, and what every run records.

    callbacks, budget = standard_callbacks(spec, out_dir, tokenizer)
    record_resolved(out_dir, resolved)      # the device choices, into out_dir/spec.json
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from posttrain.tools.training.base_config import LoraSpec, RunSpec


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


@dataclass
class PreparedRun:
    """A built trainer and what goes with it, before `trainer.train()`."""

    trainer: Any
    tokenizer: Any
    budget: Any  # TimeBudget or None
    resolved: Any  # fast_defaults.Resolved

    @property
    def stopped_by_budget(self) -> bool:
        return self.budget is not None and self.budget.exhausted


def adapter_for(spec: RunSpec, resolved) -> LoraSpec | None:
    """The spec's own LoRA adapter, else the default one where the device choices call for LoRA, else None."""
    return spec.lora or (LoraSpec() if resolved.lora else None)


def train_and_save(run: PreparedRun, out_dir: Path) -> TrainOutcome:
    """Train a prepared run, export out_dir/checkpoint, and say whether the time budget ended it."""
    run.trainer.train()
    checkpoint = save_final(run, out_dir / "checkpoint")
    return TrainOutcome(checkpoint=str(checkpoint), stopped_by_budget=run.stopped_by_budget)


def is_main_process() -> bool:
    """Rank 0 of a multi-worker run (torch.distributed's RANK, set by Ray Train), or a single-process run."""
    return int(os.environ.get("RANK", "0")) == 0


def record_resolved(out_dir: Path, resolved) -> None:
    """Add the device choices to out_dir/spec.json (key "resolved", with a reason per setting); rank 0 only."""
    if not is_main_process():
        return
    path = Path(out_dir) / "spec.json"
    try:
        spec = json.loads(path.read_text())
    except (OSError, ValueError):  # a trainer called directly, without the launcher's spec.json
        spec = {}
    spec["resolved"] = resolved.model_dump(mode="json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(spec, indent=2))


def save_final(run: PreparedRun, checkpoint: Path) -> Path:
    """Export the final model: rank 0 alone for one process or DDP; every rank takes part under FSDP (the full
    weights are gathered from the shards), rank 0 writing."""
    from posttrain.tools.training.export import export_checkpoint

    if run.resolved.fsdp:
        run.trainer.save_model(str(checkpoint))  # collective: gathers the full state dict onto rank 0
        if is_main_process():
            run.tokenizer.save_pretrained(checkpoint)
    elif is_main_process():
        export_checkpoint(run.trainer.model, run.tokenizer, checkpoint)
    return checkpoint
