"""The Trainer's tools: `posttrain.tools.training` bound to the run (Ray, Trackio project = run dir name)."""

from collections.abc import Callable
from statistics import fmean
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from posttrain.orchestrator.context import RunContext
from posttrain.tools.errors import ToolError


class TrainingReport(BaseModel):
    summary: str = Field(description="One line for the team: curve, time, checkpoint, diagnosis.")
    status: str
    checkpoint: str | None
    metrics_summary: dict
    findings: list[dict]


def late_drop(values: list[float]) -> float:
    """Relative fall of a curve over its last third versus the third before (positive = still improving)."""
    if len(values) < 6:
        return 0.0
    third = len(values) // 3
    before, late = fmean(values[-2 * third:-third]), fmean(values[-third:])
    return (before - late) / abs(before) if before else 0.0


def make_trainer_tools(ctx: RunContext) -> list[Callable]:
    from posttrain.orchestrator.brains.playbook import SMALL, regime_for
    from posttrain.tools.evaluation import get_benchmark
    from posttrain.tools.training import GRPOSpec, LoraSpec, SFTSpec, run_training

    def launch_training(method: Annotated[Literal["sft", "grpo"], "training method"],
                        max_steps: Annotated[int, "optimizer steps, e.g. 800"],
                        learning_rate: Annotated[float, "peak learning rate, e.g. 1e-2 for tiny models, 1e-5 real"],
                        init_from: Annotated[Literal["base", "best", "latest"], "base model, best-scoring or latest checkpoint"] = "best",
                        ) -> TrainingReport:
        """Train on this iteration's dataset as a Ray task (tracked in Trackio), then diagnose the run. Needs the
        DataEngineer's dataset first. Returns status, loss/reward curve summary, checkpoint path and findings."""
        iteration = ctx.iteration
        if not iteration.dataset:
            raise ToolError("no dataset was built for this iteration; ask the DataEngineer to call build_dataset first")
        model = ctx.model_for_next_training(init_from)
        small = regime_for(ctx.base_model_path) is SMALL
        common = dict(base_model=model, dataset=iteration.dataset["path"], max_steps=max_steps,
                      learning_rate=learning_rate, seed=ctx.config.seed + iteration.index,
                      time_budget_s=ctx.remaining_s(), lora=None if small else LoraSpec())
        if method == "sft":
            spec = SFTSpec(**common, batch_size=64 if small else 8)
        else:
            bench = get_benchmark(ctx.config.benchmark)
            spec = GRPOSpec(**common, benchmark=ctx.config.benchmark, max_completion_length=bench.max_new_tokens)
        result = run_training(spec, ctx.artifacts / f"train-{method}", project=ctx.workspace.root.name,
                              run_name=f"iter{iteration.index}-{method}", progress=ctx.progress, cancel=ctx.cancel)
        summary = dict(result.summary)
        losses = [m["loss"] for m in result.metrics if isinstance(m.get("loss"), (int, float))]
        rewards = [m["reward"] for m in result.metrics if isinstance(m.get("reward"), (int, float))]
        # "Still improving?" — the loss falling for SFT, the reward rising for GRPO, over the last third of the run.
        summary["late_improvement"] = late_drop(losses) if method == "sft" else -late_drop(rewards)
        if rewards:
            summary.setdefault("first_reward", rewards[0])
            summary.setdefault("last_reward", rewards[-1])
        if losses:
            summary.setdefault("first_loss", losses[0])
            summary.setdefault("last_loss", losses[-1])
        findings = [f.model_dump() for f in result.findings]
        iteration.training = {"method": method, "status": result.status, "checkpoint": result.checkpoint,
                              "summary": summary, "findings": findings, "error": result.error,
                              "log_path": result.log_path, "duration_s": result.duration_s,
                              "tracking": {"project": result.project, "run": result.run_name}}
        return TrainingReport(summary=_describe(method, result, summary, findings), status=result.status,
                              checkpoint=result.checkpoint, metrics_summary=summary, findings=findings)

    return [launch_training]


def _describe(method: str, result, summary: dict, findings: list[dict]) -> str:
    curve = ""
    if "first_loss" in summary and method == "sft":
        curve = f"loss {summary['first_loss']:.3f}→{summary['last_loss']:.3f}"
    if "last_reward" in summary:
        curve += f"{', ' if curve else ''}reward {summary['first_reward']:.2f}→{summary['last_reward']:.2f}"
    found = "; ".join(f"{f['kind']}: {f['evidence']} → {f['fix']}" for f in findings) or "no findings"
    where = f"checkpoint {result.checkpoint}" if result.checkpoint else f"error: {result.error}"
    return f"{method.upper()} {result.status} in {result.duration_s:.0f} s: {curve}; {where}; diagnosis: {found}."
