"""Contamination audit: every training set the run produced against the benchmark's test items.

Training sets are the parquet files under `RUN/artifacts/*/` (built data and RFT data). They are checked with the
task's own checker when one is given, else with posttrain's n-gram checker (normalised words, so case,
punctuation and spacing changes do not hide a copy). Then a label check: no training row may pair a test item's
question with that item's answer.

The task checker's interface (PostTrainBench's `contamination_check.py`)::

    python CHECKER --reference REFERENCE.json --input ROWS.jsonl
    # REFERENCE: a JSON array (or JSONL) of test items with "question" and "answer";
    # ROWS: one {"text": ...} object per training row.
    # Exit 0: clean; exit 1: contaminated, stdout one JSON object per contaminated row with "source": "line:N"
    # (N counts from 1); any other exit code is a checker error.
"""

import json
import re
import subprocess
import sys
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posttrain.orchestrator.ptb.checks import Check


_WORD = re.compile(r"[^\W_]+")
QUESTION_KEYS = ("question", "problem", "prompt", "input", "instruction", "query", "text")
ANSWER_KEYS = ("answer", "solution", "completion", "output", "response", "target")


def norm(text: Any) -> str:
    """Lower-cased NFKC words of letters and digits, single-spaced (how both checkers see text)."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", str(text)).lower()))


def training_sets(run_dir: Path) -> list[Path]:
    return sorted(Path(run_dir, "artifacts").glob("*/**/*.parquet"))


def read_rows(path: Path) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def _field(row: dict, keys, role: str) -> str:
    for key in keys:
        value = row.get(key)
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, list):  # chat messages
            return "\n".join(m.get("content", "") for m in value if isinstance(m, dict) and
                             (m.get("role") == "assistant") == (role == "answer"))
    if isinstance(row.get("messages"), list):
        return _field({"m": row["messages"]}, ["m"], role)
    return ""


def test_items(bench_items: list, reference: str | None) -> list[dict]:
    """The test items as {"id", "question", "answer"}: the benchmark's, plus the task's reference file's."""
    from posttrain.tools.evaluation.contamination import eval_text

    items = [{"id": it.id, "question": eval_text(it), "answer": it.answer} for it in bench_items]
    if reference:
        text = Path(reference).read_text(encoding="utf-8").strip()
        rows = json.loads(text) if text.startswith("[") else [json.loads(x) for x in text.splitlines() if x.strip()]
        for index, row in enumerate(rows):
            items.append({"id": str(row.get("id", f"ref-{index}")), "question": _field(row, QUESTION_KEYS, "q"),
                          "answer": str(_field(row, ANSWER_KEYS, "answer") or row.get("answer", ""))})
    return [it for it in items if norm(it["question"])]


def _run_checker(checker: str, reference: str, texts: list[str]) -> set[int]:
    """Rows the task's checker flags (0-based). RuntimeError when the checker fails to run."""
    with tempfile.TemporaryDirectory() as tmp:
        rows = Path(tmp, "rows.jsonl")
        rows.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
        command = [sys.executable, checker] if checker.endswith(".py") else [checker]
        done = subprocess.run([*command, "--reference", reference, "--input", str(rows)], capture_output=True,
                              text=True, timeout=1800)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"exit {done.returncode}: {(done.stderr or done.stdout).strip()[-200:]}")
    flagged = set()
    for line in done.stdout.splitlines():
        try:
            source = json.loads(line).get("source", "")
        except (json.JSONDecodeError, AttributeError):
            continue
        if match := re.fullmatch(r"line:(\d+)", str(source)):
            flagged.add(int(match.group(1)) - 1)
    if done.returncode == 1 and not flagged:
        raise RuntimeError("exit 1 (contaminated) but no 'line:N' sources on stdout")
    return flagged


def _ours(texts: list[str], items: list[dict]) -> set[int]:
    from posttrain.tools.evaluation.benchmark import Item
    from posttrain.tools.evaluation.contamination import check_contamination

    as_items = [Item(id=it["id"], prompt=it["question"], answer=it["answer"]) for it in items]
    return set(check_contamination(texts, as_items, n=8).contaminated_train_rows)


def _label_leaks(rows: list[dict], flagged: set[int], items: list[dict]) -> dict[int, list[str]]:
    """Rows whose prompt is a test item's question and whose label holds that item's gold answer: {row: [ids]}."""
    by_question = {norm(it["question"]): it for it in items if norm(it["answer"])}
    leaks: dict[int, list[str]] = {}
    for index, row in enumerate(rows):
        prompt, label = norm(_field(row, QUESTION_KEYS, "q")), norm(_field(row, ANSWER_KEYS, "answer"))
        if not label:
            continue
        hits = [by_question[prompt]] if prompt in by_question else []
        if not hits and index in flagged:
            hits = [it for q, it in by_question.items() if q and q in prompt]
        found = [it["id"] for it in hits if re.search(rf"(^| ){re.escape(norm(it['answer']))}( |$)", label)]
        if found:
            leaks[index] = found
    return leaks


