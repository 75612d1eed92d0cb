"""The Manager: decides after each debate (a tool call that records plan and dissent) and delegates the work."""

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from posttrain.agents.prompts import load_prompt


class ManagerConfig(BaseModel):
    name: str = Field("Manager", description="Agent name in the team and the transcript.")
    description: str = Field("Owns the goal and the budget; decides after each debate and delegates the work.",
                             description="What the selector reads.")


@dataclass
class ManagerAgents:
    """Two AgentChat agents of one role: the decider (debate phase) and the delegator (work phase).

    Separate instances, because one agent in two teams would see every message twice (autogen trap)."""

    decider: Any
    delegator: Any


def build_manager(model_client, ctx) -> ManagerAgents:
    from autogen_agentchat.agents import AssistantAgent
    from autogen_core.model_context import BufferedChatCompletionContext

    from posttrain.agents.manager.tools import make_manager_tools

    config = ManagerConfig()
    decider = AssistantAgent(
        config.name, model_client, tools=make_manager_tools(ctx), description=config.description,
        system_message=load_prompt("manager", file="decision_prompt.md"),
        reflect_on_tool_use=True, max_tool_iterations=2,  # an invalid plan gets its validation error back once
        model_context=BufferedChatCompletionContext(buffer_size=30),
    )
    delegator = AssistantAgent(
        config.name, model_client, description=config.description, system_message=load_prompt("manager"),
        model_context=BufferedChatCompletionContext(buffer_size=40),
    )
    return ManagerAgents(decider=decider, delegator=delegator)

