"""When an LLM brain stalls in a work phase, the offline playbook finishes that iteration's work.

The plan in force stays (the brain's, or the playbook's where the brain recorded none). The playbook drives the same
specialists' tools over the same run: its Manager asks each specialist whose step the ledger shows pending, exactly
as after a resume, so what the brain already did (data built, a model trained) is never redone. The next debate is
the brain's again; a brain that stalls every iteration still gets a measured result from each one.
"""

from dataclasses import replace

from posttrain.agents.specialist import Specialist
from posttrain.orchestrator.stall import STALL_TURNS
from posttrain.orchestrator.team import Team, build_team
from posttrain.run.context import RunContext


TAKEOVER_NOTE = "the offline playbook takes over this iteration's work from what is done"


def playbook_team(ctx: RunContext, specialists: dict[str, Specialist]) -> Team:
    """The same specialists (built-in and plug-in) thinking with the offline playbook, bound to this run."""
    from posttrain.orchestrator.brains import Brain, parse_brain
    from posttrain.orchestrator.brains.playbook import Playbook

    brain = Brain(parse_brain("offline"))
    offline = {name: replace(spec, model_client=brain.client_for(name)) for name, spec in specialists.items()}
    brain.specialists.update(offline)  # the clients read this same dict
    brain.playbook = Playbook(ctx, offline)  # not bind(): the run's usage stays on the LLM brain's meter
    # the playbook's own bound (it needs at most 3 turns between tool calls), not a smoke run's lower one
    return build_team(ctx, offline, brain.client_for("Manager"), brain.client_for("Selector"), stall_turns=STALL_TURNS)
