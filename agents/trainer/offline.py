"""The Trainer's offline rules: argue from the training curve and the diagnosis; run the plan's training."""

from posttrain.run.context import RunContext
from posttrain.run.facts import Facts, Proposal


def proposal(ctx: RunContext) -> Proposal:
    from posttrain.tools.training import next_beta
    from posttrain.tools.training.sizing import sft_batch_size, sft_learning_rate, uses_lora

    facts = Facts.from_run(ctx)
    last = facts.last
    if last is None or last.training is None:
        mode = "LoRA" if uses_lora(facts.size) else "full"
        return Proposal("Trainer", f"Base model: {facts.size.describe()}; nothing trained yet.",
                        f"{mode} SFT at lr {sft_learning_rate(facts.size):g}, batch {sft_batch_size(facts.size)}",
                        rank=1)
    t, plan, kinds = last.training, last.plan, facts.finding_kinds
    evidence = t.describe() + "."
    if kinds & {"entropy_collapse", "reward_collapse", "kl_blowup"} and plan.method == "grpo":
        beta = next_beta(plan.beta, t.findings)
        return Proposal("Trainer", evidence, f"raise the KL anchor beta to {beta:g}", rank=3,
                        changes={"beta": beta}, why=f"{', '.join(sorted(kinds))}: anchor the policy to the reference")
    if kinds & {"loss_divergence", "kl_blowup"}:
        lr = plan.learning_rate / 3
        return Proposal("Trainer", evidence, f"retry at lr {lr:g}", rank=3, changes={"learning_rate": lr},
                        why="the loss diverged: a third of the learning rate")
    if "no_learning" in kinds:
        lr = plan.learning_rate * 3
        return Proposal("Trainer", evidence, f"retry at lr {lr:g}", rank=3, changes={"learning_rate": lr},
                        why="the loss did not move: three times the learning rate")
    if t.status != "succeeded":
        return Proposal("Trainer", evidence, "redo the run as planned; the error is not a training-dynamics failure",
                        rank=1)
    late = t.summary.get("late_improvement", 0.0)
    if facts.still_improving:
        changes = {"method": plan.method, "init_from": "latest"}  # the checkpoint that was still improving
        if plan.epochs:
            changes["epochs"] = plan.epochs * 2
        else:
            changes["max_steps"] = plan.max_steps * 2
        length = f"{changes['epochs']:g} epochs" if "epochs" in changes else f"{changes['max_steps']} steps"
        return Proposal("Trainer", evidence, f"continue {plan.method.upper()} from the latest checkpoint for {length}",
                        rank=2, changes=changes, why=f"the curve still improved {late:.0%} over the last third of the run")
    return Proposal("Trainer", evidence, "the curve is flat: change the method rather than train longer", rank=1)


def request(ctx: RunContext) -> str | None:
    it = ctx.iteration
    if it.index == 0 or it.plan is None or it.dataset is None or it.training is not None:
        return None
    arms = it.ablation.arms[1:] if it.ablation else []
    beside = "; beside it, as concurrent arms: " + ", ".join(f"{a.name} ({a.proposed_by})" for a in arms) if arms \
        else ""
    return f"run {it.plan.describe()}{beside}."


def work(ctx: RunContext) -> list[tuple[str, dict]]:
    it = ctx.iteration
    if request(ctx) is None:
        return []
    p = it.plan
    return [("launch_training", {"method": p.method, "max_steps": p.max_steps, "learning_rate": p.learning_rate,
                                 "init_from": p.init_from, "epochs": p.epochs, "beta": p.beta,
                                 "samples_per_prompt": p.samples_per_prompt})]
