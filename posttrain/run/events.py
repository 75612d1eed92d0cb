"""The run's one event stream. The console, the transcript and the summary all subscribe to it.

Two kinds of items travel on it: AgentChat messages/events (wrapped in `AgentMessage` with the iteration and phase)
and posttrain's own run events below. Publishing is thread-safe because tools (training, evaluation) report
progress from worker threads.
"""

import threading
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field


class _Event(BaseModel):
    at: float = Field(default_factory=time.time, description="Unix time the event happened.")


class RunStarted(_Event):
    type: Literal["run_started"] = "run_started"
    goal: str
    run_dir: str
    brain: str
    benchmark: str
    base_model: str
    resumed: bool = False
    reading: str = Field("", description="The objective as read from the goal, printed before anything runs.")


class IterationStarted(_Event):
    type: Literal["iteration_started"] = "iteration_started"
    iteration: int
    phase: Literal["debate", "work"]


class Progress(_Event):
    type: Literal["progress"] = "progress"
    iteration: int
    task: str
    completed: float
    total: float | None = None
    info: dict[str, Any] = Field(default_factory=dict)


class ScoreReported(_Event):
    type: Literal["score"] = "score"
    iteration: int
    score: float
    ci95: tuple[float, float]
    n: int
    best: float


class IterationFinished(_Event):
    type: Literal["iteration_finished"] = "iteration_finished"
    iteration: int
    duration_s: float


class RunFinished(_Event):
    type: Literal["run_finished"] = "run_finished"
    status: str
    baseline: float | None
    best: float | None
    best_iteration: int | None
    best_checkpoint: str | None
    run_dir: str
    reason: str | None = Field(None, description="Why the run stopped, in one line (failed, blocked, budget).")
    brain_usage: str | None = Field(None, description="The brain's tokens (and cost) for the whole run, one line.")


class Notice(_Event):
    type: Literal["notice"] = "notice"
    level: Literal["info", "warning", "error"] = "info"
    text: str


RunEvent = Annotated[
    RunStarted | IterationStarted | Progress | ScoreReported | IterationFinished | RunFinished | Notice,
    Field(discriminator="type"),
]


class AgentMessage(BaseModel):
    """An AgentChat message or event, tagged with where in the run it happened."""

    type: Literal["agent_message"] = "agent_message"
    iteration: int
    phase: Literal["debate", "work"]
    message: Any = Field(description="The autogen BaseChatMessage / BaseAgentEvent itself.")

    model_config = {"arbitrary_types_allowed": True}


Subscriber = Callable[[Any], None]


class EventBus:
    """Synchronous, ordered fan-out to subscribers (console, transcript, summary)."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.RLock()

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def publish(self, item: Any) -> None:
        with self._lock:
            for subscriber in self._subscribers:
                subscriber(item)
