"""Measured facts about a run, the one place the offline rules read from, and the `Proposal` each rule makes.

The offline playbook is not a language model: every specialist's debate turn and the Manager's decision are rules
over these facts (loss curves, paired tests, label checks, model size). Nothing here reads what a real team could not
know — no generator's record of which labels it corrupted, only what the tools measured.
"""

import functools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from posttrain.run.ledger import IterationRecord


if TYPE_CHECKING:
    from posttrain.run.context import RunContext
    from posttrain.tools.methods import Condition
    from posttrain.tools.training.sizing import ModelSize

# A loss (or reward) that still moved by more than this share over the last third of a run is "still improving":
# below it the change is within the step-to-step noise of the logged curve. Read only where it can show it (the
# curve rule, tools/training/diagnosis.py): the validation split when the run had one (did its last validation
# set a new best, and did the run end by its cap or budget rather than by patience?), else the training losses
# logged at a matched learning rate (`late_improvement`), never the tail of a decaying schedule.
STILL_IMPROVING = 0.05
# Labels a verifier accepts less often than this come from an unreliable teacher (1 in 10 wrong).
RELIABLE_LABELS = 0.9


@dataclass
class Proposal:
    """One specialist's view in a debate: evidence, a proposal, and how strongly the evidence binds.

    rank: 0 an opinion, 1 a rule of thumb, 2 a measured verdict (a paired test, a label check, a still-falling loss),
    3 a blocking fact (training diverged, no data). Proposals of rank 2+ override the Manager's default plan on the
    fields they set (`changes`); the decision names whose proposal it adopted and the dissent lists the rest.
    """

    speaker: str
    evidence: str
    action: str
    rank: int = 0
    changes: dict[str, Any] = field(default_factory=dict)
    why: str = ""

    def text(self) -> str:
        return f"{self.evidence} I propose: {self.action}."


@dataclass
class Facts:
    """What the rules know at the start of an iteration."""

    size: "ModelSize"
    n_eval: int | None
    has_generator: bool
    verifiable: bool
    max_new_tokens: int
    baseline: float | None
    best: float | None
    last: IterationRecord | None
    trained_methods: list[str]
    remaining_s: float | None
    iterations_left: int
    source_rows: int | None = None  # rows the user's local data holds, known before anything is built
    prompt_format: str = ""  # the baseline's format verdict, for the plan: what the run trains and serves in, and why
    mixed_share: float | None = None  # share of prompts the model last answered both right and wrong when sampled

    @classmethod
    def from_run(cls, ctx: "RunContext") -> "Facts":
        from posttrain.tools.training.sizing import model_size

        bench, ledger = ctx.benchmark, ctx.ledger
        done = [it for it in ledger.completed() if it.index > 0]
        best, _ = ledger.best()
        left = max(1, ctx.config.max_iterations - len(done))
        return cls(size=model_size(ctx.base_model_path), n_eval=ledger.baseline.n if ledger.baseline else None,
                   has_generator=bench.has_generator, verifiable=bench.answer_type != "code",
                   max_new_tokens=bench.max_new_tokens, baseline=ledger.baseline.score if ledger.baseline else None,
                   best=best.score if best else None, last=done[-1] if done else None,
                   trained_methods=[it.plan.method for it in done if it.trained and it.plan],
                   remaining_s=ctx.remaining_s(), iterations_left=left,
                   source_rows=None if done else count_source_rows(tuple(ctx.config.train_data)),
                   prompt_format=prompt_format_note(ctx) if not done else "", mixed_share=mixed_share(done))

    # -- derived facts ----------------------------------------------------------------------------------------------
    @property
    def last_method(self) -> str | None:
        return self.last.plan.method if (self.last and self.last.plan) else None

    @property
    def gain(self) -> tuple[float, bool]:
        c = self.last.comparison if self.last else None
        return (c.diff, c.significant) if c else (0.0, False)

    @property
    def still_improving(self) -> bool:
        training = self.last.training if self.last else None
        if training and "val_improving" in training.summary:
            return bool(training.summary["val_improving"])
        return bool(training and training.summary.get("late_improvement", 0.0) > STILL_IMPROVING)

    @property
    def validation(self) -> dict[str, float]:
        """The last run's validation numbers (`result.summarize_validation`); empty when it had no split."""
        training = self.last.training if self.last else None
        summary = training.summary if training else {}
        return {k: v for k, v in summary.items() if k.startswith("val") or "_val_" in k}  # not the eval_ keys

    @property
    def solves_some(self) -> bool:
        """At least one eval item right: RFT and GRPO learn only from sampled answers the verifier accepts."""
        return self.best is not None and self.n_eval is not None and self.best * self.n_eval >= 1

    @property
    def label_accuracy(self) -> float | None:
        dataset = self.last.dataset if self.last else None
        return dataset.label_accuracy if dataset else None

    @property
    def rows(self) -> int | None:
        return self.last.dataset.n_rows if (self.last and self.last.dataset) else None

    @property
    def held_out(self) -> int:
        """Rows the last build held out as its validation split (not in `rows`)."""
        return self.last.dataset.counts.get("validation", 0) if (self.last and self.last.dataset) else 0

    @property
    def finding_kinds(self) -> set[str]:
        training = self.last.training if self.last else None
        return {f.kind for f in training.findings} if training else set()

    def epochs_seen(self) -> float:
        """Passes over the data the last run made, with the batch size it actually used."""
        t = self.last.training if self.last else None
        rows = self.rows
        if not (t and rows and t.spec.get("batch_size")):
            return 0.0
        return t.summary.get("steps", t.spec.get("max_steps", 0)) * t.spec["batch_size"] / rows

    def steps_per_second(self) -> float | None:
        t = self.last.training if self.last else None
        if not t or not t.summary.get("train_runtime_s"):
            return None
        return t.summary.get("steps", 0) / t.summary["train_runtime_s"]

    def step_cap(self) -> int | None:
        """Steps that fit this iteration's even share of the remaining time budget, at the last measured rate."""
        rate = self.steps_per_second()
        if self.remaining_s is None or not rate:
            return None
        return max(1, math.floor(rate * self.remaining_s / self.iterations_left))


