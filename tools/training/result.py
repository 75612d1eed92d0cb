"""`TrainingResult`: what a finished (or failed, or cancelled) run hands back, and the summary numbers it carries.

    result = run_training(spec, "runs/x/sft", project="x", run_name="sft")
    result.summary["last_loss"], [f.kind for f in result.findings]
"""

import json
import math
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from posttrain.tools.methods import TrainerName
from posttrain.tools.training.diagnosis import Finding


class TrainingResult(BaseModel):
    """One run's outcome: status, checkpoint, full metrics history, summary numbers and diagnosis."""

    method: TrainerName = Field(description="The TRL trainer that ran (RFT runs as sft).")
    status: Literal["succeeded", "failed", "cancelled"] = Field(description="How the run ended.")
    checkpoint: str | None = Field(description="Exported model directory (from_pretrained-ready); None if none.")
    metrics: list[dict] = Field(description="Every logged row, in order (step, loss/reward/..., eval_score).")
    summary: dict[str, float] = Field(description="first_loss, last_loss, min_loss, steps, last_reward, "
                                                  "reward_std_last, tokens_per_s, last_eval_score, ... when logged.")
    findings: list[Finding] = Field(description="Diagnosis of the metrics and error, most severe first.")
    log_path: str = Field(description="The run's train.log (stdout/stderr of the training process).")
    duration_s: float = Field(description="Wall time of the whole run, start-up included.")
    error: str | None = Field(description="One-line error when status is failed or cancelled.")
    project: str = Field(description="Trackio project the run logged to.")
    run_name: str = Field(description="Trackio run name.")
    spec: dict = Field(default_factory=dict, description="The spec as it ran (steps, lr, batch size...), with the "
                       "device choices the worker made under 'resolved'.")
    planned_s: float | None = Field(None, description="Wall time the plan expected from the measured step cost.")

    def describe(self) -> str:
        """One line for the team: status, curve, still improving?, checkpoint or error, diagnosis."""
        s = self.summary
        curve = []
        if "first_loss" in s and "last_reward" not in s:  # an RL loss is not a fit to data
            curve.append(f"loss {s['first_loss']:.3f}→{s['last_loss']:.3f}")
        if "last_reward" in s:
            curve.append(f"reward {s['first_reward']:.2f}→{s['last_reward']:.2f}")
        if "late_improvement" in s:
            curve.append(f"late improvement {s['late_improvement']:.0%}")
        found = "; ".join(f"{f.kind}: {f.evidence} → {f.fix}" for f in self.findings) or "no findings"
        where = f"checkpoint {self.checkpoint}" if self.checkpoint else f"error: {self.error}"
        took = f"{self.duration_s:.0f} s" + (f" (planned {self.planned_s:.0f} s)" if self.planned_s else "")
        return (f"{self.method.upper()} {self.status} in {took}: {', '.join(curve) or 'no curve'}; "
                f"{where}; diagnosis: {found}")


def read_metrics_file(path: Path) -> list[dict]:
    """Rows of a metrics.jsonl; a half-written last line (the run was killed mid-write) is skipped."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def summarize(metrics: list[dict]) -> dict[str, float]:
    """Headline numbers from the metrics history; keys appear only when the run logged what they need."""
    def series(key: str) -> list[float]:
        return [v for v in (_number(r.get(key)) for r in metrics if key in r) if v is not None]

    summary: dict[str, float] = {}
    loss, reward, std, scores = series("loss"), series("reward"), series("reward_std"), series("eval_score")
    if loss:
        finite = [v for v in loss if math.isfinite(v)] or [math.nan]
        summary.update(first_loss=loss[0], last_loss=loss[-1], min_loss=min(finite))
    if reward:
        summary.update(first_reward=reward[0], last_reward=reward[-1], max_reward=max(reward))
    if std:
        summary["reward_std_last"] = std[-1]
    if scores:
        summary.update(first_eval_score=scores[0], last_eval_score=scores[-1], best_eval_score=max(scores))
    steps = [int(r["step"]) for r in metrics if "step" in r]
    summary["steps"] = float(max(steps, default=0))
    runtime, tokens = series("train_runtime"), series("num_tokens")
    if runtime and tokens and runtime[-1] > 0:
        summary["tokens_per_s"] = tokens[-1] / runtime[-1]
    if runtime:
        summary["train_runtime_s"] = runtime[-1]
    # "Still improving?" over the last third of the run: the reward rising (RL), else the loss falling, read only
    # where the learning rate was matched (diagnosis.matched_rate_losses): never from a decayed schedule's tail.
    if reward:
        summary["late_improvement"] = -late_drop(reward)
    elif loss:
        from posttrain.tools.training.diagnosis import matched_rate_losses

        summary["late_improvement"] = late_drop(matched_rate_losses(metrics))
    summary |= summarize_validation(metrics)
    return summary


def summarize_validation(metrics: list[dict]) -> dict[str, float]:
    """The validation split's numbers (`convergence.ValidationStop` rows): first/best/last loss and score, the step
    of the best (the exported weights), whether it stopped early, and whether the last validation was the best
    (val_improving: the run ended while validation still improved)."""
    rows = [r for r in metrics if "val_loss" in r]
    if not rows:
        return {}
    out: dict[str, float] = {}
    losses = [v for v in (_number(r["val_loss"]) for r in rows) if v is not None and math.isfinite(v)]
    if losses:
        out.update(first_val_loss=losses[0], best_val_loss=min(losses), last_val_loss=losses[-1])
    scores = [float(r["val_score"]) for r in rows if "val_score" in r]
    if scores:
        out.update(first_val_score=scores[0], best_val_score=max(scores), last_val_score=scores[-1])
    end = next((r for r in reversed(metrics) if "val_best_step" in r), None)
    if end is not None:
        out.update(val_best_step=float(end["val_best_step"]), val_stopped_early=float(bool(end["val_stopped_early"])))
    out["val_improving"] = float(bool(rows[-1].get("val_improved")) and not out.get("val_stopped_early"))
    out["validations"] = float(len(rows))
    return out


def late_drop(values: list[float]) -> float:
    """Relative fall of a curve over its last third versus the third before (positive = falling)."""
    if len(values) < 6:
        return 0.0
    third = len(values) // 3
    before = sum(values[-2 * third:-third]) / third
    late = sum(values[-third:]) / third
    return (before - late) / abs(before) if before else 0.0
