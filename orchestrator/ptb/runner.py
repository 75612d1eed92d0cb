"""`posttrain ptb`: one unattended, time-aware run for a PostTrainBench task, handing in a clean `final_model/`.

1. Read the time left (timer script, remaining-seconds file, or the task's hours) and set the run's budget to
   time left − reserve, so no training starts inside the reserve (the loop stops on the budget; training is capped
   by the time left; a watchdog stops the run halfway into the reserve if work still runs).
2. Package the base model at once, then the best checkpoint after every iteration that beats it.
3. Audit the run like the judges; on a failure act once: repackage, or hand in the best checkpoint trained
   without the contaminated data (or the base), then audit again. Exit code 1 when the verdict stays "fail".
"""

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from posttrain.orchestrator.ptb.audit import PTB_FILE, run_audit
from posttrain.orchestrator.ptb.checks import AuditReport
from posttrain.orchestrator.ptb.package import Packager, packaged_source
from posttrain.orchestrator.ptb.task import PtbTask
from posttrain.orchestrator.ptb.timing import Watchdog, read_remaining
from posttrain.tools.errors import ConfigError, PosttrainError


MIN_BUDGET_S = 60.0


class _Tee:
    """One event-bus subscriber that feeds several (the console and the packager)."""

    def __init__(self, *subscribers: Callable[[Any], None]):
        self.subscribers = [s for s in subscribers if s is not None]

    def __call__(self, item: Any) -> None:
        for subscriber in self.subscribers:
            subscriber(item)


def default_iterations(budget_s: float) -> int:
    """About one iteration per half hour of budget, at least two: the loop stops on the budget anyway."""
    return max(2, round(budget_s / 1800))


def _block_lookups() -> None:
    """Add PostTrainBench's domains to the papers block list, enforced by tools/papers at request time."""
    from posttrain.orchestrator.ptb.audit_sources import BLOCKED_DOMAINS

    current = [e for e in os.environ.get("POSTTRAIN_PAPERS_BLOCKLIST", "").split(",") if e.strip()]
    os.environ["POSTTRAIN_PAPERS_BLOCKLIST"] = ",".join(dict.fromkeys([*current, *BLOCKED_DOMAINS]))


