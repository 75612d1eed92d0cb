"""What a checkpoint was trained on: its chain of training runs back to the base model, read from disk.

`run_training` writes `OUT/spec.json` (the spec as it ran: init model, dataset, steps, lr, ...) beside
`OUT/checkpoint`, so a checkpoint's own folder says what trained it, and its `base_model` says where it started; a
checkpoint started from another checkpoint continues the chain. The contamination audit counts only the sets in
final_model's chain, so a dirty set that a clean retrain replaced no longer taints the hand-in.
"""

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Step:
    """One training run in a checkpoint's chain."""

    checkpoint: str
    init: str  # the model it started from (the base, or an earlier checkpoint)
    dataset: str  # the set its gradient saw (SFT rows, RFT samples, GRPO prompts)
    spec: dict


def training_step(checkpoint: str | Path) -> Step | None:
    """The training run that wrote `checkpoint`, or None (the base model, or a model from elsewhere)."""
    spec_path = Path(checkpoint).parent / "spec.json"
    if not spec_path.is_file():
        return None
    try:
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if not spec.get("dataset") or not spec.get("base_model"):
        return None
    return Step(checkpoint=str(checkpoint), init=str(spec["base_model"]), dataset=str(spec["dataset"]), spec=spec)


def chain(checkpoint: str | Path | None, limit: int = 100) -> list[Step]:
    """The training runs from the base model to `checkpoint`, oldest first ([] for the base model)."""
    steps: list[Step] = []
    current = str(checkpoint) if checkpoint else None
    while current and len(steps) < limit:
        step = training_step(current)
        if step is None:
            break
        steps.append(step)
        current = step.init if step.init != current else None
    return steps[::-1]


def used_sets(run_dir: str | Path, checkpoint: str | Path | None, base: str | Path | None = None) -> set[str] | None:
    """The run's training sets (relative paths) `checkpoint` was trained on: empty for the base model itself, None
    when its origin is unknown (then every set counts)."""
    if not checkpoint:
        return None
    steps = chain(checkpoint)
    if not steps:
        same = base is not None and Path(checkpoint).resolve() == Path(base).resolve()
        return set() if same else None
    root = Path(run_dir).resolve()
    found = set()
    for step in steps:
        path = Path(step.dataset).resolve()
        found.add(str(path.relative_to(root)) if path.is_relative_to(root) else str(path))
    return found
