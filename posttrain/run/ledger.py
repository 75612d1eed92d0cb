"""The ledger: what each iteration planned, built, trained and measured. The debate reads it; summary.json is made from it.

Tools write into the ledger as they finish, as the typed models they already return (`DatasetArtifact`,
`TrainingResult`, `Comparison`), so the record is the measured truth whatever brain drove the tools, and each record
describes itself in one place (`describe()`), for debates, summaries and the console alike.
"""

import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from posttrain.run.usage import UsageLedger
from posttrain.tools.data.artifact import DatasetArtifact
from posttrain.tools.data.discover import SourceCandidates
from posttrain.tools.evaluation.compare import Comparison, compare_reports
from posttrain.tools.methods import MethodName, get_method
from posttrain.tools.training.cost import StepCost
from posttrain.tools.training.result import TrainingResult


UNCAPPED_STEPS = 100_000  # Plan.max_steps' upper bound: a plan at it has no step cap worth saying


class Plan(BaseModel):
    """The Manager's decision for one iteration."""

    method: MethodName = Field(description="sft: imitate the data; rft: SFT on the model's own verified samples; "
                                           "grpo: RL against the benchmark's verifier; dpo: preference pairs of the "
                                           "model's own verified and rejected samples (tools/methods.py).")
    init_from: Literal["base", "best", "latest"] = Field(
        "best", description="Start from the base model, the best-scoring checkpoint, or the latest trained one.")
    max_steps: int = Field(ge=1, le=100_000, description="Optimizer steps.")
    learning_rate: float = Field(gt=0.0, lt=1.0, description="Peak learning rate.")
    n_train: int = Field(ge=1, le=10_000_000, description="At most this many training rows (prompts for rft/grpo).")
    epochs: float | None = Field(None, gt=0.0, le=1000.0, description="Passes over the data actually built; when set, "
                                 "the Trainer derives the steps from the rows and its batch size (max_steps caps it).")
    seed: int = Field(0, description="Seed for data and training.")
    beta: float = Field(0.0, ge=0.0, le=10.0, description="GRPO's KL anchor to the reference model (0 = none); "
                        "DPO's preference temperature.")
    samples_per_prompt: int = Field(4, ge=1, le=64, description="rft, dpo: answers sampled per training prompt.")
    technique: str = Field("", description="The catalogue technique this plan applies, e.g. 'GRPO'.")
    paper: str = Field("", description="arXiv id of the paper the technique comes from.")
    adopted_from: str = Field("Manager", description="Whose proposal the decision adopted.")
    rationale: str = Field("", description="Why, with the numbers that led here.")

    def describe(self) -> str:
        source = {"base": "the base model", "best": "the best checkpoint", "latest": "the latest checkpoint"}
        cap = f" (at most {self.max_steps} steps)" if self.max_steps < UNCAPPED_STEPS else ""
        length = f"{self.epochs:g} epochs{cap}" if self.epochs else f"{self.max_steps} steps"
        what = f"{self.method.upper()} from {source[self.init_from]} for {length} at lr {self.learning_rate:g}"
        method = get_method(self.method)
        what += f" on {self.n_train} {method.unit}{method.detail(self)}"
        if self.technique:
            what += f"; technique {self.technique}" + (f" ({self.paper})" if self.paper else "")
        return what


class Score(BaseModel):
    """One evaluation, as the ledger keeps it."""

    score: float
    n: int
    ci95: tuple[float, float]
    report: str = Field(description="Path of the evaluation report with per-item records.")
    checkpoint: str | None = None

    def describe(self) -> str:
        return f"{self.score:.3f} (n={self.n}, 95% CI {self.ci95[0]:.3f}–{self.ci95[1]:.3f})"


class Versus(BaseModel):
    """A new score paired with the best one before it: what `Ledger.record_score` found."""

    best: Score = Field(description="The best score before the iteration (the baseline's, or an iteration's).")
    iteration: int = Field(description="Where the best came from: 0 = the baseline.")
    comparison: Comparison

    def describe(self) -> str:
        where = "baseline" if self.iteration == 0 else f"iteration {self.iteration}"
        return f"vs best ({where}, {self.best.score:.3f}): {self.comparison.describe()}"


# Plan fields a training run can test side by side on one dataset. n_train only downwards: an arm can train on a
# prefix of the rows built for the control, never on rows that were not built.
TESTABLE_FIELDS = ("method", "learning_rate", "epochs", "max_steps", "init_from", "beta", "samples_per_prompt",
                   "n_train")
CONTROL = "control"