def run_ptb(task: PtbTask, *, say: Callable[[str], None], output_dir: str | None = None, timer: str | None = None,
            remaining_file: str | None = None, reserve_s: float = 600.0, run_dir: str | None = None,
            brain: str | None = None, max_iterations: int | None = None, playbook_scale: float = 1.0,
            train_data: list[str] | None = None, console: Callable[[Any], None] | None = None,
            vllm: bool = True) -> tuple[int, AuditReport | None]:
    from posttrain.orchestrator import session
    from posttrain.orchestrator.brains import default_brain

    started = time.monotonic()
    remaining, source = read_remaining(timer or task.timer, remaining_file, task.hours)
    out = Path(output_dir or task.output_dir).expanduser().resolve()
    if task.benchmark is None:
        raise ConfigError(f"the task's benchmark {task.benchmark_name!r} is not one posttrain can measure; pass "
                          "--benchmark NAME|items.jsonl")
    _block_lookups()
    base = session.resolve_base_model(task.base_model)
    packager = Packager(out, base)
    if base and packager.package(base, iteration=0, kind="base"):
        say(f"packaged the base model into {out}")
    budget = remaining - reserve_s - (time.monotonic() - started)
    say(f"time left {remaining / 60:.1f} min ({source}); reserve {reserve_s / 60:.1f} min; run budget "
        f"{max(budget, 0) / 60:.1f} min")
    if budget < MIN_BUDGET_S:
        say(f"no time to train (budget under {MIN_BUDGET_S:g} s): {out} holds the base model")
        return 0, None
    goal = f"PostTrainBench: post-train {task.base_model} for the highest {task.benchmark_name} score"
    config = session.configure(
        goal, brain=brain or default_brain(), run_dir=run_dir, base_model=task.base_model, benchmark=task.benchmark,
        time_budget=f"{int(budget)}s", train_data=[*task.train_data, *(train_data or [])],
        max_iterations=max_iterations or default_iterations(budget), playbook_scale=playbook_scale)
    run_path = Path(config.run_dir).resolve()
    run_path.mkdir(parents=True, exist_ok=True)
    record = {"task": task.model_dump(), "output_dir": str(out), "checker": task.checker, "test_data": task.test_data,
              "remaining_s": remaining, "remaining_from": source, "reserve_s": reserve_s, "budget_s": budget}
    (run_path / PTB_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    status = _run(session, config, _Tee(console, packager), started + remaining - reserve_s / 2, say)
    record["base_model_path"] = _state(run_path).get("base_model_path")
    (run_path / PTB_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    _package_best(packager, run_path, say)
    for error in packager.errors:
        say(f"warning: {error}")
    report = run_audit(run_path, vllm=vllm)
    if report.verdict == "fail" and _remedy(report, packager, run_path, say):
        report = run_audit(run_path, vllm=vllm)
    say(report.render())
    say(f"run {run_path} ended {status}; final model {out}")
    return (1 if report.verdict == "fail" else 0), report


def _run(session, config, subscriber, deadline: float, say) -> str:
    with Watchdog(deadline) as watchdog:
        try:
            return session.start(config, console=subscriber)
        except KeyboardInterrupt:
            if watchdog.fired:
                say("stopped the run: the reserve for packaging and the audit was reached")
                return "stopped"
            raise
        except PosttrainError as exc:
            say(f"the run failed: {exc}; handing in the best model so far")
            return "failed"


def _state(run_path: Path) -> dict:
    path = run_path / "state.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _evaluated(run_path: Path) -> list[tuple[float, int, str]]:
    """(score, iteration, checkpoint) of every evaluated trained iteration, from the saved ledger."""
    found = []
    for it in _state(run_path).get("ledger", {}).get("iterations", []):
        evaluation, training = it.get("evaluation") or {}, it.get("training") or {}
        checkpoint = evaluation.get("checkpoint") or training.get("checkpoint")
        if it.get("index", 0) > 0 and evaluation and checkpoint and Path(checkpoint).is_dir():
            found.append((evaluation["score"], it["index"], checkpoint))
    return found


def _package_best(packager: Packager, run_path: Path, say, below: int | None = None) -> None:
    """Package the best evaluated checkpoint (of iterations before `below`), if it beats the baseline."""
    ledger = _state(run_path).get("ledger", {})
    baseline = (ledger.get("baseline") or {}).get("score")
    found = [c for c in _evaluated(run_path) if below is None or c[1] < below]
    best = max(found, default=None)
    if best is not None and (baseline is None or best[0] > baseline):
        if packager.package(best[2], iteration=best[1], score=best[0], kind="checkpoint"):
            say(f"packaged iteration {best[1]}'s checkpoint (score {best[0]:.3f})")
    elif below is not None and packager.base and packager.package(packager.base, iteration=0, kind="base"):
        say("handed in the base model: no clean checkpoint beat it")


def _remedy(report: AuditReport, packager: Packager, run_path: Path, say) -> bool:
    """Act once on a failed audit; True when something changed and the audit should run again."""
    import re

    packager.source = packaged_source(packager.out).get("source")
    contamination = report.failed("contamination")
    if contamination:
        dirty = {int(m.group(1)) for key in [*contamination.details.get("contaminated_rows", {}),
                                             *contamination.details.get("label_leaks", {})]
                 if (m := re.match(r"artifacts/(\d+)/", key))}
        if dirty:  # a checkpoint descends from earlier iterations only: those before the first dirty one are clean
            say(f"contaminated data in iteration(s) {sorted(dirty)}: handing in the best checkpoint trained before")
            _package_best(packager, run_path, say, below=min(dirty))
            return True
    if report.failed("model_identity") and packager.base:
        say("final_model failed the identity check: handing in the base model")
        return packager.package(packager.base, iteration=0, kind="base")
    if report.failed("packaging"):
        say("final_model failed the packaging check: repackaging")
        source, packager.source = packager.source, None
        return bool(source) and packager.package(source, kind="repackaged")
    return False
