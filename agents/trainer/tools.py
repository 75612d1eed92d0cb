"""The Trainer's tools: `posttrain.tools.training` bound to the run (Ray, Trackio project = run dir name).

`launch_training` runs any registered method (`posttrain.tools.methods`: SFT, rejection-sampling fine-tuning, GRPO,
DPO) on this iteration's dataset; an on-policy method first samples the current model (RFT keeps what the benchmark's
scorer accepts, DPO pairs an accepted answer with a rejected one). With `epochs`, the steps follow from the rows actually built
and the batch size actually used, so no step count is guessed before the data exists. When the decision recorded
ablation arms, the same call trains them side by side with this run (the control) as concurrent Ray tasks
(`agents/trainer/arms.py`).
"""

import math
from collections.abc import Callable
from typing import Annotated, Literal

from posttrain.agents.trainer.report import TrainingReport
from posttrain.run.context import RunContext
from posttrain.tools.errors import ToolError
from posttrain.tools.methods import METHODS, MethodName, get_method


def steps_for(epochs: float | None, rows: int, per_step: int, max_steps: int) -> int:
    """Optimizer steps for `epochs` passes over `rows` at `per_step` rows a step, capped by `max_steps`."""
    if not epochs:
        return max_steps
    return max(1, min(max_steps, math.ceil(epochs * rows / per_step)))


def validation_fields(ctx: RunContext, plan) -> dict:
    """SFT on the built rows trains until the build's validation split stops improving (its loss, and the
    benchmark's scorer on greedy answers to its prompts); the plan's steps are then a cap. RFT trains on sampled
    answers, which the split's rows are not: it runs its steps."""
    dataset = ctx.iteration.dataset
    held = dataset.splits.get("validation") if dataset else None
    if not get_method(plan.method).validates or not held:
        return {}
    return {"validation_dataset": held, "validation_scorer": ctx.benchmark.spec}


