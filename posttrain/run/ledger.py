"""The ledger: what each iteration planned, built, trained and measured. The debate reads it; summary.json is made from it.

Tools write into the ledger as they finish, as the typed models they already return (`DatasetArtifact`,
`TrainingResult`, `Comparison`), so the record is the measured truth whatever brain drove the tools, and each record
describes itself in one place (`describe()`), for debates, summaries and the console alike.
"""

from typing import Literal

from pydantic import BaseModel, Field

from posttrain.tools.data.artifact import DatasetArtifact
from posttrain.tools.data.discover import SourceCandidates
from posttrain.tools.evaluation.compare import Comparison
from posttrain.tools.training.result import TrainingResult


Method = Literal["sft", "rft", "grpo"]
METHOD_NAMES = {"sft": "SFT", "rft": "rejection-sampling fine-tuning", "grpo": "GRPO"}


class Plan(BaseModel):
    """The Manager's decision for one iteration."""

    method: Method = Field(description="sft: imitate the data; rft: SFT on the model's own verified samples; "
                                       "grpo: RL against the benchmark's verifier.")
    init_from: Literal["base", "best", "latest"] = Field(
        "best", description="Start from the base model, the best-scoring checkpoint, or the latest trained one.")
    max_steps: int = Field(ge=1, le=100_000, description="Optimizer steps.")
    learning_rate: float = Field(gt=0.0, lt=1.0, description="Peak learning rate.")
    n_train: int = Field(ge=1, le=10_000_000, description="At most this many training rows (prompts for rft/grpo).")
    epochs: float | None = Field(None, gt=0.0, le=1000.0, description="Passes over the data actually built; when set, "
                                 "the Trainer derives the steps from the rows and its batch size (max_steps caps it).")
    seed: int = Field(0, description="Seed for data and training.")
    beta: float = Field(0.0, ge=0.0, le=10.0, description="GRPO's KL anchor to the reference model (0 = none).")
    samples_per_prompt: int = Field(4, ge=1, le=64, description="rft: answers sampled per training prompt.")
    technique: str = Field("", description="The catalogue technique this plan applies, e.g. 'GRPO'.")
    paper: str = Field("", description="arXiv id of the paper the technique comes from.")
    adopted_from: str = Field("Manager", description="Whose proposal the decision adopted.")
    rationale: str = Field("", description="Why, with the numbers that led here.")

    def describe(self) -> str:
        source = {"base": "the base model", "best": "the best checkpoint", "latest": "the latest checkpoint"}
        length = f"{self.epochs:g} epochs (at most {self.max_steps} steps)" if self.epochs else f"{self.max_steps} steps"
        what = f"{self.method.upper()} from {source[self.init_from]} for {length} at lr {self.learning_rate:g}"
        what += f" on {self.n_train} {'rows' if self.method == 'sft' else 'prompts'}"
        if self.method == "rft":
            what += f" ({self.samples_per_prompt} samples each)"
        if self.method == "grpo" and self.beta:
            what += f", KL beta {self.beta:g}"
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


def describe_comparison(c: Comparison) -> str:
    verdict = "significant" if c.significant else "not significant"
    return f"Δ {c.diff:+.3f} (95% CI {c.ci95[0]:+.3f}…{c.ci95[1]:+.3f}, p={c.p_value:.3g}, {verdict} at 0.05)"


class IterationRecord(BaseModel):
    """Everything one iteration did, filled in as the work happens."""

    index: int
    phase: Literal["debate", "work", "done"] = "debate"
    plan: Plan | None = None
    decision: str = ""
    dissent: list[str] = Field(default_factory=list)
    debate: dict[str, str] = Field(default_factory=dict, description="Each speaker's debate turn, by name.")
    techniques: list[str] = Field(default_factory=list, description="Paper ids the Librarian cited.")
    data_candidates: SourceCandidates | None = Field(None, description="Training data found, best evidence first.")
    data_search: str | None = Field(None, description="What the DataEngineer found, in words.")
    dataset: DatasetArtifact | None = None
    training: TrainingResult | None = Field(None, description="The run's result, metrics left in its metrics.jsonl.")
    evaluation: Score | None = None
    comparison: Comparison | None = Field(None, description="Paired test against the previous best.")
    decoding: str | None = Field(None, description="The Evaluator's decoding check, when it ran.")
    blocked: str | None = Field(None, description="Why the work could not proceed (e.g. no training data).")
    reports: dict[str, str] = Field(default_factory=dict, description="Plug-in specialists' work reports.")
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
            parts.append(f"vs best {describe_comparison(self.comparison)}")
        return f"iteration {self.index}: " + "; ".join(parts)


class Ledger(BaseModel):
    """The run's memory: baseline, iterations, best."""

    baseline: Score | None = None
    iterations: list[IterationRecord] = Field(default_factory=list)

    @property
    def current(self) -> IterationRecord:
        return self.iterations[-1]

    def completed(self) -> list[IterationRecord]:
        return [it for it in self.iterations if it.phase == "done"]

    def best(self) -> tuple[Score | None, int]:
        """Best score so far and its iteration (0 = baseline)."""
        best, where = self.baseline, 0
        for it in self.iterations:
            if it.evaluation and (best is None or it.evaluation.score > best.score):
                best, where = it.evaluation, it.index
        return best, where

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
        """A compact, numeric account of the run for debate prompts."""
        lines = [f"baseline: score {self.baseline.describe()}"] if self.baseline else []
        lines += [it.describe() for it in [it for it in self.completed() if it.index > 0][-limit:]]
        return "\n".join(lines) if lines else "no results yet"
