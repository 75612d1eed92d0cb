"""The progress callback every long-running tool accepts, so the CLI can draw bars without the tools printing.

A tool calls ``progress("train sft", completed=40, total=300, loss=0.91)``; the orchestrator forwards it to its
event stream, the console draws a bar. ``None`` total means indeterminate.
"""

from typing import Any, Protocol


class ProgressFn(Protocol):
    def __call__(self, task: str, completed: float, total: float | None = None, **info: Any) -> None: ...


def null_progress(task: str, completed: float, total: float | None = None, **info: Any) -> None:
    """Default progress sink: ignores everything."""
