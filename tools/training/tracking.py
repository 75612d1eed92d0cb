"""Read a run's metrics back from Trackio's local store, and open Trackio's dashboard for a project.

Trackio keeps one SQLite file per project under ``TRACKIO_DIR`` (read when trackio is imported)::

    rows = read_tracked_metrics("caesar-demo", "sft-seed0")   # [{"step": 10, "train/loss": 2.1, ...}, ...]
    handle = dashboard("caesar-demo", open_browser=False); handle.url; handle.close()
"""

from dataclasses import dataclass
from typing import Any

from posttrain.tools.errors import ToolError


def list_tracked_runs(project: str) -> list[str]:
    """Run names Trackio holds for `project` (empty when the project does not exist)."""
    from trackio.sqlite_storage import SQLiteStorage

    return list(SQLiteStorage.get_runs(project))


def read_tracked_metrics(project: str, run_name: str) -> list[dict]:
    """Every row Trackio stored for one run, in step order, keys as logged (TRL's are prefixed ``train/``).

    Raises ToolError naming the runs that do exist when the run is unknown.
    """
    from trackio.sqlite_storage import SQLiteStorage

    runs = list_tracked_runs(project)
    if run_name not in runs:
        raise ToolError(f"Trackio has no run {run_name!r} in project {project!r}; runs there: {runs or 'none'}")
    rows = SQLiteStorage.get_logs(project, run_name)
    return sorted(rows, key=lambda row: row.get("step") or 0)


@dataclass
class DashboardHandle:
    """A running Trackio dashboard; `close()` stops it."""

    url: str
    app: Any

    def close(self) -> None:
        self.app.close()


def dashboard(project: str, *, host: str = "127.0.0.1", port: int | None = None,
              open_browser: bool = True, block: bool = False) -> DashboardHandle:
    """Serve Trackio's dashboard for `project` on host:port (first free port from 7860 when None)."""
    import trackio

    if project not in _projects():
        raise ToolError(f"Trackio has no project {project!r}; projects: {_projects() or 'none'}")
    app, url, *_ = trackio.show(project=project, host=host, server_port=port, open_browser=open_browser,
                                block_thread=block)
    return DashboardHandle(url=url, app=app)


def _projects() -> list[str]:
    from trackio.sqlite_storage import SQLiteStorage

    return list(SQLiteStorage.get_projects())
