"""`posttrain agents list`: the team — built-ins, installed plug-ins, and any --agent specs checked for loading."""

from typing import Annotated

import typer


app = typer.Typer(help="The specialists on the team.", no_args_is_help=True)


@app.command("list")
def list_agents(
    agent: Annotated[list[str] | None, typer.Option("--agent", help="Also load and check these plug-in specs.")] = None,
) -> None:
    """List built-in specialists, installed plug-ins (entry points) and the plug-ins named with --agent, each with
    the tools it can call."""
    import tempfile

    from rich.console import Console
    from rich.table import Table

    from posttrain.agents.manager.tools import make_manager_tools
    from posttrain.agents.specialist import builtin_factories
    from posttrain.orchestrator.brains import Brain, parse_brain
    from posttrain.orchestrator.plugins import ENTRY_POINT_GROUP, installed_plugins, load_specialist

    brain = Brain(parse_brain("offline"))
    table = Table("name", "origin", "tools", "description")
    table.columns[2].no_wrap = True  # one tool a line, names whole: they are what the transcript shows
    with tempfile.TemporaryDirectory(prefix="posttrain-agents-") as scratch:
        ctx = _scratch_run(scratch)
        table.add_row("Manager", "builtin", _tool_names(make_manager_tools(ctx)),
                      "Owns the goal and the budget; decides and delegates.")
        for name, factory in builtin_factories().items():
            spec = factory(brain.client_for(name))
            table.add_row(name, "builtin", _tool_names(spec.all_tools(ctx)), spec.description)
        for name, value in installed_plugins().items():
            table.add_row(name, f"entry point ({ENTRY_POINT_GROUP}) → {value}", "—",
                          "installed; enable with --agent " + name)
        for spec_text in agent or []:
            spec = load_specialist(spec_text, brain.client_for(None))
            table.add_row(spec.name, spec_text, _tool_names(spec.all_tools(ctx)), spec.description)
    Console().print(table)


def _scratch_run(folder: str):
    """A run context in a throwaway folder: the run-bound tools are built the way a run builds them (they are
    closures over the run), listed by name, and never called."""
    from posttrain.run.config import RunConfig
    from posttrain.run.context import RunContext
    from posttrain.run.events import EventBus
    from posttrain.run.ledger import Ledger
    from posttrain.run.workspace import RunWorkspace

    config = RunConfig(goal="list the team's tools", benchmark="arithmetic", run_dir=folder)
    return RunContext(config=config, workspace=RunWorkspace(folder), ledger=Ledger(), bus=EventBus(),
                      base_model_path="tiny")


def _tool_names(tools) -> str:
    return "\n".join(getattr(t, "__name__", "?") for t in tools) or "—"


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="agents")
