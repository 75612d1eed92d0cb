"""`MeteredClient`: one agent's view of the endpoint brain — bounded requests, counted tokens, caught loops.

Each agent gets its own wrapper around the run's shared `ResilientClient`, so the `BrainMeter` knows who asked:

- every request carries a `max_tokens` that fits its purpose (`MAX_TOKENS`: a debate turn, the decision, a
  delegation, a work step, the goal reading) — without it a small local model repeats its prompt for 1,024 tokens;
- the screen (and the event stream) says what the run waits for, and for how long at most, before each request;
- tokens are counted per agent and iteration from the response's usage, estimated when the server sends none;
- a request longer than the model's context (minus its `max_tokens` and a margin) is compacted, never sent;
- what the server or model does not do (call tools, several calls at once) is noted once per run;
- the same tool called with the same arguments three times in a row, or a turn that repeats the previous one,
  gets one corrective re-ask; if the model insists, the turn ends so the Manager's turn moves on.

    client = MeteredClient(resilient, meter, role="Librarian")
"""

import json
import os
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any

from autogen_core import CancellationToken, FunctionCall
from autogen_core.models import (
    AssistantMessage,
    ChatCompletionClient,
    CreateResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    ModelInfo,
    RequestUsage,
    UserMessage,
)
from autogen_core.tools import Tool, ToolSchema

from posttrain.orchestrator.brains.meter import BrainMeter


MAX_TOKENS = {"debate turn": 256, "decision": 512, "delegation": 128, "work step": 384, "speaker selection": 16,
              "goal reading": 256}
REPEATS = 3  # the same call this many times in a row is a loop
MIN_REPEATED_WORDS = 12  # a short turn ("Decision recorded.") may well be said again; a long one repeated is a loop
CAP_ENV = "POSTTRAIN_BRAIN_MAX_TOKENS"  # a lower cap on every request's max_tokens (smoke tests on a slow CPU server)


def max_tokens_for(purpose: str) -> int:
    from posttrain.tools.errors import ConfigError

    text = os.environ.get(CAP_ENV, "").strip()
    if not text:
        return MAX_TOKENS[purpose]
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(f"{CAP_ENV}={text!r} is not a positive whole number; unset it or give e.g. {CAP_ENV}=64")
    return min(MAX_TOKENS[purpose], int(text))


def purpose_of(role: str | None, tools: set[str], json_output: Any) -> str:
    if role == "goal":
        return "goal reading"
    if role == "Selector":
        return "speaker selection"
    if "record_decision" in tools:
        return "decision"
    if role == "Manager":
        return "delegation"
    return "work step" if tools else "debate turn"


def _calls(content: Any) -> list[tuple[str, str]]:
    if not isinstance(content, list):
        return []
    return [(c.name, _canonical(c.arguments)) for c in content if isinstance(c, FunctionCall)]


def _canonical(arguments: str) -> str:
    try:
        return json.dumps(json.loads(arguments), sort_keys=True)
    except (json.JSONDecodeError, TypeError):
        return arguments


def repeated_call(messages: Sequence[LLMMessage], result: CreateResult) -> str | None:
    """The tool name when `result` makes the same call as the REPEATS-1 tool calls just before it; else None."""
    new = _calls(result.content)
    if not new:
        return None
    run = 1
    for message in reversed(messages):
        if isinstance(message, FunctionExecutionResultMessage):
            continue
        if isinstance(message, AssistantMessage) and _calls(message.content) == new:
            run += 1
            if run >= REPEATS:
                return new[0][0]
            continue
        break
    return None


def repeated_turn(messages: Sequence[LLMMessage], result: CreateResult) -> bool:
    """True when the text answer repeats this agent's previous spoken turn word for word (a long turn only)."""
    if not isinstance(result.content, str) or len(result.content.split()) < MIN_REPEATED_WORDS:
        return False
    previous = next((m for m in reversed(messages) if isinstance(m, AssistantMessage)
                     and isinstance(m.content, str)), None)
    return previous is not None and " ".join(previous.content.split()) == " ".join(result.content.split())