def prompt_format_note(ctx: "RunContext") -> str:
    """What the first plan does about the prompt format: train in the format the baseline's check chose, and, when
    most baseline completions were empty, cut or misread, say that the data teaches the answer's form too."""
    from posttrain.tools.errors import ConfigError
    from posttrain.tools.evaluation.report import load_report

    chosen = ctx.ledger.base_decoding
    if not chosen:
        return ""
    form = "through the chat template" if chosen["chat_template"] else "as raw prompts, no chat template"
    note = f"Data is built and evaluated {form}, the setting the baseline's decoding check chose ({chosen['chosen']})."
    try:
        failures = load_report(ctx.ledger.baseline.report).failures() if ctx.ledger.baseline else None
    except ConfigError:
        failures = None
    if failures and failures.format_bound:
        note += (" The baseline's completions were mostly empty, cut or misread, so its score measures the format: "
                 "the rows teach the answer in the form the scorer reads, and the gain is judged against that.")
    return note


@functools.lru_cache(maxsize=8)
def count_source_rows(train_data: tuple[str, ...]) -> int | None:
    from posttrain.tools.data.load import count_local_rows

    return count_local_rows(list(train_data)) if train_data else None


# RFT samples k answers per prompt; a prompt solved with probability p yields a verified answer with probability
# RFT_CONFIDENCE when k = log(1 - RFT_CONFIDENCE) / log(1 - p), within what sampling can afford (RFT_MAX_K).
RFT_CONFIDENCE, RFT_MIN_K, RFT_MAX_K = 0.9, 2, 16
# LIMA (2305.11206) showed ~1,000 curated rows suffice to teach a format; at or below that the data is "few rows".
FEW_ROWS = 1000
# Benchmarks that give the model this many new tokens expect worked reasoning, not a short answer.
REASONING_TOKENS = 256


# Iterative RPO (2404.19733) learns from pairs of a right and a wrong sample of the same prompt: worth it when at least
# this share of the sampled prompts gave both (fewer pairs than that are a small, noisy preference set).
MIXED_OUTCOMES = 0.1


def mixed_share(done: list[IterationRecord]) -> float | None:
    """The share of prompts with both an accepted and a rejected sample, in the latest on-policy sampling (RFT's or
    DPO's): measured from the model's own answers and the scorer, not from how the data was made."""
    sampled = [it.on_policy for it in done if it.on_policy is not None]
    value = sampled[-1].generation.get("prompts_mixed") if sampled else None
    return float(value) if value is not None else None


def conditions(facts: Facts) -> set["Condition"]:
    """The named conditions of the technique catalogue (`tools.papers.catalogue.APPLIES`) that hold now."""
    return {name for name, value in condition_values(facts).items() if value}


def condition_values(facts: Facts) -> dict["Condition", bool]:
    """Every condition of `tools.methods.Condition`, true or false now (a test checks none is missing)."""
    from posttrain.tools.methods import METHODS
    from posttrain.tools.training.sizing import uses_lora

    diff, significant = facts.gain
    # a method has plateaued when its curve went flat: while the loss still falls, more of it is the better bet
    trained = bool(facts.last and facts.last.trained)
    flat = trained and not facts.still_improving
    gain = significant and diff > 0
    holds = {
        "no_trained_model": not facts.trained_methods,
        "few_rows": facts.rows is not None and facts.rows <= FEW_ROWS,
        "pretrained": facts.size.pretrained,
        "large_model": uses_lora(facts.size),
        "out_of_memory": "out_of_memory" in facts.finding_kinds,
        "labels_noisy": facts.label_accuracy is not None and facts.label_accuracy < RELIABLE_LABELS,
        # each method's plateau, by its registry entry: its curve went flat, or (RL, preferences) no significant gain
        **{m.plateau: facts.last_method == m.name and (flat if m.plateau_by == "curve" else trained and not gain)
           for m in METHODS.values()},
        "mixed_outcomes": facts.mixed_share is not None and facts.mixed_share >= MIXED_OUTCOMES,
        "solves_some": facts.solves_some,
        "rft_coverage": facts.best is not None and facts.best >= 1 - (1 - RFT_CONFIDENCE) ** (1 / RFT_MAX_K),
        "verifiable": facts.verifiable,
        "reasoning_task": facts.max_new_tokens >= REASONING_TOKENS,
    }
    return holds


def applicable_techniques(facts: Facts) -> list[Any]:
    """Catalogue techniques whose every condition holds, most specific (most conditions) first."""
    from posttrain.tools.papers.catalogue import CATALOGUE

    now = conditions(facts)
    fits = [t for t in CATALOGUE if t.conditions and set(t.conditions) <= now]
    return sorted(fits, key=lambda t: -len(t.conditions))
