"""Library output goes to the run's log file, not the console.

During a run the console belongs to the team (ConsoleView on stdout). What libraries write to stderr — Ray's driver
warnings, transformers/datasets logging, tqdm bars such as "Writing model shards", C-level writes of Ray's core
worker — is appended to `RUN/run.log` instead: stderr is pointed at that file at both levels, Python's `sys.stderr`
(tqdm, `warnings`, logging's last resort) and file descriptor 2 (handlers and native code holding the real stderr).
Training workers already write their own `train.log` next to the checkpoint (Ray's `log_to_driver` is off).

    with library_output_to(workspace.root / RUN_LOG):
        ...                       # print(..., file=console_stderr()) still reaches the person at the terminal
"""

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO


RUN_LOG = "run.log"
_console_stderr: TextIO | None = None


def console_stderr() -> TextIO:
    """The terminal's stderr, also while `library_output_to` is active (for the few lines meant for the person)."""
    return _console_stderr or sys.stderr


@contextlib.contextmanager
def library_output_to(path: Path) -> Iterator[Path]:
    """Send everything written to stderr inside the block to `path` (appended, one header line per session)."""
    global _console_stderr
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as log:
        log.write(f"\n== posttrain {time.strftime('%Y-%m-%d %H:%M:%S')}: library output of this session ==\n")
    _flush(sys.stderr)
    try:
        saved_fd = os.dup(2)
    except OSError:  # no fd 2 (a detached process): nothing to route
        yield path
        return
    terminal = os.fdopen(os.dup(saved_fd), "w", buffering=1, encoding="utf-8", errors="replace")
    log_fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    # A stream on fd 2 itself, never closed: a logging handler made inside the block (e.g. Ray's, at its first import)
    # keeps writing to whatever fd 2 is, the log now and the terminal after the block, never to a closed file.
    stream = _NeverRaising(os.fdopen(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False))
    previous_stream, previous_console = sys.stderr, _console_stderr
    sys.stderr, _console_stderr = stream, terminal
    try:
        yield path
    finally:
        _flush(stream)
        sys.stderr, _console_stderr = previous_stream, previous_console
        os.dup2(saved_fd, 2)
        os.close(saved_fd)
        terminal.close()


class _NeverRaising:
    """A stream whose writes never raise: a full disk must not turn a library's warning into the run's failure (the
    run's own writes still fail, and say so)."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except (OSError, ValueError):
            return len(text)

    def flush(self) -> None:
        _flush(self._stream)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _flush(stream: TextIO) -> None:
    with contextlib.suppress(Exception):  # a closed or odd stream must not break the run's start or end
        stream.flush()
