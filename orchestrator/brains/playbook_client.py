"""`PlaybookClient`: the offline brain as an AgentChat ChatCompletionClient.

It reads no prompt semantics: it looks at who is asking (its role), which tools are offered, and the ledger, and
answers with the playbook's tool calls or turns of speech. Agents, teams, tools and transcripts run exactly as with
an LLM, which is why the offline run exercises the real system.
"""

import json
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any

from autogen_core import CancellationToken, FunctionCall
from autogen_core.models import (
    AssistantMessage,
    ChatCompletionClient,
    CreateResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    ModelFamily,
    ModelInfo,
    RequestUsage,
)
from autogen_core.tools import Tool, ToolSchema

from posttrain.orchestrator.brains.playbook import Playbook


PLAYBOOK_INFO = ModelInfo(vision=False, function_calling=True, json_output=False, family=ModelFamily.UNKNOWN,
                          structured_output=False, multiple_system_messages=True)


def _tool_name(tool: Tool | ToolSchema) -> str:
    return tool["name"] if isinstance(tool, Mapping) else tool.schema["name"]


def _text(message: LLMMessage) -> str:
    content = getattr(message, "content", "")
    return content if isinstance(content, str) else json.dumps(content, default=str)


class PlaybookClient(ChatCompletionClient):
    """Deterministic, rule-based stand-in for a model, one per role. Says so in every debate turn it writes."""

    def __init__(self, brain: Any, role: str | None = None, *, specialists: Mapping[str, Any] | None = None):
        self._brain = brain  # the playbook is attached once the run exists (Brain.bind)
        self.role = role
        self.specialists = specialists if specialists is not None else {}
        self._usage = RequestUsage(prompt_tokens=0, completion_tokens=0)
        self._asked: dict[int, list[str]] = {}

    @property
    def playbook(self) -> Playbook:
        return self._brain.playbook

    # -- ChatCompletionClient interface -------------------------------------------------------------------------
    async def create(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = (),
                     tool_choice: Any = "auto", json_output: Any = None, extra_create_args: Mapping[str, Any] = {},
                     cancellation_token: CancellationToken | None = None) -> CreateResult:
        content = self._decide(messages, {_tool_name(t) for t in tools} if tool_choice != "none" else set())
        is_call = isinstance(content, list)
        return CreateResult(finish_reason="function_calls" if is_call else "stop", content=content,
                            usage=self._usage, cached=False)

    async def create_stream(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = (),
                            tool_choice: Any = "auto", json_output: Any = None,
                            extra_create_args: Mapping[str, Any] = {},
                            cancellation_token: CancellationToken | None = None) -> AsyncGenerator[str | CreateResult, None]:
        yield await self.create(messages, tools=tools, tool_choice=tool_choice)

    async def close(self) -> None:
        return None

    def actual_usage(self) -> RequestUsage:
        return self._usage

    def total_usage(self) -> RequestUsage:
        return self._usage

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()) -> int:
        return sum(len(_text(m).split()) for m in messages)

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()) -> int:
        return 1_000_000

    @property
    def capabilities(self) -> ModelInfo:  # deprecated in autogen, still abstract
        return PLAYBOOK_INFO

    @property
    def model_info(self) -> ModelInfo:
        return PLAYBOOK_INFO

    # -- the rules ------------------------------------------------------------------------------------------------
    def _decide(self, messages: Sequence[LLMMessage], tools: set[str]) -> str | list[FunctionCall]:
        if self.role == "Manager":
            if "record_decision" in tools:
                if messages and isinstance(messages[-1], FunctionExecutionResultMessage):
                    return self._reflect(messages[-1])
                return [self._call("record_decision", self._decision_args())]
            return self._delegate()
        if not tools:
            spoken = sum(1 for m in messages if isinstance(m, AssistantMessage))
            return self._debate_turn(rebuttal=spoken > 0)
        return self._work(messages, tools)

    def _call(self, name: str, arguments: dict) -> FunctionCall:
        index = self.playbook.ctx.iteration.index
        return FunctionCall(id=f"{self.role}-{index}-{name}", name=name, arguments=json.dumps(arguments))

    def _reflect(self, result: FunctionExecutionResultMessage, *, summaries_only: bool = False) -> str:
        """What the tools said: each result's one-line summary (or its error); the raw result where it has no
        summary, unless `summaries_only` (a search listing is evidence for the next call, not for the team)."""
        parts = []
        for item in result.content:
            if item.is_error:
                parts.append(f"{item.name} failed: {item.content}")
                continue
            try:
                summary = json.loads(item.content).get("summary")
            except (json.JSONDecodeError, AttributeError):
                summary = None
            if summary or not summaries_only:
                parts.append(summary or item.content)
        return " ".join(parts)

    # Manager ----------------------------------------------------------------------------------------------------
    def _decision_args(self) -> dict:
        decision = self.playbook.decision()
        plan = decision.plan
        return {"decision": decision.text, "dissent": decision.dissent,
                **plan.model_dump(exclude={"seed"}, exclude_none=True),
                "ablation_arms": [arm.model_dump(exclude_none=True) for arm in decision.arms]}

    def _delegate(self) -> str:
        """Ask, in team order, the first specialist whose own rule says it has work pending; a specialist asked
        once whose step is still pending failed, so the iteration ends and the debate takes it up."""
        ctx = self.playbook.ctx
        it = ctx.iteration
        asked = self._asked.setdefault(it.index, [])
        for name, spec in self.specialists.items():
            if name == "Manager":
                continue
            request = spec.offline_request(ctx) if getattr(spec, "offline_request", None) else None
            if request is None and not getattr(spec, "builtin", True) and it.index > 0 and it.trained:
                request = "review this iteration's results with your tools." if name not in asked else None
            if request is None:
                continue
            if name in asked:
                why = it.blocked or f"{name}'s step did not complete"
                return f"{why}. Ending the iteration so the team can debate it. TERMINATE"
            asked.append(name)
            return f"@{name} {request}"
        if it.index == 0:
            return "Baseline measured. TERMINATE" if ctx.ledger.baseline else "No baseline could be measured. TERMINATE"
        if it.blocked:
            return f"Blocked: {it.blocked}. TERMINATE"
        return "Iteration complete; results are in the ledger. TERMINATE"

    # Specialists -------------------------------------------------------------------------------------------------
    def _debate_turn(self, *, rebuttal: bool) -> str:
        playbook, ledger = self.playbook, self.playbook.ctx.ledger
        own = playbook.proposal(self.role)
        text = own.text() if own.action else own.evidence
        previous = next((it for it in reversed(ledger.iterations[:-1]) if self.role in it.debate), None)
        if previous and previous.debate[self.role].startswith(text):
            return (f"Nothing new since iteration {previous.index}"
                    + (f"; my proposal stands: {own.action}." if own.action else ".") + " [offline playbook]")
        if not rebuttal:
            return f"{text} [offline playbook]"
        others = [p for p in playbook.proposals() if p.speaker != self.role and p.changes]
        disagree = [p for p in others if any(own.changes.get(k, v) != v for k, v in p.changes.items())]
        if not disagree:
            return f"Rebuttal: no disagreement with my proposal ({own.action or 'none'}). [offline playbook]"
        names = ", ".join(f"{p.speaker} ('{p.action}', rank {p.rank})" for p in disagree)
        return (f"Rebuttal to {names}: my evidence stands (rank {own.rank}) — {own.evidence} So I still propose: "
                f"{own.action}. [offline playbook]")

    def _work(self, messages: Sequence[LLMMessage], tools: set[str]) -> list[FunctionCall] | str:
        ctx = self.playbook.ctx
        last = messages[-1] if messages and isinstance(messages[-1], FunctionExecutionResultMessage) else None
        spec = self.specialists.get(self.role)
        rule = getattr(spec, "offline_work", None)
        if rule is not None:
            failed = {item.name for item in last.content if item.is_error} if last else set()
            calls = [(name, args) for name, args in rule(ctx) if name in tools and name not in failed]
        elif last is None:  # a plug-in without a work rule: every tool that needs no arguments, once
            calls = [(tool.__name__, {}) for tool in (spec.all_tools(ctx) if spec else []) if _no_required_args(tool)]
        else:
            calls = []
        if calls:
            return [self._call(name, args) for name, args in calls]
        if last is not None:  # every result of this turn's tool calls, not only the last (evaluation, then decoding)
            said = [self._reflect(result, summaries_only=True) for result in _this_turns_results(messages)]
            return " ".join(text for text in said if text) or self._reflect(last)
        return f"I have no tool for this step. [offline playbook, role {self.role}]"


def _this_turns_results(messages: Sequence[LLMMessage]) -> list[FunctionExecutionResultMessage]:
    """The tool results at the end of the conversation: this agent's calls since the last spoken message."""
    results = []
    for message in reversed(messages):
        if isinstance(message, FunctionExecutionResultMessage):
            results.append(message)
        elif not (isinstance(message, AssistantMessage) and isinstance(message.content, list)):
            break
    return results[::-1]


def _no_required_args(func: Any) -> bool:
    import inspect

    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return False
    return all(p.default is not inspect.Parameter.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)
