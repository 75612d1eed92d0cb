"""`posttrain status RUN`: one screen on a run — phase, iteration, the step in flight with its rate and ETA, the last
scores — read from the run's files, so it works from another terminal while the run is going."""

from typing import Annotated

import typer


RunArg = Annotated[str, typer.Argument(help="The run: its directory, its id under --runs-root (or a unique prefix), "
                                             "or `latest`.")]
RunsRootOpt = Annotated[str, typer.Option(help="Folder holding run directories (for ids and `latest`).")]


def status(
    run: RunArg = "latest",
    runs_root: RunsRootOpt = "runs",
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
) -> None:
    """Where a run stands: status, phase, iteration, the task in flight (step, rate, ETA) and the scores so far."""
    from posttrain.orchestrator.run_lookup import resolve_run
    from posttrain.orchestrator.run_status import run_status
    from posttrain.run.workspace import RunWorkspace

    workspace = RunWorkspace.open(resolve_run(run, runs_root))
    report = run_status(workspace.root)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    _print(report)


def _print(report) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from posttrain.tools.durations import clock

    console = Console(highlight=False)
    head = Text.assemble((report.run, "bold"), "  ", (report.status, _STATUS_STYLE.get(report.status, "yellow")))
    if report.elapsed_s is not None:
        head.append(f" · {clock(report.elapsed_s)} used")
    if report.last_event_s_ago is not None:
        head.append(f" · last event {clock(report.last_event_s_ago)} ago", style="dim")
    console.print(head)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("goal", Text(report.goal))
    grid.add_row("team", Text(f"{report.brain} · benchmark {report.benchmark} · base model {report.base_model}"))
    grid.add_row("path", Text(report.path))
    if report.iteration is not None and report.status == "running":
        grid.add_row("now", Text(f"iteration {report.iteration} · {report.phase}"))
    for task in report.progress:
        grid.add_row("", Text(f"iter {task.iteration} · {task.line}", style="green", no_wrap=True,
                              overflow="ellipsis"))
    if report.reason:
        grid.add_row("reason", Text(report.reason))
    if report.brain_line:
        grid.add_row("brain", Text(report.brain_line.removeprefix("brain: ")))
    for index, text in enumerate(report.steering):
        heard = index < len(report.steering) - report.steering_pending
        grid.add_row("steer", Text(f"{text} ({'heard' if heard else 'waiting for the next debate'})"))
    console.print(grid)
    if report.scores:
        table = Table("iteration", "score", "95% CI", "n", "best so far", box=None, pad_edge=False)
        for s in report.scores[-8:]:  # the last few: the whole history is in `posttrain report`
            label = "baseline" if s.iteration == 0 else str(s.iteration)
            table.add_row(label, f"{s.score:.3f}", f"{s.ci95[0]:.3f}–{s.ci95[1]:.3f}", str(s.n), f"{s.best:.3f}")
        console.print(table)
    if report.best is not None:
        where = f" (iteration {report.best_iteration})" if report.best_iteration else ""
        base = f"baseline {report.baseline:.3f} → " if report.baseline is not None else ""
        console.print(Text(f"{base}best {report.best:.3f}{where}"))
    if report.note:
        console.print(Text(report.note, style="yellow"))


_STATUS_STYLE = {"running": "bold cyan", "goal_met": "bold green", "max_iterations": "green",
                 "budget_exhausted": "green", "budget": "yellow",
                 "failed": "bold red", "blocked": "bold red", "stopped": "yellow"}


def register(root: typer.Typer) -> None:
    root.command("status")(status)
