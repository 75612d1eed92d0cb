"""One line per progress task, as TRL and accelerate users expect, shared by the live console and `posttrain status`:

    train sft  step 200/1500 · 1.3 it/s · ETA 16:40 · loss 1.53

Rate and ETA come from the progress events' own timestamps (`Progress.at`), so a second process reading
`events.jsonl` computes the same numbers the console shows. Only a few key metrics go on the line; every logged
metric stays in the training run's metrics.jsonl and Trackio.
"""

from dataclasses import dataclass, field
from typing import Any

from posttrain.run.events import Progress
from posttrain.tools.durations import clock


KEY_METRICS = ("loss", "reward", "kl", "source")
"""Shown on the line, in this order, when present (TRL's `train_loss` stands in for `loss` on the last row)."""
STEP_TASK_PREFIXES = ("train",)
"""Tasks counted in optimizer steps; the others count items."""


@dataclass
class TaskProgress:
    """One pass of one progress task (a task that starts again from a lower count is a new pass)."""

    iteration: int
    task: str
    completed: float
    total: float | None
    first_at: float
    first_completed: float
    last_at: float
    metrics: dict[str, Any] = field(default_factory=dict)
    """Every info value seen in this pass, latest wins: the last row of a training run carries `train_loss` but no
    `loss`, and the line keeps showing the last loss."""

    @classmethod
    def start(cls, event: Progress) -> "TaskProgress":
        return cls(iteration=event.iteration, task=event.task, completed=event.completed, total=event.total,
                   first_at=event.at, first_completed=event.completed, last_at=event.at, metrics=dict(event.info))

    def continues_with(self, event: Progress) -> bool:
        """Whether `event` belongs to this pass (same task, count not going back, not finished already)."""
        return (event.iteration, event.task) == (self.iteration, self.task) and not self.done \
            and event.completed >= self.completed

    def update(self, event: Progress) -> None:
        self.completed, self.total, self.last_at = event.completed, event.total, event.at
        self.metrics.update(event.info)

    @property
    def done(self) -> bool:
        return self.total is not None and self.completed >= self.total

    @property
    def counts_steps(self) -> bool:
        return self.task.startswith(STEP_TASK_PREFIXES)

    def rate(self) -> float | None:
        """Units per second between the first and the last event of this pass; None before two events apart."""
        span, moved = self.last_at - self.first_at, self.completed - self.first_completed
        if span <= 0 or moved <= 0:
            return None
        return moved / span

    def eta_s(self, now: float | None = None) -> float | None:
        """Seconds left at the current rate, counted down from the last event when `now` is given."""
        rate = self.rate()
        if rate is None or self.total is None:
            return None
        left = (self.total - self.completed) / rate
        if now is not None:
            left -= max(0.0, now - self.last_at)
        return max(0.0, left)

    def duration_s(self) -> float:
        runtime = self.metrics.get("train_runtime")  # the trainer's own clock includes the steps before the 1st row
        return float(runtime) if isinstance(runtime, int | float) and self.done else self.last_at - self.first_at

    # -- text ---------------------------------------------------------------------------------------------------
    def count_text(self) -> str:
        count = _number(self.completed) + (f"/{_number(self.total)}" if self.total is not None else "")
        return f"step {count}" if self.counts_steps else count

    def line(self, now: float | None = None, label: str | None = None) -> str:
        """`train sft  step 200/1500 · 1.3 it/s · ETA 16:40 · loss 1.53` (label replaces the task name)."""
        return f"{label or self.task}  {self.stats(now)}"

    def stats(self, now: float | None = None) -> str:
        """The line without the task name: `step 200/1500 · 1.3 it/s · ETA 16:40 · loss 1.53`."""
        parts = [self.count_text()]
        rate = self.rate()
        if rate is not None:
            parts.append(rate_text(rate))
            eta = self.eta_s(now)
            if eta is not None and not self.done:
                parts.append(f"ETA {clock(eta)}")
        parts += metric_texts(self.metrics)
        return " · ".join(parts)

    def summary(self, label: str | None = None) -> str:
        """The collapsed line of a finished (or abandoned) pass: `train sft  94/94 steps in 1:20 · 1.2 it/s · …`."""
        unit = " steps" if self.counts_steps else ""
        total = f"/{_number(self.total)}" if self.total is not None else ""
        took = clock(self.duration_s())
        if self.done:
            head = f"{label or self.task}  {_number(self.completed)}{total}{unit} in {took}"
        else:
            head = f"{label or self.task}  stopped at {self.count_text()} after {took}"
        rate = self.rate()
        return " · ".join([head, *([rate_text(rate)] if rate else []), *metric_texts(self.metrics)])


class ProgressTracker:
    """Folds a stream of `Progress` events into the passes they describe (the console and `status` both use it)."""

    def __init__(self) -> None:
        self.active: dict[tuple[int, str], TaskProgress] = {}

    def feed(self, event: Progress) -> tuple[TaskProgress, TaskProgress | None]:
        """Apply one event; returns (its pass, the pass it replaced when the task started over, else None)."""
        key = (event.iteration, event.task)
        current = self.active.get(key)
        if current is not None and current.continues_with(event):
            current.update(event)
            return current, None
        self.active[key] = TaskProgress.start(event)
        return self.active[key], current

    def finish(self, key: tuple[int, str]) -> TaskProgress | None:
        return self.active.pop(key, None)


def metric_texts(metrics: dict[str, Any]) -> list[str]:
    shown = []
    values = dict(metrics)
    if "loss" not in values and isinstance(values.get("train_loss"), int | float):
        values["loss"] = values["train_loss"]
    for key in KEY_METRICS:
        value = values.get(key)
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float):
            shown.append(f"{key} {value:.3g}")
        elif isinstance(value, str) and value:
            shown.append(f"{key} {value if len(value) <= 32 else value[:31] + '…'}")
    return shown


def rate_text(rate: float) -> str:
    """`1.3 it/s`, `214 it/s`, or `12.5 s/it` for slow steps (as tqdm does)."""
    if rate < 0.1:
        return f"{1 / rate:.1f} s/it"
    return f"{rate:.1f} it/s" if rate < 10 else f"{rate:.0f} it/s"


def _number(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"
