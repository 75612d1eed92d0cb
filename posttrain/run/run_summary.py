"""`summary.json`: the run's result at a glance, rebuilt from the ledger after every iteration, as one typed model.

`RunSummary.of(ctx, status)` builds it; `read_summary` reads it back (status, the report, `transcript list`, the
exports) from any version this posttrain knows: summaries written before they carried a `version` (v0) lack fields
added since (steering, brain usage, the objective), which read as their defaults.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from posttrain.run.ledger import Ablation, Arm, IterationRecord, Ledger, Plan
from posttrain.run.objective import Objective
from posttrain.run.runfile import load_model
from posttrain.tools.evaluation.compare import Comparison


if TYPE_CHECKING:
    from posttrain.run.context import RunContext


SUMMARY_VERSION = 1
SUMMARY_MIGRATIONS = {0: lambda data: data}  # v0 → v1 added only `version`; absent fields take their defaults


class BaselineBrief(BaseModel):
    score: float
    n: int | None = None
    ci95: tuple[float, float] | None = None


class BestBrief(BaseModel):
    score: float
    iteration: int | None = Field(None, description="0 = the baseline.")
    checkpoint: str | None = Field(None, description="The best trained checkpoint (None when the baseline is best).")


class DataBrief(BaseModel):
    search: str | None = None
    dataset: str | None = Field(None, description="The dataset, described in one line.")
    path: str | None = None
    label_accuracy: float | None = None
    contamination_dropped: int | None = None


class TrainingBrief(BaseModel):
    method: str | None = None
    status: str | None = None
    checkpoint: str | None = None
    error: str | None = None
    steps: float | None = None


class ArmSummary(BaseModel):
    """One row of an ablation table: the arm's change vs the control, its run, score, CI and paired test."""

    arm: str
    proposed_by: str = ""
    changes: dict[str, Any] = Field(default_factory=dict)
    change: str = ""
    status: str = "not run"
    checkpoint: str | None = None
    trackio_run: str | None = None
    steps: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    score: float | None = None
    n: int | None = None
    ci95: tuple[float, float] | None = None
    vs_control: Comparison | None = None

    @classmethod
    def of(cls, arm: Arm, control: Plan | None) -> "ArmSummary":
        t, ev = arm.training, arm.evaluation
        return cls(arm=arm.name, proposed_by=arm.proposed_by, changes=arm.changes, change=arm.change_text(control),
                   status=t.status if t else "not run", checkpoint=t.checkpoint if t else None,
                   trackio_run=f"{t.project}/{t.run_name}" if t else None, steps=t.summary.get("steps") if t else None,
                   started_at=arm.started_at, finished_at=arm.finished_at, score=ev.score if ev else None,
                   n=ev.n if ev else None, ci95=ev.ci95 if ev else None, vs_control=arm.comparison)


class AblationSummary(BaseModel):
    resources: str = ""
    winner: str | None = None
    arms: list[ArmSummary] = Field(default_factory=list)
    table: list[str] = Field(default_factory=list, description="Ablation.describe(), one line per entry.")

    @classmethod
    def of(cls, ablation: Ablation) -> "AblationSummary":
        control = ablation.control.plan
        return cls(resources=ablation.resources, winner=ablation.winner,
                   arms=[ArmSummary.of(arm, control) for arm in ablation.arms], table=ablation.describe().splitlines())


