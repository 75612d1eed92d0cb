"""The ledger: what each iteration planned, built, trained and measured. The debate reads it; summary.json is made from it.

Tools write into the ledger as they finish (the dataset, the training result, the evaluation), so the record is
the measured truth whatever brain drove the tools.
"""

from typing import Any, Literal

from pydantic import BaseModel, Field


Method = Literal["sft", "grpo"]


class Plan(BaseModel):
    """The Manager's decision for one iteration."""

    method: Method = Field(description="Training method for this iteration.")
    init_from: Literal["base", "best", "latest"] = Field(
        "best", description="Start from the base model, the best-scoring checkpoint, or the latest trained one.")
    max_steps: int = Field(description="Optimizer steps.")
    learning_rate: float = Field(description="Peak learning rate.")
    n_train: int = Field(description="Training rows to build.")
    seed: int = Field(0, description="Seed for data and training.")
    rationale: str = Field("", description="Why, with the numbers that led here.")


class Score(BaseModel):
    """One evaluation, as the ledger keeps it."""

    score: float
    n: int
    ci95: tuple[float, float]
    report: str = Field(description="Path of the evaluation report with per-item records.")
    checkpoint: str | None = None


class IterationRecord(BaseModel):
    """Everything one iteration did, filled in as the work happens."""

    index: int
    phase: Literal["debate", "work", "done"] = "debate"
    plan: Plan | None = None
    decision: str = ""
    dissent: list[str] = Field(default_factory=list)
    debate: dict[str, str] = Field(default_factory=dict, description="Each speaker's debate turn, by name.")
    techniques: list[str] = Field(default_factory=list, description="Paper ids the Librarian cited.")
    dataset: dict[str, Any] | None = None
    training: dict[str, Any] | None = None
    evaluation: Score | None = None
    comparison: dict[str, Any] | None = Field(None, description="Paired test against the previous best.")
    reports: dict[str, str] = Field(default_factory=dict, description="Plug-in specialists' work reports.")
    duration_s: float = 0.0

    @property
    def trained(self) -> bool:
        return bool(self.training and self.training.get("status") == "succeeded" and self.training.get("checkpoint"))


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
                return it.training["checkpoint"]
        return None

    def last_evaluated(self) -> IterationRecord | None:
        for it in reversed(self.iterations):
            if it.evaluation is not None:
                return it
        return None

    def history_text(self, limit: int = 6) -> str:
        """A compact, numeric account of the run for debate prompts (LLM brains read this)."""
        lines = []
        if self.baseline:
            b = self.baseline
            lines.append(f"baseline: score {b.score:.3f} (n={b.n}, 95% CI {b.ci95[0]:.3f}–{b.ci95[1]:.3f})")
        for it in [it for it in self.completed() if it.index > 0][-limit:]:
            plan = it.plan
            what = f"{plan.method} {plan.max_steps} steps lr {plan.learning_rate:g}" if plan else "no plan"
            train = it.training or {}
            summary = train.get("summary", {})
            loss = ""
            if "first_loss" in summary and "last_loss" in summary:
                loss = f", loss {summary['first_loss']:.3f}→{summary['last_loss']:.3f}"
            if "last_reward" in summary:
                loss += f", reward {summary['last_reward']:.2f}"
            status = train.get("status", "not trained")
            findings = "; ".join(f"{f['kind']}: {f['evidence']}" for f in train.get("findings", []))
            score = f"score {it.evaluation.score:.3f}" if it.evaluation else "not evaluated"
            sig = ""
            if it.comparison:
                c = it.comparison
                sig = f", Δ {c['diff']:+.3f} vs best (p={c['p_value']:.3g}, {'significant' if c['significant'] else 'n.s.'})"
            lines.append(f"iteration {it.index}: {what}: {status}{loss}; {score}{sig}" + (f"; findings: {findings}" if findings else ""))
        return "\n".join(lines) if lines else "no results yet"
