"""`posttrain report RUN`: one self-contained HTML page of a run (no network: CSS, SVG charts and script inline).

    >>> path = write_report("runs/2026…-teach-caesar")          # → runs/…/report.html
    >>> html = build_report("runs/…")                           # the page as a string

The run itself rewrites ``RUN/report.html`` after every iteration (`write_report` from the loop's checkpoint), so a
user can keep it open while the team works.
"""

import os
import tempfile
from pathlib import Path

from posttrain.orchestrator.report.data import RunData, load_run
from posttrain.orchestrator.report.render import render_report


REPORT_NAME = "report.html"


def build_report(run_dir: str | Path) -> str:
    """The report of the run in `run_dir`, as HTML text."""
    return render_report(load_run(run_dir))


def write_report(run_dir: str | Path, output: str | Path | None = None, transform=None) -> Path:
    """Write the report atomically (a browser reloading it never sees half a page); returns its path.

    `transform`: applied to the finished HTML text before it is written (e.g. redaction before a push)."""
    if not Path(run_dir).is_dir():
        raise FileNotFoundError(f"run directory {run_dir} does not exist")
    target = Path(output) if output else Path(run_dir) / REPORT_NAME
    html = build_report(run_dir)
    if transform is not None:
        html = transform(html)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(html)
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; a report is for reading (and serving)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def refresh_report(run_dir: str | Path) -> Path | None:
    """Rewrite RUN/report.html from what the run has written so far; for the loop's checkpoint. A report that
    cannot be rendered never stops a run: the error is logged and None returned."""
    import logging

    try:
        return write_report(run_dir)
    except Exception:  # noqa: BLE001 - the report is a view of the run, never a reason to fail it
        logging.getLogger(__name__).warning("could not rewrite %s/%s", run_dir, REPORT_NAME, exc_info=True)
        return None


__all__ = ["REPORT_NAME", "RunData", "build_report", "load_run", "refresh_report", "write_report"]
