"""The live console: renders the run's event stream with rich (who speaks, tool calls, progress, scores).

Progress is one line per running task — `iter 1 · train sft ━━━━ step 200/1500 · 1.3 it/s · ETA 16:40 · loss 1.53` —
and a finished task collapses into one summary line, so nothing stale piles up. On a terminal the lines are live;
elsewhere (pipes, CI, tests) only the summary lines and, for long tasks, one line every `heartbeat_s` are printed.
"""

import json
import sys
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.progress import Progress, ProgressColumn
from rich.rule import Rule
from rich.table import Column
from rich.text import Text

from posttrain.orchestrator.library_logs import RUN_LOG
from posttrain.orchestrator.progress_line import ProgressTracker, TaskProgress
from posttrain.orchestrator.transcript import SKIPPED_TYPES, message_text
from posttrain.run import events as ev


ROLE_STYLE = {"Manager": "bold magenta", "Librarian": "cyan", "DataEngineer": "green", "Trainer": "yellow",
              "Evaluator": "blue", "user": "dim"}
BAR_WIDTH = 20


class TaskLineColumn(ProgressColumn):
    """The whole line of one task — `iter 1 · train sft ━━━━━━━━━━ step 200/1500 · 1.3 it/s · ETA 16:40 · loss 1.53` —
    from its `TaskProgress`, the ETA counting down between events. Built as one Text and cut at the console's width
    with an ellipsis: metrics never wrap the line nor push the bar out of it."""

    def __init__(self, width: Callable[[], int]) -> None:
        super().__init__(table_column=Column(no_wrap=True, overflow="ellipsis"))
        self.width = width

    def render(self, task) -> Text:
        state: TaskProgress = task.fields["state"]
        width = max(20, self.width() - 1)
        line = Text(f"iter {state.iteration} · {state.task} ", no_wrap=True, overflow="ellipsis")
        bar = max(6, min(BAR_WIDTH, (width - len(line)) // 4))
        filled = round(bar * state.completed / state.total) if state.total else 0
        line.append("━" * min(filled, bar), style="bar.complete" if not state.done else "bar.finished")
        line.append("━" * (bar - min(filled, bar)), style="bar.back")
        line.append(" " + state.stats(now=time.time()), style="progress.download")
        line.truncate(width, overflow="ellipsis")
        return line


class ConsoleView:
    """Event-bus subscriber that draws the run for a person watching the terminal."""

    def __init__(self, console: Console | None = None, max_chars: int = 600, heartbeat_s: float = 60.0):
        self.console = console or Console(file=sys.stdout, soft_wrap=False, highlight=False)
        self.live = self.console.is_terminal and not self.console.is_dumb_terminal
        # redirect_stderr=False: library output on stderr goes to the run's log file, never above the bars
        self.progress = Progress(TaskLineColumn(lambda: self.console.width), console=self.console, transient=True,
                                 redirect_stderr=False)
        self.tracker = ProgressTracker()
        self.bars: dict[int, Any] = {}  # id(TaskProgress) → rich task id
        self.top_level: set[int] = set()  # passes that started while no other ran: they get summary lines
        self.heartbeat_s = heartbeat_s
        self.last_printed: dict[int, float] = {}
        self.max_chars = max_chars
        self.started = False

    def __call__(self, item: Any) -> None:
        if isinstance(item, ev.AgentMessage):
            self._message(item)
        elif isinstance(item, ev.Progress):
            self._progress(item)
        else:
            self._event(item)

    def _say(self, *args: Any, **kwargs: Any) -> None:
        self.console.print(*args, **kwargs)

    # -- agents ---------------------------------------------------------------------------------------------------
    def _message(self, item: ev.AgentMessage) -> None:
        message = item.message
        kind = type(message).__name__
        if kind in SKIPPED_TYPES or kind == "SelectSpeakerEvent":
            return
        record = message.dump()
        source = record.get("source", "?")
        if kind == "ToolCallRequestEvent":
            for call in record["content"]:
                self._say(Text.assemble("  → ", (source, "dim"), " calls ", (call["name"], "bold"),
                                        (f"({_arguments(call['arguments'], 160)})", "dim")))
            return
        if kind == "ToolCallExecutionEvent":
            # the tool returned: whatever it reported progress on is over. Not a pass begun after it returned: the
            # agent's next tool may already run while this event is still on its way to us
            self._collapse_all(started_before=message.created_at.timestamp())
            for result in record["content"]:
                if result.get("is_error"):
                    self._say(Text.assemble(("  ✗ ", "red"), (f"{result['name']} failed: ", "red"),
                                            _short(result["content"], 300)))
            return
        tag = "[debate] " if item.phase == "debate" else ""
        # one Text: rich wraps it counting the speaker prefix, so no line runs past the terminal's width
        self._say(Text.assemble((source, ROLE_STYLE.get(source, "white")), " ", (tag, "dim"),
                                _short(message_text(record), self.max_chars)))

    # -- progress -------------------------------------------------------------------------------------------------
    def _progress(self, item: ev.Progress) -> None:
        state, replaced = self.tracker.feed(item)
        if replaced is not None:
            self._collapse(replaced)
        key = id(state)
        if key not in self.bars and key not in self.last_printed:
            if not any(other is not state for other in self.tracker.active.values()):
                self.top_level.add(key)
            self.last_printed[key] = item.at
            if self.live:
                self._start_live()
                self.bars[key] = self.progress.add_task(f"iter {item.iteration} · {item.task}", total=item.total,
                                                        state=state)
        if key in self.bars:
            self.progress.update(self.bars[key], completed=item.completed, total=item.total)
        elif not self.live and key in self.top_level and item.at - self.last_printed[key] >= self.heartbeat_s:
            self.last_printed[key] = item.at  # a long task in a log: one line a while, never a bar per update
            self._say(Text(f"  iter {item.iteration} · {state.line(now=item.at)}", style="dim"))
        if state.done:
            self._collapse(state)

    def _start_live(self) -> None:
        if not self.started:
            self.progress.start()
            self.started = True

    def _collapse(self, state: TaskProgress) -> None:
        """Take a pass off the live display and print its one summary line (top-level passes that took time)."""
        key = id(state)
        if self.tracker.active.get((state.iteration, state.task)) is state:
            self.tracker.finish((state.iteration, state.task))
        bar = self.bars.pop(key, None)
        if bar is not None:
            self.progress.remove_task(bar)
            if self.bars:
                self.progress.refresh()  # the live area re-prints its last frame under a print: drop the bar first
            else:
                self.progress.stop()  # nothing running: give the terminal back (prompts, plain prints)
                self.started = False
        self.last_printed.pop(key, None)
        if key in self.top_level:
            self.top_level.discard(key)
            if not (state.done and state.duration_s() < 1.0):  # a sub-second task: the next message says it all
                mark = ("  ✓ ", "green") if state.done else ("  ■ ", "yellow")
                self._say(Text.assemble(mark, (f"iter {state.iteration} · ", "dim"), state.summary()))

    def _collapse_all(self, started_before: float | None = None) -> None:
        for state in list(self.tracker.active.values()):
            if started_before is None or state.first_at < started_before:
                self._collapse(state)

    # -- run events -----------------------------------------------------------------------------------------------
    def _event(self, item: Any) -> None:
        if isinstance(item, ev.RunStarted):
            verb = "Resuming" if item.resumed else "Starting"
            self._say(Rule(f"{verb} run: {item.goal}"))
            self._say(Text.assemble("brain ", (item.brain, "bold"), " · benchmark ", (item.benchmark, "bold"),
                                    " · base model ", (item.base_model, "bold")))
            self._say(Text(f"run dir {item.run_dir} (library output: {RUN_LOG} there)"))
            if item.reading:
                self._say(Text(item.reading, style="dim"))
        elif isinstance(item, ev.IterationStarted):
            self._collapse_all()
            label = "baseline" if item.iteration == 0 else item.phase
            self._say(Rule(f"iteration {item.iteration} · {label}", style="dim"))
        elif isinstance(item, ev.ScoreReported):
            self._say(f"[bold green]score {item.score:.3f}[/] (n={item.n}, 95% CI {item.ci95[0]:.3f}–"
                      f"{item.ci95[1]:.3f}) · best so far {item.best:.3f}")
        elif isinstance(item, ev.IterationFinished):
            self._collapse_all()
            self._say(f"[dim]iteration {item.iteration} finished in {item.duration_s:.0f} s[/]")
        elif isinstance(item, ev.Notice):
            color = {"info": "cyan", "warning": "yellow", "error": "red"}[item.level]
            self._say(Text(item.text, style=color))
        elif isinstance(item, ev.RunFinished):
            self._finished(item)

    def _finished(self, item: ev.RunFinished) -> None:
        self._collapse_all()
        if self.started:
            self.progress.stop()
            self.started = False
        fmt = lambda x: "n/a" if x is None else f"{x:.3f}"  # noqa: E731
        self._say(Rule(f"run {item.status}"))
        self._say(f"baseline {fmt(item.baseline)} → best {fmt(item.best)}"
                  + (f" (iteration {item.best_iteration})" if item.best_iteration else ""))
        if item.best_checkpoint:
            self._say(Text(f"best checkpoint: {item.best_checkpoint}"))
        if item.brain_usage:
            self._say(Text(item.brain_usage))
        self._say(Text(f"review: posttrain transcript show {item.run_dir} --debate-only"))
        self._say(Text(f"report: posttrain report {item.run_dir}"))
        self._say(Text(f"dashboard (curves, team scores): posttrain dashboard {item.run_dir}"))
        if item.status in ("stopped", "failed", "blocked"):
            self._say(Text(f"continue: posttrain resume {item.run_dir}"))


def _arguments(arguments: Any, limit: int) -> str:
    """A tool call's JSON arguments as `key=value, …` (what a person reads), else the raw text."""
    try:
        parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
    except json.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict):
        text = ", ".join(f"{k}={v if isinstance(v, str | int | float) else json.dumps(v, default=str)}"
                         for k, v in parsed.items())
    else:
        text = arguments if isinstance(arguments, str) else json.dumps(arguments, default=str)
    return _short(text, limit)


def _short(text: Any, limit: int) -> str:
    text = text if isinstance(text, str) else json.dumps(text, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"