class IterationSummary(BaseModel):
    index: int
    phase: str | None = None
    plan: Plan | None = None
    decision: str = ""
    dissent: list[str] = Field(default_factory=list)
    scores: dict[str, float] = Field(default_factory=dict, description="Benchmark → score.")
    ci95: tuple[float, float] | None = None
    comparison: Comparison | None = Field(None, description="Paired test against the previous best.")
    data: DataBrief | None = None
    training: TrainingBrief | None = None
    findings: list[str] = Field(default_factory=list)
    decoding: str | None = None
    blocked: str | None = None
    techniques: list[str] = Field(default_factory=list)
    ablation: AblationSummary | None = None
    duration_s: float = 0.0

    @property
    def score(self) -> float | None:
        return next(iter(self.scores.values()), None)

    @classmethod
    def of(cls, it: IterationRecord, ledger: Ledger, benchmark: str) -> "IterationSummary":
        score = ledger.baseline if (it.index == 0 and ledger.baseline) else it.evaluation
        t, ds = it.training, it.dataset
        return cls(
            index=it.index, phase=it.phase, plan=it.plan, decision=it.decision, dissent=it.dissent,
            scores={benchmark: score.score} if score else {},
            ci95=it.evaluation.ci95 if it.evaluation else None, comparison=it.comparison,
            data=DataBrief(search=it.data_search, dataset=ds.describe() if ds else None, path=ds.path if ds else None,
                           label_accuracy=ds.label_accuracy if ds else None,
                           contamination_dropped=ds.contamination.dropped if ds else None),
            training=TrainingBrief(method=t.method, status=t.status, checkpoint=t.checkpoint, error=t.error,
                                   steps=t.summary.get("steps")) if t else None,
            findings=[f"{f.kind}: {f.evidence}" for f in t.findings] if t else [], decoding=it.decoding,
            blocked=it.blocked, techniques=it.techniques,
            ablation=AblationSummary.of(it.ablation) if it.ablation else None, duration_s=round(it.duration_s, 2))


class SteeringNote(BaseModel):
    iteration: int
    text: str


class RunSummary(BaseModel):
    """The run's result at a glance."""

    version: int = Field(SUMMARY_VERSION, description="The layout's version; see SUMMARY_MIGRATIONS.")
    goal: str = ""
    status: str = "unknown"
    reason: str | None = None
    objective: Objective | None = None
    benchmark: str = ""
    base_model: str = ""
    brain: str = ""
    target: float | None = None
    train_data: list[str] = Field(default_factory=list)
    baseline: BaselineBrief | None = None
    best: BestBrief | None = None
    elapsed_s: float | None = None
    brain_usage: dict[str, Any] | None = Field(None, description="usage.UsageLedger.summary() of the run.")
    steering: list[SteeringNote] = Field(default_factory=list)
    iterations: list[IterationSummary] = Field(default_factory=list)

    @classmethod
    def of(cls, ctx: "RunContext", status: str, reason: str | None = None) -> "RunSummary":
        from posttrain.run.usage import run_usage_summary

        ledger, cfg = ctx.ledger, ctx.config
        best, where = ledger.best()
        base = ledger.baseline
        return cls(
            goal=cfg.goal, status=status, reason=reason, objective=cfg.objective, benchmark=cfg.benchmark,
            base_model=cfg.base_model, brain=cfg.brain, target=cfg.target, train_data=cfg.train_data,
            baseline=BaselineBrief(score=base.score, n=base.n, ci95=base.ci95) if base else None,
            best=BestBrief(score=best.score, iteration=where, checkpoint=ledger.best_checkpoint()) if best else None,
            elapsed_s=round(ctx.elapsed_s(), 1), brain_usage=run_usage_summary(ledger.brain_usage, cfg),
            steering=[SteeringNote(iteration=it.index, text=text) for it in ledger.iterations for text in it.steering],
            iterations=[IterationSummary.of(it, ledger, cfg.benchmark) for it in ledger.iterations])

    def iteration(self, index: int) -> IterationSummary | None:
        return next((it for it in self.iterations if it.index == index), None)

    def to_json(self) -> dict:
        return self.model_dump(mode="json")


def read_summary(path: Path) -> RunSummary | None:
    """`RUN/summary.json` as a RunSummary; None when absent; ConfigError (one line) when it cannot be read."""
    return load_model(path, RunSummary, SUMMARY_VERSION, SUMMARY_MIGRATIONS)
