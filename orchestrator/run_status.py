"""`posttrain status RUN` read from the run's files, so it works from a second process while the run is going.

`events.jsonl` gives the phase, the iteration, the progress of the task in flight (step/total, and rate and ETA from
the progress events' own timestamps, as the live console computes them) and the scores; `state.json` and
`summary.json` give the status at the last checkpoint, the best result and the time used.
"""

import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from posttrain.orchestrator.progress_line import ProgressTracker, TaskProgress
from posttrain.run import events as ev
from posttrain.run.liveness import still_running
from posttrain.run.run_summary import RunSummary, read_summary
from posttrain.run.runfile import TornFile
from posttrain.run.state import RunState, read_state


STALE_S = 300.0
"""A run still marked running with no event for this long may have been killed; status says how to resume it."""


class TaskLine(BaseModel):
    iteration: int
    task: str
    completed: float
    total: float | None
    rate_per_s: float | None
    eta_s: float | None = Field(description="Seconds left at the current rate, counted from now.")
    line: str = Field(description="`train sft  step 200/1500 · 1.3 it/s · ETA 16:40 · loss 1.53`")


class ScoreLine(BaseModel):
    iteration: int
    score: float
    ci95: tuple[float, float]
    n: int
    best: float


class RunStatus(BaseModel):
    """What `posttrain status` shows, and prints with --json."""

    run: str
    path: str
    status: str = Field(description="running, goal_met, max_iterations, stopped, blocked, failed, … (unknown before "
                                    "the first checkpoint)")
    reason: str | None = None
    goal: str = ""
    brain: str = ""
    benchmark: str = ""
    base_model: str = ""
    iteration: int | None = None
    phase: str | None = Field(None, description="baseline, debate or work")
    elapsed_s: float | None = None
    last_event_s_ago: float | None = None
    progress: list[TaskLine] = Field(default_factory=list, description="Tasks in flight, outermost first.")
    scores: list[ScoreLine] = Field(default_factory=list)
    baseline: float | None = None
    best: float | None = None
    best_iteration: int | None = None
    best_checkpoint: str | None = None
    note: str | None = Field(None, description="A hint, e.g. how to continue a run that looks stopped.")
    brain_usage: dict | None = Field(None, description="The brain's tokens per agent, iteration and run (live).")
    brain_line: str | None = Field(None, description="The brain's tokens and cost, one line.")
    steering: list[str] = Field(default_factory=list, description="What the person said (`posttrain steer`).")
    steering_pending: int = Field(0, description="Messages not yet heard by a debate.")


_EVENT = TypeAdapter(ev.RunEvent)


def read_events(path: Path) -> list[Any]:
    """The run's events in order; a torn last line (the run is writing it now) or an unknown line is skipped."""
    if not path.exists():
        return []
    items = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.endswith("\n"):
                break
            try:
                items.append(_EVENT.validate_json(line))
            except ValidationError:
                continue
    return items


def _read_run_files(run_dir: Path) -> tuple[RunState | None, RunSummary]:
    """The last checkpoint's state and summary. A file replaced mid-read (a filesystem without atomic rename) reads
    as absent: the events still tell the status. A file from a newer posttrain is refused (ConfigError, exit 2)."""
    try:
        state = read_state(run_dir / "state.json")
    except TornFile:
        state = None
    try:
        summary = read_summary(run_dir / "summary.json")
    except TornFile:
        summary = None
    return state, summary or RunSummary()


