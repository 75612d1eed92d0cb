"""The Manager's offline rule: a default plan from the technique catalogue's conditions, then the debate's measured
proposals override it field by field, strongest evidence first.

Not a language model: same ledger, same plan. Every number below follows from the model's size, the data actually
built and the time left; each constant says where it comes from.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from posttrain.agents.manager.ablation import ArmRequest, measurable_dissent
from posttrain.run.facts import RFT_CONFIDENCE, RFT_MAX_K, RFT_MIN_K, Facts, Proposal, applicable_techniques
from posttrain.run.ledger import Plan
from posttrain.tools.methods import MethodName


# Common SFT recipes on pretrained models make 2–3 passes over the data (FLAN, Alpaca, Tulu).
FIRST_EPOCHS_PRETRAINED = 3.0
# A randomly initialised model learns format and skill from these rows alone, so it needs many more passes; the
# Trainer's "still improving" proposal doubles it while the loss keeps falling.
FIRST_EPOCHS_SCRATCH = 10.0
# With a generator, fresh rows are free: an order of magnitude more training rows than eval items.
GENERATOR_ROWS_PER_EVAL_ITEM = 20
# Without a generator, use every row the sources give (a cap, not a target).
ALL_ROWS = 100_000
# On-policy RL learns from fresh prompts: one pass over the prompt set per iteration.
RL_EPOCHS = 1.0
# Iterative RPO (2404.19733): DPO's usual beta; each iteration's pairs are fresh, so a few passes over them; k at least
# 8, so a prompt solved half the time misses a right or a wrong answer with probability 2 × 0.5^8 < 1%.
DPO_BETA, DPO_EPOCHS, DPO_MIN_K, DPO_LR_DIVISOR = 0.1, 2.0, 8, 3.0
NO_CAP = 100_000


@dataclass
class Decision:
    plan: Plan
    text: str
    dissent: list[str]
    arms: list[ArmRequest] = field(default_factory=list)
    """Dissenting proposals a training run beside the plan could settle (`record_decision` checks the cluster)."""


def data_rows(facts: Facts) -> int:
    if facts.rows:
        return facts.rows + facts.held_out  # the same rows again: the build holds out the same validation rows
    if facts.source_rows:  # the user's own files: every row they hold (the build drops what fails its checks)
        return facts.source_rows
    if facts.has_generator and facts.n_eval:
        return GENERATOR_ROWS_PER_EVAL_ITEM * facts.n_eval
    return ALL_ROWS


def first_epochs(facts: Facts) -> float:
    return FIRST_EPOCHS_PRETRAINED if facts.size.pretrained else sft_pass_cap(facts)


# Every team build holds out a validation split and SFT trains until it stops improving (tools/training/
# convergence.py), so a randomly initialised model's passes are a cap, not a target: small data gets as many passes
# as help. The cap only bounds a run whose validation still improves; it is the order of what a hand recipe gives
# a few hundred rows (1,500 steps × 64 rows over 560 rows ≈ 170 passes), and the time budget's share caps it too.
SCRATCH_PASS_CAP = 200.0


def sft_pass_cap(facts: Facts) -> float:
    """Passes over the data for SFT of a randomly initialised model: the cap of a run that stops on validation."""
    return SCRATCH_PASS_CAP


def rft_samples(score: float | None) -> int:
    if not score or score <= 0:
        return RFT_MAX_K
    if score >= 1:
        return RFT_MIN_K
    k = math.ceil(math.log(1 - RFT_CONFIDENCE) / math.log(1 - score))
    return min(RFT_MAX_K, max(RFT_MIN_K, k))


def default_plan(facts: Facts, seed: int) -> Plan:
    """The plan before the debate: the most specific catalogue technique whose conditions hold."""
    from posttrain.tools.training.sizing import sft_learning_rate

    last = facts.last
    if last and last.plan and not last.trained:
        return last.plan.model_copy(update={"rationale": "the last run did not finish; redo it (repairs come from "
                                                         "the Trainer's diagnosis)", "adopted_from": "Manager"})
    technique = next((t for t in applicable_techniques(facts) if t.method), None)
    rows, cap = data_rows(facts), facts.step_cap() or NO_CAP
    init = "best" if facts.trained_methods else "base"
    common = dict(init_from=init, n_train=rows, seed=seed, max_steps=cap, adopted_from="Manager")
    if technique is None:
        # Nothing to reinforce yet (no right answer sampled) or nothing fits: SFT's dense signal is the only one.
        epochs = (last.plan.epochs or first_epochs(facts)) * 2 if (last and last.plan and last.plan.epochs) \
            else first_epochs(facts)
        if not facts.size.pretrained and facts.validation:
            epochs = sft_pass_cap(facts)  # a cap: the validation split decides how many passes help
        if not facts.trained_methods:
            why = "no trained model yet: supervised fine-tuning first"
        elif facts.still_improving:
            why = "the loss was still falling: more passes of SFT"
        elif not facts.solves_some:
            why = f"best score {facts.best or 0:.3f}: nothing right to reinforce yet, so more passes of SFT"
        else:
            why = (f"best score {facts.best or 0:.3f} is too rare a success to sample from (RFT) and no other "
                   "technique's conditions hold: more passes of SFT")
        # keep the passes already made: continue from the latest checkpoint, not from the best score
        common["init_from"] = "latest" if facts.trained_methods else "base"
        return Plan(method="sft", epochs=epochs, learning_rate=sft_learning_rate(facts.size), rationale=why, **common)
    base = dict(technique=technique.name, paper=technique.paper_id, rationale=technique.when_to_use, **common)
    return RECIPES[technique.method](facts, base)


def _sft_plan(facts: Facts, base: dict) -> Plan:
    from posttrain.tools.training.sizing import sft_learning_rate

    return Plan(method="sft", epochs=first_epochs(facts), learning_rate=sft_learning_rate(facts.size), **base)


def _rft_plan(facts: Facts, base: dict) -> Plan:
    from posttrain.tools.training.sizing import sft_learning_rate

    # RFT fine-tunes an already trained checkpoint on its own (few, on-policy) answers: the pretrained recipe's
    # passes, not a from-scratch model's (10 passes over a 1.000 model's own samples measured 0.400: docs/report.png)
    return Plan(method="rft", epochs=FIRST_EPOCHS_PRETRAINED, learning_rate=sft_learning_rate(facts.size),
                samples_per_prompt=rft_samples(facts.best), **base)


def _previous_beta(facts: Facts, method: str, default: float) -> float:
    """The beta the same method ran with last (raised by the Trainer's collapse rule), else `default`."""
    last = facts.last
    return last.plan.beta if (last and last.plan and last.plan.method == method and last.plan.beta) else default


def _grpo_plan(facts: Facts, base: dict) -> Plan:
    from posttrain.tools.training.sizing import rl_learning_rate

    return Plan(method="grpo", epochs=RL_EPOCHS, learning_rate=rl_learning_rate(facts.size),
                beta=_previous_beta(facts, "grpo", 0.0), **base)


def _dpo_plan(facts: Facts, base: dict) -> Plan:
    from posttrain.tools.training.sizing import sft_learning_rate

    # Iterative RPO: k samples per prompt so that a prompt solved about half the time gives a right and a wrong
    # answer; DPO's beta 0.1, as in the paper (2404.19733). The NLL term makes it a supervised update on the chosen
    # answers plus the preference margin: a third of SFT's rate (1e-3 on the tiny model, where it gained: README)
    return Plan(method="dpo", epochs=DPO_EPOCHS, learning_rate=sft_learning_rate(facts.size) / DPO_LR_DIVISOR,
                beta=_previous_beta(facts, "dpo", DPO_BETA),
                samples_per_prompt=max(DPO_MIN_K, rft_samples(facts.best)), **base)


# Each method's plan once the catalogue picked it (tools/methods.py registers the methods; test_methods checks that
# every one has a recipe here).
RECIPES: dict[MethodName, Callable[[Facts, dict], Plan]] = {
    "sft": _sft_plan, "rft": _rft_plan, "grpo": _grpo_plan, "dpo": _dpo_plan}


def decide(facts: Facts, proposals: list[Proposal], seed: int, scale: float = 1.0) -> Decision:
    """Default plan, then each measured proposal (rank ≥ 2) sets its fields unless a stronger one already did.
    `scale` (--playbook-scale) shrinks the data, and with it the steps, for smoke runs."""
    plan = default_plan(facts, seed)
    taken: dict[str, str] = {}
    adopted: list[Proposal] = []
    for proposal in sorted(proposals, key=lambda p: -p.rank):
        fields = {k: v for k, v in proposal.changes.items() if k not in taken}
        if proposal.rank >= 2 and fields:
            plan = plan.model_copy(update=fields)
            taken |= {k: proposal.speaker for k in fields}
            adopted.append(proposal)
    if adopted:
        plan = plan.model_copy(update={"adopted_from": ", ".join(p.speaker for p in adopted)})
    dissent = [f"{p.speaker}: {p.action}" for p in proposals
               if p.changes and any(getattr(plan, k, None) != v for k, v in p.changes.items())]
    rescale = scale != 1.0 and facts.rows is None  # data already built was scaled when it was planned
    if rescale:
        plan = plan.model_copy(update={"n_train": max(10, int(plan.n_train * scale)), "max_steps": plan.max_steps
                                       if plan.epochs else max(1, int(plan.max_steps * scale))})
    text = f"{plan.describe()[0].upper()}{plan.describe()[1:]}, because {plan.rationale.rstrip('.')}."
    if facts.prompt_format:
        text += f" {facts.prompt_format}"
    for p in adopted:
        text += f" Adopted {p.speaker}'s proposal ({p.why or p.action})."
    arms, unmeasurable = measurable_dissent(plan, proposals)
    for reason in unmeasurable:
        text += f" {reason}."
    if rescale:
        text += f" (Smoke run: data scaled ×{scale:g}.)"
    if plan.max_steps < NO_CAP:
        text += (f" Steps capped at {plan.max_steps}: this iteration's even share of the "
                 f"{(facts.remaining_s or 0) / 60:.1f} min left at the last measured rate.")
    return Decision(plan=plan, text=text, dissent=dissent, arms=arms)
