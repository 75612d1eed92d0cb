"""Train an iteration's ablation arms side by side: one thread per arm, each calling `run_training`, so the arms run
as concurrent Ray tasks, each declaring its share of the cluster (`agents/manager/ablation.py`: one GPU each on a
GPU cluster, an equal share of the CPU cores otherwise) and logging to its own Trackio run `iter<k>-<arm>`.

Every arm trains on the data this iteration built (a prefix of it when the arm asks for fewer rows) and starts from
the checkpoint its plan names. An arm already trained (a resumed run) is not trained again.
"""

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from posttrain.run.context import RunContext
from posttrain.run.ledger import Arm, Plan
from posttrain.tools.methods import get_method
from posttrain.tools.training.result import TrainingResult


def prefix_dataset(path: str, rows: int, out: Path) -> str:
    """The first `rows` rows of a parquet or JSONL dataset, written once to `out` (same format)."""
    source = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if source.suffix == ".parquet":
        import pyarrow.parquet as pq

        pq.write_table(pq.read_table(source).slice(0, rows), out.with_suffix(".parquet"))
        return str(out.with_suffix(".parquet"))
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)[:rows]
    out.with_suffix(".jsonl").write_text("".join(lines), encoding="utf-8")
    return str(out.with_suffix(".jsonl"))


def failed(arm: Arm, plan: Plan, ctx: RunContext, error: Exception, started: float) -> TrainingResult:
    """A run that could not start (bad spec, nothing to sample for RFT or DPO) as a failed result, like a crash."""
    return TrainingResult(method=get_method(plan.method).trainer, status="failed", checkpoint=None, metrics=[], summary={}, findings=[],
                          log_path="", duration_s=time.time() - started, error=f"{type(error).__name__}: {error}",
                          project=ctx.workspace.root.name, run_name=f"iter{ctx.iteration.index}-{arm.slug}")


def train_arms(ctx: RunContext, control: Plan, train: Callable):
    """Train the ablation's arms concurrently; `control` is the plan as the Trainer was asked to run it, `train` the
    Trainer's one-run function. Sets each arm's plan, training and times, and the iteration's training to the
    control's (or, if it failed, the first arm that trained) until the Evaluator picks the winner."""
    from posttrain.agents.manager.ablation import arm_share, detect_resources
    from posttrain.agents.trainer.report import TrainingReport

    iteration = ctx.iteration
    ablation, dataset = iteration.ablation, iteration.dataset
    for arm in ablation.arms:
        arm.plan = control.model_copy(update=arm.changes) if arm.changes else control
    todo = [arm for arm in ablation.arms if not arm.trained]
    cluster = detect_resources(attach=True)  # attached before the threads start: they must not race to start Ray
    share = arm_share(cluster, len(ablation.arms))
    skipped = []
    if share is None:  # the cluster shrank since the decision: the control alone, and say so
        skipped, todo = [a.name for a in todo if a is not ablation.control], [a for a in todo if a is ablation.control]
        share = arm_share(cluster, 1) or (None, None)
        ablation.resources = f"only the control ran: the cluster now has {cluster.describe()}"
    cpus, gpus = share

    def run(arm: Arm) -> None:
        started = time.time()
        arm.started_at = started
        rows = min(arm.plan.n_train, dataset.n_rows)
        data = dataset.path if rows >= dataset.n_rows else prefix_dataset(
            dataset.path, rows, ctx.artifacts / f"data-{arm.slug}" / f"first-{rows}-rows")

        def progress(task: str, completed: float, total: float | None = None, **info) -> None:
            ctx.progress(f"{task} [{arm.name}]", completed, total, **info)

        try:
            arm.training, _ = train(arm.plan, data, rows, label=arm.slug, progress=progress, num_cpus=cpus,
                                    num_gpus=gpus)
        except Exception as exc:  # noqa: BLE001 - one arm's bad spec must not lose the others' runs
            arm.training = failed(arm, arm.plan, ctx, exc, started)
        arm.finished_at = time.time()

    if todo:
        with ThreadPoolExecutor(max_workers=len(todo), thread_name_prefix="arm") as pool:
            list(pool.map(run, todo))
    trained = [a for a in ablation.arms if a.trained]
    lead = ablation.control if ablation.control.trained or not trained else trained[0]
    iteration.training = lead.training
    lines = [f"arm {a.name} ({a.proposed_by}): {a.training.describe() if a.training else 'not run'}"
             for a in ablation.arms]
    timed = [a for a in ablation.arms if a.started_at and a.finished_at]
    overlap = (min(a.finished_at for a in timed) - max(a.started_at for a in timed)) if len(timed) > 1 else 0.0
    head = (f"Ablation: {len(todo)} arm(s) trained side by side as concurrent Ray tasks ({ablation.resources}); "
            f"their runs overlapped for {max(0.0, overlap):.0f} s.")
    if skipped:
        head += f" Not run: {', '.join(skipped)}."
    return TrainingReport(
        summary=head + " " + " | ".join(lines), status=lead.training.status if lead.training else "failed",
        checkpoint=lead.training.checkpoint if lead.training else None,
        steps=int(lead.training.summary.get("steps", 0)) if lead.training else 0,
        metrics_summary=lead.training.summary if lead.training else {},
        findings=[f.model_dump() for f in lead.training.findings] if lead.training else [],
        arms=[{"name": a.name, "proposed_by": a.proposed_by, "changes": a.changes,
               "status": a.training.status if a.training else "not run",
               "checkpoint": a.training.checkpoint if a.training else None,
               "trackio_run": a.training.run_name if a.training else None,
               "started_at": a.started_at, "finished_at": a.finished_at} for a in ablation.arms])
