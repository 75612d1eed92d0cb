"""Runs addressed as people do with the `hf` CLI: a path, a short id, or `latest`.

    posttrain status runs/20261128T071050Z-teach-the-base-model-a-caesar-shift   # a path
    posttrain status 20261128T0710          # a unique prefix of the folder name under --runs-root (default runs)
    posttrain status teach-the-base         # a unique prefix of the name after its UTC timestamp
    posttrain status latest                 # the run started last

An unknown or ambiguous id is a ConfigError (one line, exit code 2) listing the candidates.
"""

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from posttrain.tools.errors import ConfigError


DEFAULT_RUNS_ROOT = "runs"
LATEST = "latest"
_STAMP = re.compile(r"^\d{8}T\d{6}Z-")  # default run folder names: <UTC timestamp>-<goal slug>
_SHOWN = 6  # candidates named in an error line


@dataclass(frozen=True)
class RunRef:
    """A run directory found under a runs root: its id (the folder name), path and start time."""

    id: str
    path: Path
    started_at: float


def is_run_dir(path: Path) -> bool:
    return path.is_dir() and ((path / "transcript.jsonl").exists() or (path / "state.json").exists())


def started_at(path: Path) -> float:
    """When the run started: its first event (`run_started`), else its first message, else the folder's mtime."""
    for name, key in (("events.jsonl", "at"), ("transcript.jsonl", "created_at")):
        try:
            with (path / name).open(encoding="utf-8") as handle:
                first = json.loads(handle.readline())
            value = first.get(key)
            if isinstance(value, int | float):
                return float(value)
            if isinstance(value, str):
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except (OSError, ValueError, AttributeError):
            continue
    return path.stat().st_mtime


def list_runs(runs_root: str | Path = DEFAULT_RUNS_ROOT) -> list[RunRef]:
    """Every run directory directly under `runs_root`, oldest first."""
    root = Path(runs_root)
    if not root.is_dir():
        return []
    runs = [RunRef(id=p.name, path=p, started_at=started_at(p)) for p in root.iterdir() if is_run_dir(p)]
    return sorted(runs, key=lambda ref: (ref.started_at, ref.id))


def resolve_run(ref: str, runs_root: str | Path = DEFAULT_RUNS_ROOT) -> Path:
    """The run directory `ref` names: an existing path, `latest`, a folder name under `runs_root`, or a unique prefix
    of one (of the whole name, or of the part after its timestamp)."""
    path = Path(ref).expanduser()
    if ref != LATEST and (path.exists() or "/" in ref or ref.startswith(".")):
        if not path.is_dir():
            raise ConfigError(f"run dir {ref} does not exist; list runs with `posttrain transcript list`")
        return path
    runs = list_runs(runs_root)
    if not runs:
        raise ConfigError(f"no run {ref!r}: no runs under {runs_root}; pass a run directory, or --runs-root DIR "
                          "where your runs are")
    if ref == LATEST:
        return runs[-1].path
    exact = [r for r in runs if r.id == ref]
    matches = exact or [r for r in runs if r.id.startswith(ref) or _STAMP.sub("", r.id).startswith(ref)]
    if len(matches) == 1:
        return matches[0].path
    if not matches:
        newest = ", ".join(r.id for r in reversed(runs[-_SHOWN:]))
        raise ConfigError(f"no run matches {ref!r} under {runs_root}; runs there (newest first): {newest}; pass one "
                          "of them, a prefix, `latest`, or a path")
    named = ", ".join(r.id for r in reversed(matches[-_SHOWN:])) + (" …" if len(matches) > _SHOWN else "")
    raise ConfigError(f"run id {ref!r} is ambiguous under {runs_root}: {len(matches)} runs match ({named}); "
                      "pass more of the name, or the path")
