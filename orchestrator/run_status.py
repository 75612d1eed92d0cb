"""`posttrain status RUN` read from the run's files, so it works from a second process while the run is going.

`events.jsonl` gives the phase, the iteration, the progress of the task in flight (step/total, and rate and ETA from
the progress events' own timestamps, as the live console computes them) and the scores; `state.json` and
`summary.json` give the status at the last checkpoint, the best result and the time used.
"""

import json
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from posttrain.orchestrator.progress_line import ProgressTracker, TaskProgress
from posttrain.run import events as ev
from posttrain.run.liveness import still_running


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


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):  # absent, or replaced mid-read on a filesystem without atomic rename
        return {}


def run_status(run_dir: Path, now: float | None = None) -> RunStatus:
    now = time.time() if now is None else now
    events = read_events(run_dir / "events.jsonl")
    state, summary = _read_json(run_dir / "state.json"), _read_json(run_dir / "summary.json")
    config = state.get("config") or {}
    status = RunStatus(run=run_dir.resolve().name, path=str(run_dir), status=state.get("status", "unknown"),
                       reason=state.get("reason"), goal=config.get("goal") or summary.get("goal", ""),
                       brain=config.get("brain") or summary.get("brain", ""),
                       benchmark=config.get("benchmark") or summary.get("benchmark", ""),
                       base_model=config.get("base_model") or summary.get("base_model", ""))
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
    _results(status, summary, state, finished)
    if finished is not None or not events:
        status.elapsed_s = summary.get("elapsed_s") or state.get("elapsed_s")
    elif session_start is not None:
        status.elapsed_s = spent_before + max(0.0, now - session_start)
    alive = still_running(state.get("process")) if status.status == "running" and finished is None else None
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


def _brain_and_steering(status: RunStatus, run_dir: Path, summary: dict, state: dict) -> None:
    """The brain's usage (live from brain_usage.json, else the last summary) and the steering messages."""
    from posttrain.run.steering import read_messages
    from posttrain.run.usage import usage_line

    usage = _read_json(run_dir / "brain_usage.json") or summary.get("brain_usage")
    if usage:
        status.brain_usage, status.brain_line = usage, usage_line(usage)
    said = read_messages(run_dir)
    status.steering = [m["text"] for m in said]
    status.steering_pending = max(0, len(said) - int((state.get("ledger") or {}).get("steering_read", 0)))


def _task_line(state: TaskProgress, now: float) -> TaskLine:
    return TaskLine(iteration=state.iteration, task=state.task, completed=state.completed, total=state.total,
                    rate_per_s=state.rate(), eta_s=state.eta_s(now), line=state.line(now=now))


def _results(status: RunStatus, summary: dict, state: dict, finished) -> None:
    baseline, best = summary.get("baseline") or {}, summary.get("best") or {}
    status.baseline = baseline.get("score")
    status.best, status.best_iteration = best.get("score"), best.get("iteration")
    status.best_checkpoint = best.get("checkpoint")
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