def make_trainer_tools(ctx: RunContext) -> list[Callable]:
    from posttrain.agents.trainer.budget import (
        MIN_TRAINING_S,
        completion_tokens,
        fit_steps,
        step_cost,
        training_share_s,
    )
    from posttrain.run.events import Notice
    from posttrain.run.ledger import CONTROL, Plan
    from posttrain.tools.data.rft import items_from_dataset
    from posttrain.tools.training import DPOSpec, GRPOSpec, LoraSpec, SFTSpec, run_training
    from posttrain.tools.training.sizing import model_size, sft_batch_size, uses_lora

    def sft_spec(plan: Plan, common: dict, dataset: str, rows: int, model: str, size, label: str):
        """SFTSpec (SFT, RFT): steps from the rows and batch, fitted to the measured step cost and the budget."""
        batch, max_length = sft_batch_size(size), min(size.max_positions, 2048)
        steps = steps_for(plan.epochs, rows, batch, plan.max_steps)
        # batches are padded to their longest row, so the cap costs nothing: the model's context, within one
        # GPU's memory for a batch of full-length rows (2k tokens)
        cost = step_cost(ctx, model, dataset, batch_size=batch, lora=uses_lora(size), max_length=max_length,
                         learning_rate=plan.learning_rate)
        steps, planned_s, note = fit_steps(ctx, steps, cost, common.pop("answer_tokens"))
        if note:
            ctx.bus.publish(Notice(level="info", text=f"iteration {ctx.iteration.index}: {note}"))
        spec = SFTSpec(**{**common, **validation_fields(ctx, plan)}, max_steps=steps, batch_size=batch,
                       max_length=max_length)
        return spec, steps, planned_s

    def grpo_spec(plan: Plan, common: dict, dataset: str, rows: int, model: str, size, label: str):
        common.pop("answer_tokens")
        probe = GRPOSpec(benchmark=ctx.benchmark.spec, base_model=model, dataset=dataset)
        steps = steps_for(plan.epochs, rows, probe.prompts_per_step, plan.max_steps)
        budget = ctx.benchmark.answer_budget(bool(ctx.ledger.chat_format))
        return GRPOSpec(**common, max_steps=steps, benchmark=ctx.benchmark.spec, beta=plan.beta,
                        max_completion_length=min(budget, size.max_positions // 2)), steps, None

    def dpo_spec(plan: Plan, common: dict, dataset: str, rows: int, model: str, size, label: str):
        common.pop("answer_tokens")
        probe = DPOSpec(base_model=model, dataset=dataset)
        steps = steps_for(plan.epochs, rows, probe.batch_size, plan.max_steps)
        max_length = min(size.max_positions, 2048)
        return DPOSpec(**common, max_steps=steps, beta=plan.beta or probe.beta, max_length=max_length), steps, None

    specs = {"sft": sft_spec, "grpo": grpo_spec, "dpo": dpo_spec}  # by TRL trainer (tools/methods.py)
    assert set(specs) == {m.trainer for m in METHODS.values()}, "a registered trainer has no spec builder here"

    def train(plan: Plan, dataset: str, rows: int, *, label: str, progress=None, num_cpus: float | None = None,
              num_gpus: float | None = None):
        """One run of `plan` on `dataset` as a Ray task: (TrainingResult, steps). `label` names its folder
        (artifacts/<k>/train-<label>) and its Trackio run (iter<k>-<label>)."""
        iteration = ctx.iteration
        progress = progress or ctx.progress
        method = get_method(plan.method)
        model = ctx.model_for_next_training(plan.init_from)
        size = model_size(ctx.base_model_path)
        if method.on_policy:  # sample the model being trained: RFT's verified answers, DPO's pairs
            folder = f"{method.name}-data" if label == method.name else f"{method.name}-data-{label}"
            built = method.builder()(model, items_from_dataset(dataset), ctx.benchmark, ctx.artifacts / folder,
                                     samples_per_prompt=plan.samples_per_prompt,
                                     seed=ctx.config.seed + iteration.index, progress=progress)
            if label in (method.name, CONTROL):
                iteration.on_policy = built  # the sampled outcomes are facts for the next debate
            dataset, rows = built.path, built.n_rows
        resources = {k: v for k, v in (("num_cpus", num_cpus), ("num_gpus", num_gpus)) if v is not None}
        answer_tokens = completion_tokens(model, dataset) if method.costed else None
        # the run stops itself at this iteration's share of the budget (judging the result comes out of the rest)
        share = training_share_s(ctx, answer_tokens)
        common = dict(base_model=model, dataset=dataset, learning_rate=plan.learning_rate,
                      seed=ctx.config.seed + iteration.index,
                      time_budget_s=max(MIN_TRAINING_S, share) if share is not None else None,
                      lora=LoraSpec() if uses_lora(size) else None, **resources)
        spec, steps, planned_s = specs[method.trainer](plan, {**common, "answer_tokens": answer_tokens}, dataset,
                                                       rows, model, size, label)
        result = run_training(spec, ctx.artifacts / f"train-{label}", project=ctx.workspace.root.name,
                              run_name=f"iter{iteration.index}-{label}", progress=progress, cancel=ctx.cancel)
        # the curve stays in metrics.jsonl
        return result.model_copy(update={"metrics": [], "planned_s": planned_s}), steps

    def launch_training(
        method: Annotated[MethodName, "; ".join(f"{m.name} = {m.summary}" for m in METHODS.values())],
        max_steps: Annotated[int, "optimizer steps (an upper bound when epochs is given)"],
        learning_rate: Annotated[float, "peak learning rate, e.g. 1e-2 for tiny models, 1e-4 for LoRA"],
        init_from: Annotated[Literal["base", "best", "latest"], "base model, best-scoring or latest checkpoint"] = "best",
        epochs: Annotated[float | None, "passes over the dataset; steps then follow from its rows"] = None,
        beta: Annotated[float, "grpo: KL anchor to the reference model (0 = none); dpo: its temperature (0 = 0.1)"]
        = 0.0,
        samples_per_prompt: Annotated[int, "rft, dpo: answers sampled per prompt"] = 4,
    ) -> TrainingReport:
        """Train on this iteration's dataset as a Ray task (tracked in Trackio), then diagnose the run. Needs the
        DataEngineer's dataset first (sft: prompt/completion rows; rft, grpo and dpo: prompts with gold answers).
        When the Manager's decision recorded ablation arms, each arm (this run with the dissenter's fields changed)
        trains side by side with this run as a concurrent Ray task, each its own Trackio run.
        Returns status, loss/reward curve summary, checkpoint path and findings (and each arm's)."""
        iteration = ctx.iteration
        if iteration.dataset is None:
            raise ToolError("no dataset was built for this iteration; ask the DataEngineer to build one first")
        if learning_rate <= 0 or max_steps < 1:
            raise ToolError("learning_rate must be > 0 and max_steps >= 1; call again with valid values")
        asked = dict(method=method, max_steps=max_steps, learning_rate=learning_rate, init_from=init_from,
                     epochs=epochs, beta=beta, samples_per_prompt=samples_per_prompt)
        # the run as asked, unvalidated like the arguments themselves (a diverging learning rate is data, not an error)
        decided = iteration.plan or Plan.model_construct(n_train=iteration.dataset.n_rows, **asked)
        plan = decided.model_copy(update=asked)
        if iteration.ablation is not None and len(iteration.ablation.arms) > 1:
            from posttrain.agents.trainer.arms import train_arms

            return train_arms(ctx, plan, train)
        result, steps = train(plan, iteration.dataset.path, iteration.dataset.n_rows, label=method)
        iteration.training = result
        return TrainingReport(summary=result.describe(), status=result.status, checkpoint=result.checkpoint,
                              steps=steps, metrics_summary=result.summary,
                              findings=[f.model_dump() for f in result.findings])

    return [launch_training]
