"""The Manager's tool: record the decision that closes each debate (plan + dissent) in the ledger."""

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel

from posttrain.orchestrator.context import RunContext
from posttrain.orchestrator.ledger import Plan
from posttrain.tools.errors import ToolError


class RecordedDecision(BaseModel):
    summary: str
    plan: Plan
    dissent: list[str]


def make_manager_tools(ctx: RunContext) -> list[Callable]:
    def record_decision(
        decision: Annotated[str, "the decision in one or two sentences, with the numbers behind it"],
        method: Annotated[Literal["sft", "grpo"], "training method for this iteration"],
        max_steps: Annotated[int, "optimizer steps (1-100000)"],
        learning_rate: Annotated[float, "peak learning rate"],
        n_train: Annotated[int, "training rows the DataEngineer should build"],
        rationale: Annotated[str, "why: the measured results that drove it"],
        dissent: Annotated[list[str], "each specialist you overruled: 'Name: what they proposed'"],
        init_from: Annotated[Literal["base", "best", "latest"], "start from the base model, best-scoring or latest checkpoint"] = "best",
    ) -> RecordedDecision:
        """Record this iteration's plan and the dissent from the debate. Call exactly once after the debate."""
        if not 0 < max_steps <= 100_000 or not 0 < learning_rate < 1 or not 0 < n_train <= 10_000_000:
            raise ToolError("max_steps must be 1-100000, learning_rate in (0, 1), n_train 1-10^7; call again")
        plan = Plan(method=method, init_from=init_from, max_steps=max_steps, learning_rate=learning_rate,
                    n_train=n_train, seed=ctx.config.seed + ctx.iteration.index, rationale=rationale)
        iteration = ctx.iteration
        iteration.plan, iteration.decision, iteration.dissent = plan, decision, list(dissent)
        note = f" Dissent: {'; '.join(dissent)}." if dissent else " No dissent."
        return RecordedDecision(summary=f"Decision for iteration {iteration.index}: {decision}{note}",
                                plan=plan, dissent=list(dissent))

    return [record_decision]
