"""`posttrain agents list`: the team — built-ins, installed plug-ins, and any --agent specs checked for loading."""

from typing import Annotated

import typer


app = typer.Typer(help="The specialists on the team.", no_args_is_help=True)


@app.command("list")
def list_agents(
    agent: Annotated[list[str] | None, typer.Option("--agent", help="Also load and check these plug-in specs.")] = None,
) -> None:
    """List built-in specialists, installed plug-ins (entry points) and the plug-ins named with --agent."""
    from rich.console import Console
    from rich.table import Table

    from posttrain.agents.specialist import builtin_factories
    from posttrain.orchestrator.brains import Brain, parse_brain
    from posttrain.orchestrator.plugins import ENTRY_POINT_GROUP, installed_plugins, load_specialist

    brain = Brain(parse_brain("offline"))
    table = Table("name", "origin", "tools", "description")
    table.add_row("Manager", "builtin", "record_decision", "Owns the goal and the budget; decides and delegates.")
    for name, factory in builtin_factories().items():
        spec = factory(brain.client_for(name))
        table.add_row(name, "builtin", _tool_names(spec), spec.description)
    for name, value in installed_plugins().items():
        table.add_row(name, f"entry point ({ENTRY_POINT_GROUP}) → {value}", "—", "installed; enable with --agent " + name)
    for spec_text in agent or []:
        spec = load_specialist(spec_text, brain.client_for(None))
        table.add_row(spec.name, spec_text, _tool_names(spec), spec.description)
    Console().print(table)


def _tool_names(spec) -> str:
    names = [getattr(t, "__name__", "?") for t in spec.tools]
    if spec.bind_tools is not None:
        names.append("(run-bound tools)")
    return ", ".join(names) or "—"


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="agents")