class Arm(BaseModel):
    """One arm of an ablation: the decision's plan (the control) or the control with one proposal's changes, trained
    beside the others on the same data and scored on the same items."""

    name: str = Field(description="'control', or the change it tests, e.g. 'learning_rate=0.009'.")
    proposed_by: str = Field(description="Whose proposal the arm tests (the control: whose plan was adopted).")
    changes: dict[str, Any] = Field(default_factory=dict, description="Plan fields that differ from the control.")
    plan: Plan | None = Field(None, description="The plan it trained with (set at launch).")
    training: TrainingResult | None = Field(None, description="Its run; metrics left in its metrics.jsonl.")
    started_at: float | None = Field(None, description="Unix time its Ray task was submitted.")
    finished_at: float | None = Field(None, description="Unix time its run came back.")
    evaluation: Score | None = None
    comparison: Comparison | None = Field(None, description="Paired test against the control (None for the control).")

    @property
    def slug(self) -> str:
        """The name as a folder and Trackio run name."""
        return re.sub(r"[^A-Za-z0-9._-]+", "-", self.name).strip("-") or "arm"

    @property
    def trained(self) -> bool:
        return bool(self.training and self.training.status == "succeeded" and self.training.checkpoint)

    def change_text(self, control: Plan | None) -> str:
        if not self.changes:
            return "— (the decision)"
        before = control.model_dump() if control else {}
        return ", ".join(f"{k} {before[k]:g}→{v:g}" if isinstance(v, float) and isinstance(before.get(k), float)
                         else f"{k} {before[k]}→{v}" if k in before else f"{k}={v}" for k, v in self.changes.items())

    def describe(self, control: Plan | None = None) -> str:
        """One line of the ablation table."""
        parts = [f"arm {self.name} ({self.proposed_by}): {self.change_text(control)}"]
        if self.training is None:
            parts.append("not trained")
        elif not self.trained:
            parts.append(f"training {self.training.status}: {self.training.error}")
        parts.append(f"score {self.evaluation.describe()}" if self.evaluation else "not evaluated")
        if self.comparison:
            parts.append(f"vs control {self.comparison.describe()}")
        return "; ".join(parts)


class Ablation(BaseModel):
    """Arms trained side by side as concurrent Ray tasks in one iteration; arms[0] is the control (the decision)."""

    arms: list[Arm]
    resources: str = Field("", description="How the arms share the cluster, e.g. '1 CPU each of 2'.")
    winner: str | None = Field(None, description="The arm whose checkpoint is the iteration's result.")

    @property
    def control(self) -> Arm:
        return self.arms[0]

    def arm(self, name: str) -> Arm:
        return next(a for a in self.arms if a.name == name)

    def pick_winner(self) -> Arm | None:
        """The best arm by score; a tie keeps the control (the decision needs no evidence to stand)."""
        scored = [a for a in self.arms if a.evaluation is not None]
        if not scored:
            return None
        return max(scored, key=lambda a: (a.evaluation.score, a.name == CONTROL))

    def verdict(self) -> str:
        """One sentence a debate can quote: which arm won and by how much, paired against the control."""
        winner = self.arm(self.winner) if self.winner else None
        if winner is None:
            return "the ablation has no scored arm yet"
        others = [a for a in self.arms[1:] if a.comparison]
        if winner.name == CONTROL:
            lost = "; ".join(f"arm {a.name} ({a.proposed_by}) Δ {a.comparison.diff:+.3f} vs control, "
                             f"p={a.comparison.p_value:.3g}" for a in others)
            return f"the control held ({winner.evaluation.score:.3f})" + (f": {lost}" if lost else "")
        beat = f" beat the control by {winner.comparison.describe()}" if winner.comparison else " won"
        return (f"arm {winner.name} ({winner.proposed_by}: {winner.change_text(self.control.plan)}){beat}; "
                "its settings go forward")

    def describe(self) -> str:
        """The ablation table, one line per arm, then the verdict."""
        lines = [f"ablation ({len(self.arms)} arms side by side, {self.resources}):"]
        lines += [f"  {a.describe(self.control.plan)}" for a in self.arms]
        if self.winner:
            lines.append(f"  winner: {self.verdict()}")
        return "\n".join(lines)


class IterationRecord(BaseModel):
    """Everything one iteration did, filled in as the work happens."""

    index: int
    phase: Literal["debate", "work", "done"] = "debate"
    plan: Plan | None = Field(None, description="The plan whose checkpoint is this iteration's result: the decision, "
                                                "or the ablation arm that beat it.")
    decision: str = ""
    dissent: list[str] = Field(default_factory=list)
    debate: dict[str, str] = Field(default_factory=dict, description="Each speaker's debate turn, by name.")
    techniques: list[str] = Field(default_factory=list, description="Paper ids the Librarian cited.")
    data_candidates: SourceCandidates | None = Field(None, description="Training data found, best evidence first.")
    data_search: str | None = Field(None, description="What the DataEngineer found, in words.")
    dataset: DatasetArtifact | None = None
    on_policy: DatasetArtifact | None = Field(None, description="What the Trainer sampled from the model for an "
                                              "on-policy method (RFT's verified answers, DPO's pairs), with the "
                                              "sampled outcomes per prompt under generation.")
    training: TrainingResult | None = Field(None, description="The run's result, metrics left in its metrics.jsonl.")
    evaluation: Score | None = None
    comparison: Comparison | None = Field(None, description="Paired test against the previous best.")
    decoding: str | None = Field(None, description="The Evaluator's decoding check, when it ran.")
    blocked: str | None = Field(None, description="Why the work could not proceed (e.g. no training data).")
    reports: dict[str, str] = Field(default_factory=dict, description="Plug-in specialists' work reports.")
    ablation: Ablation | None = Field(None, description="Arms trained side by side, when the decision ran any.")
    steering: list[str] = Field(default_factory=list, description="What the person said (`posttrain steer`, "
                                                                  "`--approve`) before this iteration's debate.")
    duration_s: float = 0.0

    @property
    def trained(self) -> bool:
        return bool(self.training and self.training.status == "succeeded" and self.training.checkpoint)

    def describe(self) -> str:
        """One line per iteration for debate prompts (LLM brains read this) and the summary."""
        parts = [self.plan.describe() if self.plan else "no plan"]
        if self.blocked:
            parts.append(f"blocked: {self.blocked}")
        if self.dataset:
            parts.append(f"data: {self.dataset.describe()}")
        if self.training:
            parts.append(f"training: {self.training.describe()}")
        if self.evaluation:
            parts.append(f"score {self.evaluation.describe()}")
        if self.comparison:
            parts.append(f"vs best {self.comparison.describe()}")
        line = f"iteration {self.index}: " + "; ".join(parts)
        return line + ("\n" + self.ablation.describe() if self.ablation and self.ablation.winner else "")


