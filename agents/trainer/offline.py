"""The Trainer's offline rules: argue from the training curve and the diagnosis; run the plan's training."""

from posttrain.run.context import RunContext
from posttrain.run.facts import Facts, Proposal
from posttrain.tools.methods import get_method


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
    if kinds & get_method(plan.method).collapse_kinds:  # the method's own collapse (GRPO's): anchor it harder
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
    by_validation = validation_proposal(facts, evidence)
    if by_validation is not None:
        return by_validation
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
    held = it.dataset.splits.get("validation") if get_method(it.plan.method).validates else None
    until = ", until the validation split stops improving (the passes are a cap)" if held else ""
    return f"run {it.plan.describe()}{until}{beside}."


def work(ctx: RunContext) -> list[tuple[str, dict]]:
    it = ctx.iteration
    if request(ctx) is None:
        return []
    p = it.plan
    return [("launch_training", {"method": p.method, "max_steps": p.max_steps, "learning_rate": p.learning_rate,
                                 "init_from": p.init_from, "epochs": p.epochs, "beta": p.beta,
                                 "samples_per_prompt": p.samples_per_prompt})]


# Reduce-on-plateau: a validation plateau at a constant rate is that rate's noise floor (the steps are too large to
# settle lower), not the method's; the same data at a third of the rate goes further. Below a tenth of the measured
# rate (two reductions) the steps no longer move the loss within a run's cap, and a plateau there is the method's.
PLATEAU_RATE_FACTOR = 3.0
LOWEST_RATE_SHARE = 0.1


def validation_proposal(facts: Facts, evidence: str) -> Proposal | None:
    """The SFT curve judged on the validation split (tools/training/convergence.py): the rate by evidence, then
    continue or anneal. None when the last run had no validation split (the training-loss rules apply)."""
    from posttrain.tools.training.sizing import sft_learning_rate

    v, plan = facts.validation, facts.last.plan
    if not v.get("validations") or not get_method(plan.method).validates:
        return None
    shown = (f"validation loss {v.get('first_val_loss', 0):.3f} → best {v.get('best_val_loss', 0):.3f} at step "
             f"{v.get('val_best_step', 0):g}" + (f", score best {v['best_val_score']:.3f}" if "best_val_score" in v
                                                  else ""))
    first_step_best = v.get("validations", 0) >= 3 and v.get("best_val_loss") == v.get("first_val_loss") \
        and not v.get("best_val_score")
    if first_step_best:
        lr = plan.learning_rate / PLATEAU_RATE_FACTOR
        return Proposal("Trainer", evidence, f"restart from the base model at lr {lr:g}", rank=3,
                        changes={"learning_rate": lr, "init_from": "base", "method": "sft", "epochs": plan.epochs},
                        why=f"{shown}: the first validation was the best, the rate overshoots")
    if facts.still_improving:
        return Proposal("Trainer", evidence, "continue SFT from the latest checkpoint at the same rate", rank=2,
                        changes={"method": "sft", "init_from": "latest", "learning_rate": plan.learning_rate,
                                 "epochs": plan.epochs},
                        why=f"{shown}: validation still improved when the run reached its cap")
    lr = plan.learning_rate / PLATEAU_RATE_FACTOR
    if lr >= LOWEST_RATE_SHARE * sft_learning_rate(facts.size):
        return Proposal("Trainer", evidence, f"continue SFT from the best validated weights at lr {lr:g}", rank=2,
                        changes={"method": "sft", "init_from": "latest", "learning_rate": lr, "epochs": plan.epochs},
                        why=f"{shown}, then no gain: a plateau at a constant rate is that rate's noise floor")
    return Proposal("Trainer", evidence, "validation plateaued after the rate was annealed: change the method or "
                    "the data rather than train longer", rank=1)