def run_status(run_dir: Path, now: float | None = None) -> RunStatus:
    now = time.time() if now is None else now
    events = read_events(run_dir / "events.jsonl")
    state, summary = _read_run_files(run_dir)
    config = state.config if state else None
    status = RunStatus(run=run_dir.resolve().name, path=str(run_dir), status=state.status if state else "unknown",
                       reason=state.reason if state else None, goal=config.goal if config else summary.goal,
                       brain=config.brain if config else summary.brain,
                       benchmark=config.benchmark if config else summary.benchmark,
                       base_model=config.base_model if config else summary.base_model)
    tracker, finished, session_start, spent_before, last_at = ProgressTracker(), None, None, 0.0, 0.0
    for item in events:
        if isinstance(item, ev.RunStarted):
            if session_start is not None:  # an earlier process of this run (before a resume): count its span
                spent_before += max(0.0, last_at - session_start)
            session_start, finished, tracker = item.at, None, ProgressTracker()
            status.brain = item.brain  # the label it ran with ("offline playbook (rule-based, no LLM)")
        elif isinstance(item, ev.IterationStarted):
            status.iteration = item.iteration
            status.phase = "baseline" if item.iteration == 0 else item.phase
            tracker = ProgressTracker()  # what ran in an earlier phase is over
        elif isinstance(item, ev.Progress):
            tracker.feed(item)
        elif isinstance(item, ev.ScoreReported):
            status.scores.append(ScoreLine(iteration=item.iteration, score=item.score, ci95=item.ci95, n=item.n,
                                           best=item.best))
        elif isinstance(item, ev.IterationFinished):
            tracker = ProgressTracker()
        elif isinstance(item, ev.RunFinished):
            finished = item
        last_at = item.at
    if events:
        status.last_event_s_ago = max(0.0, now - events[-1].at)
    if finished is not None:
        status.status = finished.status
    else:
        status.progress = [_task_line(p, now) for p in tracker.active.values() if not p.done]
    _results(status, summary, finished)
    if finished is not None or not events:
        status.elapsed_s = summary.elapsed_s or (state.elapsed_s if state else None)
    elif session_start is not None:
        status.elapsed_s = spent_before + max(0.0, now - session_start)
    alive = still_running(state.process if state else None) if status.status == "running" and finished is None else None
    if alive is False:  # marked running, but the process that ran it is gone (kill -9, a crash, a reboot)
        status.status = "interrupted"
        status.note = f"its process is gone: continue with `posttrain resume {status.run}`"
    elif status.status == "running" and finished is None and (status.last_event_s_ago or 0) > STALE_S:
        status.note = (f"no event for {status.last_event_s_ago / 60:.0f} min: if its process is gone, continue "
                       f"with `posttrain resume {status.run}`")
    elif status.status in ("stopped", "failed"):
        status.note = f"continue with `posttrain resume {status.run}`"
    elif status.status == "blocked":
        status.note = f"continue with `posttrain resume {status.run} --train-data PATH|HUB_ID`"
    elif status.status == "budget":
        status.note = f"continue with `posttrain resume {status.run} --brain-budget LARGER`"
    _brain_and_steering(status, run_dir, summary, state)
    return status


def _brain_and_steering(status: RunStatus, run_dir: Path, summary: RunSummary, state: RunState | None) -> None:
    """The brain's usage (live from brain_usage.json, else the last summary) and the steering messages."""
    from posttrain.run.steering import read_messages
    from posttrain.run.usage import usage_line

    usage = _live_usage(run_dir / "brain_usage.json") or summary.brain_usage
    if usage:
        status.brain_usage, status.brain_line = usage, usage_line(usage)
    said = read_messages(run_dir)
    status.steering = [m["text"] for m in said]
    status.steering_pending = max(0, len(said) - (state.ledger.steering_read if state else 0))


def _live_usage(path: Path) -> dict | None:
    """brain_usage.json, which the brain's meter rewrites as it goes (not a versioned run file)."""
    import json

    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def _task_line(state: TaskProgress, now: float) -> TaskLine:
    return TaskLine(iteration=state.iteration, task=state.task, completed=state.completed, total=state.total,
                    rate_per_s=state.rate(), eta_s=state.eta_s(now), line=state.line(now=now))


def _results(status: RunStatus, summary: RunSummary, finished) -> None:
    status.baseline = summary.baseline.score if summary.baseline else None
    if summary.best:
        status.best, status.best_iteration = summary.best.score, summary.best.iteration
        status.best_checkpoint = summary.best.checkpoint
    if finished is not None:
        status.best = finished.best if finished.best is not None else status.best
        status.best_iteration = finished.best_iteration if finished.best is not None else status.best_iteration
        status.best_checkpoint = finished.best_checkpoint or status.best_checkpoint
    elif status.scores:  # scores reported since the last checkpoint are newer than summary.json
        top = max(status.scores, key=lambda s: s.score)
        if status.best is None or top.score > status.best:
            status.best, status.best_iteration = top.score, top.iteration
    if status.baseline is None:
        status.baseline = next((s.score for s in status.scores if s.iteration == 0), None)