@dataclass
class SetScan:
    """One training set checked: every flagged row (0-based), the rows using a test answer as their label."""

    path: Path
    rows: int
    flagged: set[int] = field(default_factory=set)
    leaks: dict[int, list[str]] = field(default_factory=dict)
    note: str | None = None  # the task's checker failed and posttrain's was used

    @property
    def dirty_rows(self) -> set[int]:
        return self.flagged | set(self.leaks)


def scan_set(path: Path, items: list[dict], *, checker: str | None = None, ref_file: str | None = None) -> SetScan:
    """Check one parquet set with the task's checker (posttrain's when it fails or none is given)."""
    rows = read_rows(path)
    texts = [_row_text(row) for row in rows]
    scan = SetScan(path=path, rows=len(rows))
    if checker and ref_file:
        try:
            scan.flagged = _run_checker(checker, ref_file, texts)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            scan.note = f"the task's checker failed on {path.name} ({exc}); used posttrain's instead"
            scan.flagged = _ours(texts, items)
    else:
        scan.flagged = _ours(texts, items)
    scan.leaks = _label_leaks(rows, scan.flagged, items)
    return scan


def scan_run(run_dir: Path, bench_items: list, *, checker: str | None = None,
             reference: str | None = None, sets: list[Path] | None = None) -> tuple[list[SetScan], list[dict]]:
    """Every training set of the run (or `sets`) scanned; also returns the test items used."""
    items = test_items(bench_items, reference)
    scans = []
    with tempfile.TemporaryDirectory() as tmp:
        ref_file = reference
        if checker and not ref_file:
            ref_file = str(Path(tmp, "reference.json"))
            Path(ref_file).write_text(json.dumps([{"question": it["question"], "answer": it["answer"]}
                                                  for it in items]), encoding="utf-8")
        for path in sets if sets is not None else training_sets(run_dir):
            scans.append(scan_set(path, items, checker=checker, ref_file=ref_file))
    return scans, items


def check_contamination_of_run(run_dir: Path, bench_items: list, *, checker: str | None = None,
                               reference: str | None = None, used: set[str] | None = None) -> Check:
    """`used`: the sets (relative to the run) final_model was trained on, from its lineage; None = all count.
    A dirty set final_model never trained on (superseded by a cleaned retrain) is a warning, not a failure."""
    run_dir = Path(run_dir)
    sets = training_sets(run_dir)
    if not sets:
        return Check(name="contamination", status="pass", summary="the run produced no training set")
    tool = "the task's checker" if checker else "posttrain's 8-gram checker"
    scans, items = scan_run(run_dir, bench_items, checker=checker, reference=reference, sets=sets)
    notes = [s.note for s in scans if s.note]
    per_set, leaks, superseded = {}, {}, []
    for scan in scans:
        rel = str(scan.path.relative_to(run_dir))
        if not scan.dirty_rows:
            continue
        if used is not None and rel not in used:
            superseded.append(rel)
            continue
        if scan.flagged:
            per_set[rel] = sorted(scan.flagged)[:20]
        if scan.leaks:
            leaks[rel] = sorted({i for ids in scan.leaks.values() for i in ids})[:20]
    details = {"training_sets": [str(p.relative_to(run_dir)) for p in sets], "checker": checker or "posttrain",
               "test_items": len(items), "contaminated_rows": per_set, "label_leaks": leaks, "notes": notes,
               "contaminated_counts": {str(s.path.relative_to(run_dir)): len(s.dirty_rows) for s in scans
                                       if s.dirty_rows},
               "used_by_final_model": sorted(used) if used is not None else "unknown (all sets count)",
               "superseded": superseded}
    if per_set or leaks:
        where = ", ".join(f"{k} ({details['contaminated_counts'][k]} rows)" for k in per_set)
        leak = f"; test answers used as labels in {', '.join(leaks)}" if leaks else ""
        return Check(name="contamination", status="fail", details=details,
                     summary=f"{tool} found test items in {where or 'no set'}{leak}",
                     fix="drop those rows (rebuild the data with the decontamination gate) and retrain, or hand "
                         "in a checkpoint trained without them")
    if superseded:
        return Check(name="contamination", status="warn", details=details,
                     summary=f"final_model's training data is clean against {len(items)} test items ({tool}); "
                             f"{', '.join(superseded)} held test items but final_model was not trained on it",
                     fix="nothing to hand in differently; the dirty set stays on disk as the record")
    status = "warn" if notes else "pass"
    return Check(name="contamination", status=status, details=details, fix="; ".join(notes),
                 summary=f"{len(sets)} training set(s) clean against {len(items)} test items ({tool})")


def _row_text(row: dict) -> str:
    from posttrain.tools.evaluation.contamination import row_text

    return row_text(row)
