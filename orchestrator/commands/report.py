"""`posttrain report RUN`: the run as one self-contained HTML page (charts, debates, curves, transcript explorer)."""

from typing import Annotated

import typer


def report(
    run_dir: Annotated[str, typer.Argument(help="The run: its directory, its id under --runs-root (or a unique "
                                                "prefix), or `latest`.")],
    output: Annotated[str | None, typer.Option("-o", "--output", help="File to write (default: RUN/report.html).")]
    = None,
    open_: Annotated[bool, typer.Option("--open", help="Open the report in the default browser.")] = False,
    runs_root: Annotated[str, typer.Option(help="Folder holding run directories (for ids and `latest`).")] = "runs",
) -> None:
    """Write an HTML report of a run: objective, scores with CIs, each iteration's debate, plan diff, data,
    training curves, evaluation and flipped items, a timeline, and the whole transcript (no network needed)."""
    import time

    from posttrain.orchestrator.report import write_report
    from posttrain.orchestrator.run_lookup import resolve_run
    from posttrain.run.workspace import RunWorkspace

    workspace = RunWorkspace.open(resolve_run(run_dir, runs_root))
    started = time.perf_counter()
    path = write_report(workspace.root, output)
    size = path.stat().st_size
    typer.echo(f"wrote {path} ({size / 1024:.0f} KiB in {time.perf_counter() - started:.2f} s)")
    if open_:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())


def register(root: typer.Typer) -> None:
    root.command("report")(report)
