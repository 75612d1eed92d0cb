"""Assemble the AgentChat team from specialists: a debate team (round robin, no tools) and a work team
(SelectorGroupChat whose deterministic selector routes Manager → @named specialist → Manager).

Every specialist, built-in or plug-in, gets two agents of the same name: a debater and a worker. They are separate
instances because one agent shared by two teams sees every message twice.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from posttrain.agents.manager import ManagerAgents, build_manager
from posttrain.agents.specialist import Specialist
from posttrain.run.context import RunContext


DEBATE_PROMPT = """You are the {name} of posttrain, in the debate that opens each iteration. You {stance}.
Read the measured results, say what they mean and propose the next step, with numbers. In a rebuttal round,
answer the other specialists by name where you disagree. Be brief: at most five sentences."""
MAX_WORK_MESSAGES = 40


@dataclass
class Team:
    specialists: dict[str, Specialist]
    manager: ManagerAgents
    debaters: list[Any]
    workers: dict[str, Any]
    debate: Any
    work: Any
    bound_tools: dict[str, list]
    stop_work: Any = None  # ExternalTermination: the loop ends the work phase after the turn in flight (brain budget)

    @property
    def debater_names(self) -> list[str]:
        return [d.name for d in self.debaters]

    def find_tool(self, name: str) -> tuple[str, Any]:
        """(owner, bound tool function) by tool name (the loop uses it to complete a step an LLM skipped)."""
        for agent, tools in self.bound_tools.items():
            for tool in tools:
                if getattr(tool, "__name__", "") == name:
                    return agent, tool
        raise KeyError(f"no specialist has a tool {name!r}")


def make_selector(names: Sequence[str]):
    """Deterministic routing; returns None (LLM selection) only when the Manager names nobody it knows."""
    from autogen_agentchat.messages import BaseChatMessage

    known = set(names)

    def select(thread):
        chat = [m for m in thread if isinstance(m, BaseChatMessage)]
        last = chat[-1]
        if last.source == "Manager":
            match = re.search(r"@(\w+)", last.to_text())
            return match.group(1) if match and match.group(1) in known else None
        return "Manager"

    return select


def build_team(ctx: RunContext, specialists: dict[str, Specialist], manager_client: Any, selector_client: Any,
               debate_rounds: int = 1, stall_turns: int | None = None) -> Team:
    from autogen_agentchat.agents import AssistantAgent
    from autogen_agentchat.conditions import ExternalTermination, MaxMessageTermination, TextMentionTermination
    from autogen_agentchat.teams import RoundRobinGroupChat, SelectorGroupChat
    from autogen_core.model_context import BufferedChatCompletionContext

    from posttrain.orchestrator.stall import StallTermination

    manager = build_manager(manager_client, ctx)
    debaters, workers, bound = [], {}, {}
    for name, spec in specialists.items():
        debaters.append(AssistantAgent(
            name, spec.model_client, description=spec.description,
            system_message=DEBATE_PROMPT.format(name=name, stance=spec.debate_stance),
            model_context=BufferedChatCompletionContext(buffer_size=30),
        ))
        tools = spec.all_tools(ctx)
        bound[name] = tools
        workers[name] = AssistantAgent(
            name, spec.model_client, tools=tools or None, description=spec.description,
            system_message=spec.system_message, reflect_on_tool_use=True, max_tool_iterations=3,
            model_context=BufferedChatCompletionContext(buffer_size=40),
        )
    debate = RoundRobinGroupChat(debaters, name="Debate", description="The specialists debate the latest results.",
                                 max_turns=len(debaters) * debate_rounds)
    stop_work = ExternalTermination()
    work = SelectorGroupChat(
        [manager.delegator, *workers.values()], model_client=selector_client,
        selector_func=make_selector(list(workers)), allow_repeated_speaker=True,
        termination_condition=TextMentionTermination("TERMINATE", sources=["Manager"])
        | MaxMessageTermination(MAX_WORK_MESSAGES) | StallTermination(stall_turns) | stop_work,
    )
    return Team(specialists=specialists, manager=manager, debaters=debaters, workers=workers, debate=debate,
                work=work, bound_tools=bound, stop_work=stop_work)
