"""The run directory: where everything a run produces lives, written so that nothing is lost on a crash.

    runs/<UTC timestamp>-<goal slug>/
        transcript.jsonl   one line per AgentChat message/event (+ iteration, phase), appended and flushed
        events.jsonl       posttrain's run events (progress, scores) from the same event stream
        summary.json       rewritten atomically after every iteration
        state.json         everything `posttrain resume` needs (config, ledger, team states, checkpoint)
        artifacts/<k>/     datasets, checkpoints, evaluation reports of iteration k
"""

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from posttrain.tools.errors import ConfigError


if TYPE_CHECKING:
    from posttrain.run.state import RunState


class RunFile(Protocol):
    """A typed run file (`RunState`, `RunSummary`): the workspace writes what it says it is on disk. Structural, so
    the summary (built from the whole run context) is not imported here."""

    def to_json(self) -> dict: ...


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to a temp file in the same folder, fsync, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2, default=str)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def default_run_dir(goal_slug: str, root: str | Path = "runs") -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(root) / f"{stamp}-{goal_slug}"


class RunWorkspace:
    """Paths and safe writes for one run directory."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    # -- creation / opening -------------------------------------------------------------------------------------
    @classmethod
    def create(cls, root: str | Path) -> "RunWorkspace":
        """Make a new run directory; refuses a non-writable place or one that already holds a run."""
        path = Path(root)
        if (path / "state.json").exists():
            raise ConfigError(f"{path} already holds a run; use `posttrain resume {path}` or pick another --run-dir")
        try:
            path.mkdir(parents=True, exist_ok=True)
            probe = path / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise ConfigError(
                f"run dir {path} is not writable ({exc.strerror or exc}); pick a writable --run-dir"
            ) from exc
        return cls(path)

    @classmethod
    def open(cls, root: str | Path) -> "RunWorkspace":
        """Open an existing run directory (resume, transcript show)."""
        path = Path(root)
        if not path.is_dir():
            raise ConfigError(f"run dir {path} does not exist; list runs with `posttrain transcript list`")
        if not (path / "transcript.jsonl").exists() and not (path / "state.json").exists():
            raise ConfigError(f"{path} is not a posttrain run (no transcript.jsonl or state.json); check the path")
        return cls(path)

    # -- paths --------------------------------------------------------------------------------------------------
    @property
    def transcript_path(self) -> Path:
        return self.root / "transcript.jsonl"

    @property
    def events_path(self) -> Path:
        return self.root / "events.jsonl"

    @property
    def summary_path(self) -> Path:
        return self.root / "summary.json"

    @property
    def state_path(self) -> Path:
        return self.root / "state.json"

    def artifacts(self, iteration: int) -> Path:
        path = self.root / "artifacts" / str(iteration)
        path.mkdir(parents=True, exist_ok=True)
        return path

    # -- state --------------------------------------------------------------------------------------------------
    def save_state(self, state: RunFile) -> None:
        write_json_atomic(self.state_path, state.to_json())

    def load_state(self) -> "RunState":
        """The last checkpoint, for resume: ConfigError (one line) when there is none or it cannot be read."""
        from posttrain.run.state import read_state

        state = read_state(self.state_path)
        if state is None:
            raise ConfigError(f"{self.root} has no state.json, so it cannot be resumed; start a new `posttrain run`")
        return state

    def save_summary(self, summary: RunFile) -> None:
        write_json_atomic(self.summary_path, summary.to_json())

    # -- transcript recovery ------------------------------------------------------------------------------------
    def rewind_log(self, path: Path, keep_lines: int) -> int:
        """Cut an append-only log back to its first `keep_lines` complete lines, archiving the rest.

        Lines written after the last checkpoint belong to work that will be redone on resume; they go to
        `<name>.aborted.jsonl` (kept, never deleted) so the live log holds each message exactly once.
        """
        if not path.exists():
            return 0
        raw = path.read_bytes()
        lines = raw.split(b"\n")
        complete, torn = lines[:-1], lines[-1]  # `torn` is a half-written last line (kill -9 mid-write) or b""
        kept, dropped = complete[:keep_lines], complete[keep_lines:]
        if torn:
            dropped.append(torn)
        if dropped:
            archive = path.with_name(path.stem + ".aborted.jsonl")
            with archive.open("ab") as handle:
                handle.write(b"\n".join(dropped) + b"\n")
        tmp = path.with_suffix(".rewind.tmp")
        tmp.write_bytes(b"".join(line + b"\n" for line in kept))
        os.replace(tmp, path)
        return len(dropped)
