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
        if messages and isinstance(messages[-1], FunctionExecutionResultMessage):
            return self._reflect(messages[-1])
        if self.role == "Manager":
            if "record_decision" in tools:
                return [self._call("record_decision", self._decision_args())]
            return self._delegate()
        if not tools:
            spoken = sum(1 for m in messages if isinstance(m, AssistantMessage))
            return self._debate_turn(rebuttal=spoken > 0, messages=messages)
        return self._work_calls(tools)

    def _call(self, name: str, arguments: dict) -> FunctionCall:
        index = self.playbook.ctx.iteration.index
        return FunctionCall(id=f"{self.role}-{index}-{name}", name=name, arguments=json.dumps(arguments))

    def _reflect(self, result: FunctionExecutionResultMessage) -> str:
        parts = []
        for item in result.content:
            if item.is_error:
                parts.append(f"{item.name} failed: {item.content}")
                continue
            try:
                parts.append(json.loads(item.content).get("summary") or item.content)
            except (json.JSONDecodeError, AttributeError):
                parts.append(item.content)
        return " ".join(parts)

    # Manager ----------------------------------------------------------------------------------------------------
    def _decision_args(self) -> dict:
        playbook = self.playbook
        plan = playbook.next_plan()
        proposals = [playbook.proposal(name) for name in self._debaters()]
        dissent = playbook.dissent(plan, proposals)
        source = {"base": "base model", "best": "best checkpoint", "latest": "latest checkpoint"}[plan.init_from]
        decision = (f"{plan.method.upper()} from the {source} for {plan.max_steps} steps at lr {plan.learning_rate:g} "
                    f"on {plan.n_train} rows, because {plan.rationale}.")
        return {"decision": decision, "method": plan.method, "init_from": plan.init_from,
                "max_steps": plan.max_steps, "learning_rate": plan.learning_rate, "n_train": plan.n_train,
                "rationale": plan.rationale, "dissent": dissent}

    def _debaters(self) -> list[str]:
        return [name for name in self.specialists if name != "Manager"]

    def _delegate(self) -> str:
        ctx = self.playbook.ctx
        it = ctx.iteration
        asked = self._asked.setdefault(it.index, [])

        def ask(name: str, request: str) -> str:
            asked.append(name)
            return f"@{name} {request}"

        if it.index == 0:
            if ctx.ledger.baseline is None and "Evaluator" not in asked:
                return ask("Evaluator", f"measure the baseline of the base model on {ctx.config.benchmark}.")
            return "Baseline recorded. TERMINATE"
        plan = it.plan
        if not it.techniques and "Librarian" not in asked:
            return ask("Librarian", f"find techniques and papers for: {plan.method.upper()} — {plan.rationale}.")
        if it.dataset is None and "DataEngineer" not in asked:
            fmt = "grpo" if plan.method == "grpo" else "sft"
            return ask("DataEngineer", f"build {plan.n_train} {fmt} rows for {ctx.config.benchmark}, decontaminated.")
        if it.dataset is None:
            return "No dataset could be built; ending the iteration so the team can debate it. TERMINATE"
        if it.training is None and "Trainer" not in asked:
            return ask("Trainer", f"run {plan.method.upper()} for {plan.max_steps} steps at lr {plan.learning_rate:g} "
                                  f"from the {plan.init_from} checkpoint.")
        if not it.trained:
            error = (it.training or {}).get("error") or "no checkpoint"
            return f"Training did not succeed ({error}); the diagnosis is on record for the next debate. TERMINATE"
        if it.evaluation is None and "Evaluator" not in asked:
            return ask("Evaluator", "evaluate the new checkpoint and compare it with the best so far (paired test).")
        for name, spec in self.specialists.items():
            if not getattr(spec, "builtin", True) and name not in asked:
                return ask(name, "review this iteration's results with your tools.")
        return "Iteration complete; results are in the ledger. TERMINATE"

    # Specialists -------------------------------------------------------------------------------------------------
    def _debate_turn(self, *, rebuttal: bool, messages: Sequence[LLMMessage]) -> str:
        spec = self.specialists.get(self.role)
        if spec is not None and getattr(spec, "offline_debate", None):
            own = spec.offline_debate(self.playbook.ctx)
            return f"{own} [offline playbook]"
        proposal = self.playbook.proposal(self.role)
        if not rebuttal:
            return f"{proposal.text()} [offline playbook]"
        others = [self.playbook.proposal(name) for name in self._debaters() if name != self.role]
        disagree = [p for p in others if p.method and proposal.method and p.method != proposal.method]
        if not disagree:
            return f"Rebuttal: no disagreement on the method ({proposal.method}); I stand by: {proposal.action}. [offline playbook]"
        names = ", ".join(f"{p.speaker} ('{p.action}')" for p in disagree)
        return (f"Rebuttal to {names}: my evidence stands — {proposal.evidence} So I still propose: "
                f"{proposal.action}. [offline playbook]")

    def _work_calls(self, tools: set[str]) -> list[FunctionCall] | str:
        ctx = self.playbook.ctx
        plan = ctx.iteration.plan
        wanted: dict[str, dict] = {}
        if self.role == "Librarian" and "find_techniques" in tools:
            query = f"{ctx.config.goal} {plan.method if plan else ''}".strip()
            wanted["find_techniques"] = {"query": query}
        elif self.role == "DataEngineer" and "build_dataset" in tools and plan:
            wanted["build_dataset"] = {"fmt": "grpo" if plan.method == "grpo" else "sft", "n_rows": plan.n_train}
        elif self.role == "Trainer" and "launch_training" in tools and plan:
            wanted["launch_training"] = {"method": plan.method, "max_steps": plan.max_steps,
                                         "learning_rate": plan.learning_rate, "init_from": plan.init_from}
        elif self.role == "Evaluator" and "evaluate_checkpoint" in tools:
            wanted["evaluate_checkpoint"] = {}
        else:  # plug-ins: every tool that needs no arguments
            spec = self.specialists.get(self.role)
            for tool in (spec.all_tools(ctx) if spec else []):
                if _no_required_args(tool):
                    wanted[tool.__name__] = {}
        if not wanted:
            return f"I have no tool for this step. [offline playbook, role {self.role}]"
        return [self._call(name, args) for name, args in wanted.items()]


def _no_required_args(func: Any) -> bool:
    import inspect

    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return False
    return all(p.default is not inspect.Parameter.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)
