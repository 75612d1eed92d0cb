"""The run context: what tools bound to a run need (workspace, config, ledger, event bus, cancellation, clock).

Agents' tool wrappers close over one `RunContext`; plug-ins read the run through `current_run()`.
"""

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posttrain.run.config import RunConfig
from posttrain.run.events import EventBus, Progress
from posttrain.run.ledger import IterationRecord, Ledger
from posttrain.run.workspace import RunWorkspace


@dataclass
class RunContext:
    config: RunConfig
    workspace: RunWorkspace
    ledger: Ledger
    bus: EventBus
    base_model_path: str
    started_at: float = field(default_factory=time.time)
    elapsed_before: float = 0.0
    """Seconds already spent by earlier processes of this run (resume keeps the budget honest)."""
    cancel: threading.Event = field(default_factory=threading.Event)
    benchmark: Any = None
    """The goal's benchmark, parsed once per run from `config.benchmark` (a `posttrain.tools.evaluation.Benchmark`)."""

    def __post_init__(self) -> None:
        if self.benchmark is None:
            from posttrain.tools.evaluation import get_benchmark

            self.benchmark = get_benchmark(self.config.benchmark)

    @property
    def iteration(self) -> IterationRecord:
        return self.ledger.current

    @property
    def artifacts(self) -> Path:
        return self.workspace.artifacts(self.iteration.index)

    def elapsed_s(self) -> float:
        return self.elapsed_before + time.time() - self.started_at

    def remaining_s(self) -> float | None:
        budget = self.config.time_budget_s
        return None if budget is None else max(0.0, budget - self.elapsed_s())

    def progress(self, task: str, completed: float, total: float | None = None, **info: Any) -> None:
        """A `ProgressFn` that publishes on the event bus (the console draws the bar)."""
        self.bus.publish(Progress(iteration=self.iteration.index, task=task, completed=completed, total=total, info=info))

    def progress_or_stop(self, task: str, completed: float, total: float | None = None, **info: Any) -> None:
        """`progress` for tools with no cancel of their own (evaluation, data building, sampling): once the user asks
        the run to stop, the tool ends at its next tick instead of holding the exit until it finishes."""
        from posttrain.tools.errors import Stopped

        if self.cancel.is_set():
            raise Stopped(f"stopped during '{task}' at {completed:g}/{total if total is not None else '?'}: "
                          "the run is stopping; resume redoes this step")
        self.progress(task, completed, total, **info)

    def model_for_next_training(self, init_from: str) -> str:
        """The checkpoint a training run starts from: base, best-scoring, or latest trained (falls back to base)."""
        chosen = {"best": self.ledger.best_checkpoint, "latest": self.ledger.latest_checkpoint}.get(init_from)
        return (chosen() if chosen else None) or self.base_model_path

    def model_to_evaluate(self) -> str:
        """The checkpoint this iteration produced, else the base model (iteration 0)."""
        training = self.iteration.training
        return (training.checkpoint if training else None) or self.base_model_path


_current: RunContext | None = None


def set_current_run(ctx: RunContext | None) -> None:
    """Make `ctx` the run in progress (None: it ended); the query guard records its refusals in the run's folder."""
    from posttrain.tools import query_guard

    global _current
    _current = ctx
    query_guard.set_run_dir(ctx.workspace.root if ctx is not None else None)


def current_run() -> RunContext:
    """The run in progress, for plug-in tools that need to read the ledger. Raises outside a run."""
    from posttrain.tools.errors import ToolError

    if _current is None:
        raise ToolError("no posttrain run is in progress; this tool only works inside `posttrain run`")
    return _current
