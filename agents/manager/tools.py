"""The Manager's tool: record the decision that closes each debate (plan + dissent) in the ledger."""

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, ValidationError

from posttrain.agents.manager.ablation import ArmRequest, detect_resources, plan_ablation
from posttrain.run.context import RunContext
from posttrain.run.ledger import Plan
from posttrain.tools.errors import ToolError
from posttrain.tools.methods import METHODS, MethodName


class RecordedDecision(BaseModel):
    summary: str
    plan: Plan
    dissent: list[str]


def make_manager_tools(ctx: RunContext) -> list[Callable]:
    def record_decision(
        decision: Annotated[str, "the decision in one or two sentences, with the numbers behind it"],
        method: Annotated[MethodName, "; ".join(f"{m.name} = {m.summary}" for m in METHODS.values())],
        max_steps: Annotated[int, "optimizer steps (1-100000); an upper bound when epochs is given"],
        learning_rate: Annotated[float, "peak learning rate, in (0, 1)"],
        n_train: Annotated[int, "at most this many training rows (prompts for rft/grpo/dpo), 1-10^7"],
        rationale: Annotated[str, "why: the measured results that drove it"],
        dissent: Annotated[list[str], "each specialist you overruled: 'Name: what they proposed'"],
        init_from: Annotated[Literal["base", "best", "latest"], "start from the base model, best-scoring or latest checkpoint"] = "best",
        epochs: Annotated[float | None, "passes over the data; the Trainer derives steps from the rows built"] = None,
        beta: Annotated[float, "grpo: KL anchor to the reference (0 = none); dpo: its temperature (e.g. 0.1)"] = 0.0,
        samples_per_prompt: Annotated[int, "rft, dpo: answers sampled per prompt"] = 4,
        technique: Annotated[str, "the technique applied, e.g. 'GRPO (DeepSeekMath)'"] = "",
        paper: Annotated[str, "arXiv id it comes from, e.g. 'arxiv:2402.03300'"] = "",
        adopted_from: Annotated[str, "whose proposal the decision adopts (e.g. 'Trainer')"] = "Manager",
        ablation_arms: Annotated[list[ArmRequest] | None, "a dissent a training run can settle: each arm is this "
                                 "plan with the dissenter's fields changed, trained side by side with it and compared "
                                 "by a paired test; run only when the cluster has room"] = None,
    ) -> RecordedDecision:
        """Record this iteration's plan and the dissent from the debate. Call exactly once after the debate.
        Give `ablation_arms` when a dissent could be settled by measuring it: the best-scoring arm becomes this
        iteration's result, and the summary says whether the arms run (cluster room, --max-arms) and why."""
        try:
            plan = Plan(method=method, init_from=init_from, max_steps=max_steps, learning_rate=learning_rate,
                        n_train=n_train, seed=ctx.config.seed + ctx.iteration.index, rationale=rationale,
                        epochs=epochs, beta=beta, samples_per_prompt=samples_per_prompt, technique=technique,
                        paper=paper, adopted_from=adopted_from)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ToolError(f"invalid plan ({problems}); call record_decision again with valid values") from None
        iteration = ctx.iteration
        max_arms = ctx.config.max_arms if ctx.config.ablation else 1
        ablation, why = plan_ablation(plan, list(ablation_arms or []), max_arms=max_arms, resources=detect_resources)
        decision = f"{decision} {why}".strip()
        iteration.plan, iteration.decision, iteration.dissent = plan, decision, list(dissent)
        iteration.ablation = ablation
        note = f" Dissent: {'; '.join(dissent)}." if dissent else " No dissent."
        return RecordedDecision(summary=f"Decision for iteration {iteration.index}: {decision}{note}",
                                plan=plan, dissent=list(dissent))

    return [record_decision]
