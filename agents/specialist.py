"""What a specialist is, and the one registry that built-ins and plug-ins both go through.

A specialist factory takes the brain's model client and returns a `Specialist`; the team builder turns each into two
AgentChat agents (a debater without tools and a worker with tools), so a plug-in takes part in every debate and can
be delegated to exactly like the Librarian does::

    def build_critic(model_client) -> Specialist:
        return Specialist(name="Critic", description="...", system_message="...", debate_stance="...",
                          model_client=model_client, tools=[check_overfitting])
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field


if TYPE_CHECKING:
    from posttrain.run.context import RunContext
    from posttrain.run.facts import Proposal


@dataclass
class Specialist:
    """A team member: identity, prompts, tools, and how it argues in debates."""

    name: str
    """Agent name; a valid Python identifier, unique in the team (e.g. "Trainer")."""
    description: str
    """One sentence the Manager (and an LLM selector) reads to decide whom to delegate to."""
    system_message: str
    """The work-phase system prompt."""
    debate_stance: str
    """What this specialist argues for in debates (e.g. "trust only paired significance tests")."""
    model_client: Any
    """The autogen ChatCompletionClient this specialist thinks with."""
    tools: Sequence[Callable] = ()
    """Plain typed functions (docstring = what the model reads) that need no run context."""
    bind_tools: "Callable[[RunContext], Sequence[Callable]] | None" = None
    """Tools that need the run (workspace, ledger): built once the run exists."""
    offline_debate: "Callable[[RunContext], str | Proposal] | None" = None
    """How the offline playbook voices this specialist in debates: a rule over the ledger returning its turn, or a
    `Proposal` the Manager's offline rule can weigh (plug-ins may supply their own rule)."""
    offline_request: "Callable[[RunContext], str | None] | None" = None
    """Offline: what the Manager should ask this specialist now in the work phase (None = nothing pending)."""
    offline_work: "Callable[[RunContext], list[tuple[str, dict]]] | None" = None
    """Offline: the tool calls (name, arguments) to make now; empty once this specialist's step is done."""
    builtin: bool = False
    """True for the five built-in roles."""
    origin: str = "builtin"
    """Where it came from: "builtin", a module:factory spec, a file path, or an entry point."""

    def all_tools(self, ctx: "RunContext | None") -> list[Callable]:
        bound = list(self.bind_tools(ctx)) if (self.bind_tools and ctx is not None) else []
        return [*self.tools, *bound]


SpecialistFactory = Callable[[Any], Specialist]


class SpecialistConfig(BaseModel):
    """What a user can change about a built-in role without writing a plug-in."""

    name: str = Field(description="Agent name in the team and the transcript.")
    description: str = Field(description="What the Manager reads when delegating.")
    debate_stance: str = Field(description="What this specialist argues from in debates.")


def builtin_specialist(config: Any, role_folder: str, model_client: Any,
                       bind_tools: "Callable[[RunContext], Sequence[Callable]]") -> Specialist:
    """A built-in role from its config (name, description, debate_stance), its prompt.md and its offline rules
    (`agents/<role>/offline.py`: proposal, request, work) — the same hooks a plug-in can fill."""
    import importlib

    from posttrain.agents.prompts import load_prompt

    rules = importlib.import_module(f"posttrain.agents.{role_folder}.offline")
    return Specialist(name=config.name, description=config.description, system_message=load_prompt(role_folder),
                      debate_stance=config.debate_stance, model_client=model_client, bind_tools=bind_tools,
                      offline_debate=rules.proposal, offline_request=rules.request, offline_work=rules.work,
                      builtin=True)

# Delegation order of the built-in work phase: techniques → data → training → evaluation.
BUILTIN_ROLES = ("Librarian", "DataEngineer", "Trainer", "Evaluator")


def builtin_factories() -> dict[str, SpecialistFactory]:
    """The built-in specialist factories, keyed by agent name, imported lazily."""
    from posttrain.agents.data_engineer import build_data_engineer
    from posttrain.agents.evaluator import build_evaluator
    from posttrain.agents.librarian import build_librarian
    from posttrain.agents.trainer import build_trainer

    return {
        "Librarian": build_librarian,
        "DataEngineer": build_data_engineer,
        "Trainer": build_trainer,
        "Evaluator": build_evaluator,
    }
