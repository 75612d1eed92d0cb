"""Act on a failed contamination audit: drop the flagged rows, retrain the same plan from the same init on the clean
data, evaluate it, so `ptb` can hand in a checkpoint trained without test items.

1. Every set final_model's chain trained on (`lineage.chain`) is scanned; a dirty one is rewritten without its
   flagged rows next to the old one (`<folder>-clean/`, with a card saying what was dropped and why).
2. The chain is retrained from its first dirty step on: each step's spec as it ran (method, steps, lr, batch, seed),
   its dataset swapped for the clean one, its init swapped for the retrained checkpoint where it was a retrained one.
3. Only when the time left covers the measured duration of those trainings and their evaluation plus the
   packaging/audit reserve; otherwise nothing is trained and the caller hands in the best clean checkpoint.
"""

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from posttrain.orchestrator.ptb.audit_data import SetScan, read_rows
from posttrain.orchestrator.ptb.lineage import Step
from posttrain.tools.durations import minutes


SAFETY = 1.25  # a retrain is never faster than the run it repeats on a busy machine; leave room for that
DECODING_FILES = ("generation_config.json", "posttrain_decoding.json")


@dataclass
class RetrainOutcome:
    status: str  # retrained | skipped | failed
    reason: str
    checkpoint: str | None = None
    score: float | None = None
    needed_s: float = 0.0
    cleaned: list[str] = field(default_factory=list)
    duration_s: float = 0.0


def clean_set(scan: SetScan, why: str) -> Path:
    """Write `scan.path` without its dirty rows to `<folder>-clean/<name>`, with a README.md card; returns the path."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = read_rows(scan.path)
    dropped = sorted(scan.dirty_rows)
    kept = [row for index, row in enumerate(rows) if index not in scan.dirty_rows]
    folder = scan.path.parent.with_name(scan.path.parent.name + "-clean")
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / scan.path.name
    table = pa.Table.from_pylist(kept, schema=pq.read_schema(scan.path))
    pq.write_table(table, out)
    _write_card(folder, scan, out, dropped, len(kept), why)
    return out


def _write_card(folder: Path, scan: SetScan, out: Path, dropped: list[int], kept: int, why: str) -> None:
    """The original card's provenance (sources, generation) kept, plus the drop as one more transformation."""
    import yaml

    from posttrain.orchestrator.ptb.audit_sources import card_header

    original = scan.path.parent / "README.md"
    info = dict((card_header(original).get("posttrain") or {}) if original.is_file() else {})
    step = f"dropped {len(dropped)} row(s) the contamination audit flagged ({why})"
    info.update(name=out.stem, n_rows=kept, cleaned_from=str(scan.path), dropped_rows=dropped,
                transformations=[*(info.get("transformations") or []), step],
                dropped_reasons={str(i): ("test answer used as the label: " + ", ".join(scan.leaks[i])
                                          if i in scan.leaks else _held(scan, i)) for i in dropped})
    leak_note = f" ({len(scan.leaks)} of them used a test item's answer as their label)" if scan.leaks else ""
    body = [f"# {out.stem}", "", f"`{scan.path.name}` without the {len(dropped)} row(s) that hold benchmark test items"
            f"{leak_note}: {why}.", "", f"{kept} rows kept of {scan.rows}. Dropped rows (0-based, in the original): "
            f"{', '.join(map(str, dropped[:50]))}{' …' if len(dropped) > 50 else ''}.", ""]
    header = yaml.safe_dump({"posttrain": info}, sort_keys=False)
    (folder / "README.md").write_text(f"---\n{header}---\n" + "\n".join(body), encoding="utf-8")


def _held(scan: SetScan, row: int) -> str:
    match = scan.matches.get(row)
    if not match:
        return "holds a test item (the task's checker)"
    return f"holds test item {match['eval_id']} ({match['field']}, {match['rule']}, score {match['score']:.2f})"


