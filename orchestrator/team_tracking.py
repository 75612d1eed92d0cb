"""The team's results in Trackio, beside the training curves: `posttrain dashboard RUN` is the run's page.

Training already logs each run to the Trackio project named after the run directory (`iter1-sft`, ...). This
event-bus subscriber adds one more run to that project, `team`, with one row per finished iteration (step = the
iteration): the score and its 95% CI, the best so far, the paired test against the previous best, the method, the
Manager's decision, and the paths of the iteration's artifacts; plus a table of every iteration so far. Read it back
with `posttrain.tools.training.read_tracked_metrics(project, "team")`.
"""

import contextlib
import logging
from pathlib import Path
from typing import Any

from posttrain.orchestrator.library_logs import RUN_LOG
from posttrain.run.context import RunContext
from posttrain.run.events import IterationFinished, Notice


TEAM_RUN = "team"
PREFIX = "team/"
TABLE_COLUMNS = ["iteration", "method", "score", "ci95", "decision", "artifacts"]


def iteration_results(ctx: RunContext, index: int) -> dict[str, Any]:
    """What Trackio gets for iteration `index`: numbers, the method and decision text, artifact paths."""
    ledger = ctx.ledger
    it = next(record for record in ledger.iterations if record.index == index)
    score = it.evaluation or (ledger.baseline if index == 0 else None)
    method = "baseline" if index == 0 else it.plan.method if it.plan else it.training.method if it.training else "none"
    best, _ = ledger.best()
    values: dict[str, Any] = {"method": method,
                              "decision": it.decision or ("measure the baseline" if index == 0 else "")}
    if score is not None:
        values.update(score=score.score, ci95_low=score.ci95[0], ci95_high=score.ci95[1], n=score.n)
    if best is not None:
        values["best"] = best.score
    if it.comparison is not None:
        values.update(delta_vs_best=it.comparison.diff, p_value=it.comparison.p_value,
                      significant=int(bool(it.comparison.significant)))
    if it.training is not None:
        values.update(training_status=it.training.status, train_steps=it.training.summary.get("steps", 0.0))
    values["duration_s"] = round(it.duration_s, 2)
    used = ledger.brain_usage.iterations.get(index, {})
    values["brain_prompt_tokens"] = sum(c.prompt for c in used.values())
    values["brain_completion_tokens"] = sum(c.completion for c in used.values())
    values["brain_tokens_run"] = ledger.brain_usage.total().total
    values["artifacts"] = artifact_paths(ctx, it, score)
    return values


def artifact_paths(ctx: RunContext, it, score) -> dict[str, str]:
    """The iteration's artifacts, by kind (only those that exist on disk)."""
    found = {"folder": str(ctx.workspace.root.resolve() / "artifacts" / str(it.index)),
             "dataset": it.dataset.path if it.dataset else None,
             "checkpoint": it.training.checkpoint if it.training else None,
             "train_log": it.training.log_path if it.training else None,
             "eval_report": score.report if score is not None else None}
    return {kind: path for kind, path in found.items() if path and Path(path).exists()}


def artifacts_markdown(root: Path, artifacts: dict[str, str]) -> str:
    """One line per artifact: its kind, a file link, and its path relative to the run directory (to copy)."""
    lines, root = [], root.resolve()
    for kind, path in artifacts.items():
        where = Path(path).resolve()
        shown = where.relative_to(root) if where.is_relative_to(root) else where
        lines.append(f"- {kind.replace('_', ' ')}: [`{shown}`]({where.as_uri()})")
    return "\n".join(lines)


class TeamTracker:
    """Event-bus subscriber: at each finished iteration, log its results to the run's Trackio project as run `team`.

    Trackio trouble never stops the run: it is said once as a warning and tracking stops."""

    def __init__(self, ctx: RunContext, run_name: str = TEAM_RUN):
        self.ctx = ctx
        self.project = ctx.workspace.root.name  # the project training logs to (agents/trainer/tools.py)
        self.run_name = run_name
        self.failed = False

    def __call__(self, item: Any) -> None:
        if isinstance(item, IterationFinished) and not self.failed:
            try:
                self.log_iteration(item.iteration)
            except Exception as exc:  # noqa: BLE001 - tracking is a view of the run, never a reason to stop it
                self.failed = True
                logging.getLogger(__name__).warning("Trackio team logging failed", exc_info=True)
                self.ctx.bus.publish(Notice(level="warning", text=f"Trackio team logging stopped "
                                            f"({type(exc).__name__}: {exc}); the run goes on"))

    def log_iteration(self, index: int) -> dict[str, Any]:
        """Log iteration `index` (step = index); returns the row as logged."""
        import trackio

        root = self.ctx.workspace.root
        values = iteration_results(self.ctx, index)
        artifacts = values.pop("artifacts")
        links = artifacts_markdown(root, artifacts)
        metrics: dict[str, Any] = {PREFIX + key: value for key, value in values.items()}
        metrics.update({f"{PREFIX}artifact/{kind}": path for kind, path in artifacts.items()})
        metrics[PREFIX + "artifacts"] = trackio.Markdown(links or "no artifacts")
        done = [it.index for it in self.ctx.ledger.iterations if it.phase == "done" and it.index <= index]
        metrics[PREFIX + "iterations"] = trackio.Table(columns=TABLE_COLUMNS,
                                                       data=[self.table_row(i) for i in sorted({*done, index})])
        config = {k: getattr(self.ctx.config, k) for k in ("goal", "brain", "benchmark", "base_model")}
        # trackio prints its banners on stdout, which is the team's console: they go to the run's log instead
        with (root / RUN_LOG).open("a", encoding="utf-8") as log, contextlib.redirect_stdout(log):
            run = trackio.init(project=self.project, name=self.run_name, resume="allow", config=config,
                               auto_log_cpu=False, auto_log_gpu=False)
            try:
                run.log(metrics, step=index)
            finally:
                trackio.finish()
        return metrics

    def table_row(self, index: int) -> list[Any]:
        """One line of the `team/iterations` table (rebuilt from the ledger, so a resumed run's table is whole)."""
        values = iteration_results(self.ctx, index)
        score = values.get("score")
        ci = f"[{values['ci95_low']:.3f}, {values['ci95_high']:.3f}]" if score is not None else ""
        links = artifacts_markdown(self.ctx.workspace.root, values["artifacts"])
        return [index, values["method"], score, ci, values["decision"], links]
