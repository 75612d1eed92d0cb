"""`posttrain steer RUN "MESSAGE"`: tell a running (or stopped) team something; the next debate hears it.

The message is stored in RUN/steering.jsonl. The next debate hears it as the user's turn, the Manager weighs it (the
offline Manager adopts a plan field it names, e.g. "a smaller learning rate", over any specialist's proposal), and
the transcript, the report and `posttrain status` show it.
"""

from typing import Annotated

import typer


def steer(
    run: Annotated[str, typer.Argument(help="The run: its directory, its id under --runs-root (or a unique prefix), "
                                            "or `latest`.")],
    message: Annotated[str, typer.Argument(help="What the team should know or try, e.g. 'try a smaller learning "
                                                "rate; the data source X is licensed badly'.")],
    runs_root: Annotated[str, typer.Option(help="Folder holding run directories (for ids and `latest`).")] = "runs",
) -> None:
    """Send the team a message; it joins the next debate as the user's turn."""
    from posttrain.orchestrator.run_lookup import resolve_run
    from posttrain.run.steering import add_message
    from posttrain.run.workspace import RunWorkspace

    workspace = RunWorkspace.open(resolve_run(run, runs_root))
    add_message(workspace.root, message)
    typer.echo(f"noted in {workspace.root}: the next debate hears it (see `posttrain status {run}`)")


def register(root: typer.Typer) -> None:
    root.command("steer")(steer)