def _measured_s(step: Step) -> float:
    """How long the run being repeated took (its result.json), plus its evaluation (the eval report beside it)."""
    out = Path(step.checkpoint).parent
    train = json.loads((out / "result.json").read_text()).get("duration_s", 0.0) if (out / "result.json").is_file() \
        else float(step.spec.get("time_budget_s") or 0.0)
    evals = [json.loads(p.read_text()).get("duration_s", 0.0) for p in out.parent.glob("eval/*.json")]
    return float(train) + max(evals, default=0.0)


def needed_s(steps: list[Step]) -> float:
    return SAFETY * sum(_measured_s(step) for step in steps)


def retrain_chain(steps: list[Step], dirty: dict[str, SetScan], *, run_dir: Path, benchmark: str,
                  remaining_s: float, reserve_s: float, say: Callable[[str], None], why: str) -> RetrainOutcome:
    """Retrain `steps` (oldest first) from the first one whose dataset is in `dirty` (by resolved path)."""
    first = next((k for k, s in enumerate(steps) if str(Path(s.dataset).resolve()) in dirty), None)
    if first is None:
        return RetrainOutcome("skipped", "final_model's chain trained on no flagged set")
    todo = steps[first:]
    needed = needed_s(todo)
    if remaining_s < needed + reserve_s:
        return RetrainOutcome("skipped", f"{minutes(remaining_s)} left does not cover the retrain "
                              f"({minutes(needed)} measured, x{SAFETY}) plus the {minutes(reserve_s)} reserve",
                              needed_s=needed)
    started, cleaned, renamed = time.monotonic(), [], {}
    checkpoint = None
    for step in todo:
        scan = dirty.get(str(Path(step.dataset).resolve()))
        dataset = clean_set(scan, why) if scan else Path(step.dataset)
        if scan:
            cleaned.append(str(dataset))
            say(f"dropped {len(scan.dirty_rows)} contaminated row(s) of {scan.rows} from {scan.path.name}; "
                f"clean copy {dataset}")
        init = renamed.get(step.init, step.init)
        left = remaining_s - reserve_s - (time.monotonic() - started)
        checkpoint = _train(step, dataset, init, left, run_dir)
        if checkpoint is None:
            return RetrainOutcome("failed", f"the retrain of {step.checkpoint} did not finish", needed_s=needed,
                                  cleaned=cleaned, duration_s=time.monotonic() - started)
        renamed[step.checkpoint] = checkpoint
        for name in DECODING_FILES:  # the decoding the Evaluator chose for this plan's checkpoint
            if (Path(step.checkpoint) / name).is_file():
                shutil.copyfile(Path(step.checkpoint) / name, Path(checkpoint) / name)
    score = _evaluate(checkpoint, benchmark)
    return RetrainOutcome("retrained", f"retrained {len(todo)} step(s) on clean data", checkpoint=checkpoint,
                          score=score, needed_s=needed, cleaned=cleaned, duration_s=time.monotonic() - started)


def _train(step: Step, dataset: Path, init: str, budget_s: float, run_dir: Path) -> str | None:
    from posttrain.tools.training import GRPOSpec, SFTSpec, run_training

    kind = GRPOSpec if step.spec.get("method") == "grpo" else SFTSpec
    spec = {k: v for k, v in step.spec.items() if k in kind.model_fields}  # spec.json also holds derived values
    typed = kind.model_validate({**spec, "dataset": str(dataset), "base_model": init,
                                 "time_budget_s": max(30.0, budget_s)})
    out = Path(step.checkpoint).parent.with_name(Path(step.checkpoint).parent.name + "-clean")
    result = run_training(typed, out, project=Path(run_dir).name, run_name=f"{out.parent.name}-{out.name}")
    return result.checkpoint if result.status == "succeeded" else None


def _evaluate(checkpoint: str, benchmark: str) -> float:
    from posttrain.tools.evaluation import evaluate_model

    return evaluate_model(checkpoint, benchmark, Path(checkpoint).parent / "eval").score
