"""The live console: renders the run's event stream with rich (who speaks, tool calls, progress bars, scores)."""

import json
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.rule import Rule

from posttrain.orchestrator.transcript import SKIPPED_TYPES, message_text
from posttrain.run import events as ev


ROLE_STYLE = {"Manager": "bold magenta", "Librarian": "cyan", "DataEngineer": "green", "Trainer": "yellow",
              "Evaluator": "blue", "user": "dim"}


class ConsoleView:
    """Event-bus subscriber that draws the run for a person watching the terminal."""

    def __init__(self, console: Console | None = None, max_chars: int = 600):
        self.console = console or Console(file=sys.stdout, soft_wrap=False, highlight=False)
        self.progress = Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("{task.fields[info]}"), TimeElapsedColumn(),
                                 console=self.console, transient=False)
        self.tasks: dict[str, Any] = {}
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
        self.progress.console.print(*args, **kwargs)

    def _message(self, item: ev.AgentMessage) -> None:
        message = item.message
        kind = type(message).__name__
        if kind in SKIPPED_TYPES:
            return
        record = message.dump()
        source = record.get("source", "?")
        style = ROLE_STYLE.get(source, "white")
        if kind == "ToolCallRequestEvent":
            for call in record["content"]:
                self._say(f"  [dim]→ {source} calls[/] [bold]{call['name']}[/]([dim]{_short(call['arguments'], 160)}[/])")
            return
        if kind == "ToolCallExecutionEvent":
            for result in record["content"]:
                if result.get("is_error"):
                    self._say(f"  [red]✗ {result['name']} failed:[/] {_short(result['content'], 300)}")
            return
        if kind == "SelectSpeakerEvent":
            return
        text = _short(message_text(record), self.max_chars)
        tag = "[debate] " if item.phase == "debate" else ""
        self._say(f"[{style}]{source}[/] [dim]{tag}[/]{text}", markup=True)

    def _progress(self, item: ev.Progress) -> None:
        if not self.started:
            self.progress.start()
            self.started = True
        info = "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in item.info.items())
        task = self.tasks.get(item.task)
        if task is None:
            task = self.progress.add_task(f"iter {item.iteration} · {item.task}", total=item.total, info=info)
            self.tasks[item.task] = task
        self.progress.update(task, completed=item.completed, total=item.total, info=info)
        if item.total is not None and item.completed >= item.total:
            self.progress.stop_task(task)
            self.tasks.pop(item.task, None)

    def _event(self, item: Any) -> None:
        if isinstance(item, ev.RunStarted):
            verb = "Resuming" if item.resumed else "Starting"
            self._say(Rule(f"{verb} run: {item.goal}"))
            self._say(f"brain [bold]{item.brain}[/] · benchmark [bold]{item.benchmark}[/] · base model "
                      f"[bold]{item.base_model}[/]\nrun dir {item.run_dir}")
            if item.reading:
                self._say(f"[dim]{escape(item.reading)}[/]")
        elif isinstance(item, ev.IterationStarted):
            label = "baseline" if item.iteration == 0 else item.phase
            self._say(Rule(f"iteration {item.iteration} · {label}", style="dim"))
        elif isinstance(item, ev.ScoreReported):
            self._say(f"[bold green]score {item.score:.3f}[/] (n={item.n}, 95% CI {item.ci95[0]:.3f}–{item.ci95[1]:.3f})"
                      f" · best so far {item.best:.3f}")
        elif isinstance(item, ev.IterationFinished):
            self._say(f"[dim]iteration {item.iteration} finished in {item.duration_s:.0f} s[/]")
        elif isinstance(item, ev.Notice):
            color = {"info": "cyan", "warning": "yellow", "error": "red"}[item.level]
            self._say(f"[{color}]{item.text}[/]")
        elif isinstance(item, ev.RunFinished):
            self._finished(item)

    def _finished(self, item: ev.RunFinished) -> None:
        if self.started:
            self.progress.stop()
        fmt = lambda x: "n/a" if x is None else f"{x:.3f}"  # noqa: E731
        self._say(Rule(f"run {item.status}"))
        self._say(f"baseline {fmt(item.baseline)} → best {fmt(item.best)}"
                  + (f" (iteration {item.best_iteration})" if item.best_iteration else ""))
        if item.best_checkpoint:
            self._say(f"best checkpoint: {item.best_checkpoint}")
        self._say(f"review: posttrain transcript show {item.run_dir} --debate-only")
        if item.status in ("stopped", "failed"):
            self._say(f"continue: posttrain resume {item.run_dir}")


def _short(text: Any, limit: int) -> str:
    text = text if isinstance(text, str) else json.dumps(text, default=str)
    text = text.replace("[", "\\[")  # keep rich from reading brackets in messages as markup
    return text if len(text) <= limit else text[: limit - 1] + "…"
