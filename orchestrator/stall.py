"""`StallTermination`: ends a work phase in which the brain makes no progress.

Progress is a tool call that succeeded (data built, a model trained, a score measured). An LLM that only talks —
a small model that never calls tools, a Manager that names nobody — would otherwise run the work team to its message
cap, every turn a slow model call. After `turns` spoken turns without progress the phase stops; the loop says so
and ends the iteration with what was done (and the measurement it owes).
"""

from collections.abc import Sequence

from autogen_agentchat.base import TerminatedException, TerminationCondition
from autogen_agentchat.messages import BaseAgentEvent, BaseChatMessage, StopMessage, ToolCallExecutionEvent


STALL_TURNS = 6  # the offline playbook needs at most 3 turns between two tool calls (Manager, specialist, Manager)
STALL_ENV = "POSTTRAIN_BRAIN_STALL_TURNS"  # fewer for a smoke run on a slow CPU server (each turn is a model call)
STALLED = "stalled"


def stall_turns() -> int:
    import os

    from posttrain.tools.errors import ConfigError

    text = os.environ.get(STALL_ENV, "").strip()
    if not text:
        return STALL_TURNS
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(f"{STALL_ENV}={text!r} is not a positive whole number; unset it or give e.g. {STALL_ENV}=4")
    return int(text)


class StallTermination(TerminationCondition):
    def __init__(self, turns: int | None = None):
        self.turns = turns or stall_turns()
        self._idle = 0
        self._terminated = False

    @property
    def terminated(self) -> bool:
        return self._terminated

    async def __call__(self, messages: Sequence[BaseAgentEvent | BaseChatMessage]) -> StopMessage | None:
        if self._terminated:
            raise TerminatedException("the work phase already stopped for lack of progress")
        for message in messages:
            if isinstance(message, ToolCallExecutionEvent) and any(not r.is_error for r in message.content):
                self._idle = 0
            elif isinstance(message, BaseChatMessage) and message.source != "user":
                self._idle += 1
        if self._idle < self.turns:
            return None
        self._terminated = True
        return StopMessage(content=f"{STALLED}: {self._idle} turns without a successful tool call",
                           source="StallTermination")

    async def reset(self) -> None:
        self._idle, self._terminated = 0, False