class Ledger(BaseModel):
    """The run's memory: baseline, iterations, best."""

    baseline: Score | None = None
    iterations: list[IterationRecord] = Field(default_factory=list)
    base_decoding: dict | None = Field(None, description="The decoding check on the base model (posttrain_decoding."
                                       "json's record): the prompt format the run trains and serves in.")
    cost: "StepCost | None" = Field(None, description="What a training step and an evaluation cost on this machine, "
                                    "measured after the baseline; plans are sized from it.")

    @property
    def chat_format(self) -> bool | None:
        """Whether the run prompts through the chat template, as chosen on the baseline (None before the check)."""
        return bool(self.base_decoding["chat_template"]) if self.base_decoding else None
    brain_usage: UsageLedger = Field(default_factory=UsageLedger, description="Brain tokens per iteration and agent.")
    steering_read: int = Field(0, description="Messages of RUN/steering.jsonl already handed to a debate.")

    @property
    def current(self) -> IterationRecord:
        return self.iterations[-1]

    def completed(self) -> list[IterationRecord]:
        return [it for it in self.iterations if it.phase == "done"]

    def best(self, before: int | None = None) -> tuple[Score | None, int]:
        """The best score and its iteration (0 = the baseline), among the baseline and the iterations before
        `before` (all of them when None): `best(before=k)` is what iteration k is tested against. A tie keeps the
        earlier one."""
        best, where = self.baseline, 0
        for it in self.iterations:
            if it.index <= 0 or (before is not None and it.index >= before) or it.evaluation is None:
                continue
            if best is None or it.evaluation.score > best.score:
                best, where = it.evaluation, it.index
        return best, where

    def record_score(self, record: IterationRecord, score: Score) -> Versus | None:
        """Keep `score` as the iteration's result and pair it, item by item, with the best score before the
        iteration; the paired test is kept on the record too. None when there is nothing to pair with yet."""
        previous, where = self.best(before=record.index)
        record.evaluation, record.comparison = score, None
        if previous is None:
            return None
        record.comparison = compare_reports(previous.report, score.report)
        return Versus(best=previous, iteration=where, comparison=record.comparison)

    def best_checkpoint(self) -> str | None:
        best, where = self.best()
        return best.checkpoint if (best and where > 0) else None

    def latest_checkpoint(self) -> str | None:
        for it in reversed(self.iterations):
            if it.trained:
                return it.training.checkpoint
        return None

    def last_evaluated(self) -> IterationRecord | None:
        for it in reversed(self.iterations):
            if it.evaluation is not None:
                return it
        return None

    def history_text(self, limit: int = 6) -> str:
        """A compact, numeric account of the run for debate prompts: bounded however long the run (the last `limit`
        iterations one line each with their dissent, earlier ones one digest line; the raw transcript stays on disk)."""
        lines = [f"baseline: score {self.baseline.describe()}"] if self.baseline else []
        done = [it for it in self.completed() if it.index > 0]
        older, recent = done[:-limit], done[-limit:]
        if older:
            lines.append(_digest(older))
        for it in recent:
            dissent = "; ".join(it.dissent)
            lines.append(it.describe() + (f"; dissent: {dissent[:160]}" if dissent else ""))
        return "\n".join(lines) if lines else "no results yet"


def _digest(older: list[IterationRecord]) -> str:
    """One line for the iterations before the recent ones: methods run, best score, dissents heard."""
    methods: dict[str, int] = {}
    for it in older:
        if it.plan:
            methods[it.plan.method] = methods.get(it.plan.method, 0) + 1
    scored = [it for it in older if it.evaluation]
    best = max(scored, key=lambda it: it.evaluation.score) if scored else None
    parts = [", ".join(f"{m}×{n}" for m, n in methods.items()) or "no plan",
             f"best score {best.evaluation.describe()} (iteration {best.index})" if best else "no score",
             f"{sum(len(it.dissent) for it in older)} dissents"]
    return f"iterations {older[0].index}–{older[-1].index} (digest): " + "; ".join(parts)