class MeteredClient(ChatCompletionClient):
    """The shared endpoint client as seen by one role; usage, bounds and notes go to the `BrainMeter`."""

    def __init__(self, inner: ChatCompletionClient, meter: BrainMeter, role: str | None):
        self.inner, self.meter, self.role = inner, meter, role

    async def create(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = (),
                     tool_choice: Any = "auto", json_output: Any = None, extra_create_args: Mapping[str, Any] = {},
                     cancellation_token: CancellationToken | None = None) -> CreateResult:
        offered = {t["name"] if isinstance(t, Mapping) else t.schema["name"] for t in tools}
        purpose = purpose_of(self.role, offered, json_output)
        limit = int(extra_create_args.get("max_tokens") or max_tokens_for(purpose))
        kwargs = dict(tools=tools, tool_choice=tool_choice, json_output=json_output,
                      extra_create_args={**extra_create_args, "max_tokens": limit},
                      cancellation_token=cancellation_token)
        asked = self.meter.fit(list(messages), limit, who=self._who(purpose))
        result = await self._call(asked, purpose, limit, kwargs)
        after_call = bool(asked) and isinstance(asked[-1], FunctionExecutionResultMessage)  # text may end a tool loop
        if offered and tool_choice != "none" and not after_call and not isinstance(result.content, list):
            self.meter.note_once("no tool calls", "the brain answered in text where tools were offered (this "
                                 "model does not call tools): each step it skips falls back as documented")
        if isinstance(result.content, list) and len(result.content) > 1:
            self.meter.note_once("parallel calls", f"the brain made {len(result.content)} tool calls at once "
                                 "(parallel calls are off): only the first is run, each time")
            result = result.model_copy(update={"content": result.content[:1]})
        return await self._guard(asked, result, purpose, limit, kwargs)

    def _who(self, purpose: str) -> str:
        return purpose if self.role in (None, "goal", "Selector") else f"{self.role}'s {purpose}"

    async def _call(self, messages: list[LLMMessage], purpose: str, limit: int, kwargs: dict) -> CreateResult:
        self.meter.waiting(self._who(purpose), limit)
        result = await self.inner.create(messages, **kwargs)
        self.meter.record(self.role or "agent", messages, result)
        return result

    async def _guard(self, messages: list[LLMMessage], result: CreateResult, purpose: str, limit: int,
                     kwargs: dict) -> CreateResult:
        """One corrective re-ask for a repeated call or turn; then the turn ends (a call) or moves on (a turn)."""
        tool = repeated_call(messages, result)
        if tool is not None:
            note = (f"You have called {tool} with the same arguments {REPEATS} times in a row; its result will not "
                    "change. Use the result you already have and answer in text, or call a different tool.")
            self.meter.say(f"{self.role} called {tool} with the same arguments {REPEATS} times in a row: one "
                           "corrective message sent", level="warning")
            again = await self._call([*messages, UserMessage(content=note, source="posttrain")], purpose, limit,
                                     kwargs)
            if repeated_call(messages, again) is None:
                return again
            self.meter.say(f"{self.role} repeated {tool} again: its turn ends and the Manager moves on",
                           level="warning")
            return CreateResult(finish_reason="stop", content=f"(posttrain stopped a loop: {tool} was called with "
                                "the same arguments again; moving on.)", usage=again.usage, cached=False)
        if repeated_turn(messages, result):
            self.meter.say(f"{self.role}'s turn repeated its previous turn: one corrective message sent",
                           level="warning")
            note = "Your reply repeats your previous turn word for word. Say only what is new, in two sentences."
            again = await self._call([*messages, UserMessage(content=note, source="posttrain")], purpose, limit,
                                     kwargs)
            if repeated_turn(messages, again):
                self.meter.say(f"{self.role} repeated itself again: the Manager's turn moves on", level="warning")
            return again
        return result

    async def create_stream(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = (),
                            tool_choice: Any = "auto", json_output: Any = None,
                            extra_create_args: Mapping[str, Any] = {},
                            cancellation_token: CancellationToken | None = None
                            ) -> AsyncGenerator[str | CreateResult, None]:
        yield await self.create(messages, tools=tools, tool_choice=tool_choice, json_output=json_output,
                                extra_create_args=extra_create_args, cancellation_token=cancellation_token)

    async def close(self) -> None:
        return None  # the shared client is closed once, by the Brain

    def actual_usage(self) -> RequestUsage:
        return self.inner.actual_usage()

    def total_usage(self) -> RequestUsage:
        return self.inner.total_usage()

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()) -> int:
        return self.meter.count(messages)

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()) -> int:
        return max((self.meter.context_tokens or 1_000_000) - self.meter.count(messages), 0)

    @property
    def capabilities(self) -> ModelInfo:  # deprecated in autogen, still abstract
        return self.inner.model_info

    @property
    def model_info(self) -> ModelInfo:
        return self.inner.model_info

    @property
    def failure(self):
        return getattr(self.inner, "failure", None)


__all__ = ["MeteredClient", "MAX_TOKENS", "purpose_of", "repeated_call", "repeated_turn"]
