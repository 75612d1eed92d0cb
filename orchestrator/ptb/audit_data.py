"""Contamination audit: every training set the run produced against the benchmark's test items.

Training sets are the parquet files under `RUN/artifacts/*/` (built data and RFT data). They are checked with
posttrain's decontamination module (the one the build gate uses, so the gate and the audit give the same verdicts)
and, when the task gives one, with the judges' own checker as well (`contamination.judges`): a row either flags is
dirty, and every row where the two disagree is listed. Then a label check: no training row may pair a test item's
question with that item's answer.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posttrain.orchestrator.ptb.checks import Check
from posttrain.tools.evaluation.contamination import RefItem, from_benchmark_items, load_reference


_WORD = re.compile(r"[^\W_]+")


def norm(text: Any) -> str:
    """Lower-cased NFKC words of letters and digits, single-spaced."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", str(text)).lower()))


def training_sets(run_dir: Path) -> list[Path]:
    return sorted(Path(run_dir, "artifacts").glob("*/**/*.parquet"))


def read_rows(path: Path) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def test_items(bench_items: list, reference: str | None) -> list[RefItem]:
    """The test items by field: the benchmark's, plus the task's reference file's."""
    items = from_benchmark_items(bench_items) + (load_reference(reference) if reference else [])
    return [it for it in items if norm(it.question)]


def _label_leaks(rows: list[dict], flagged: set[int], items: list[RefItem]) -> dict[int, list[str]]:
    """Rows whose prompt is a test item's question and whose label holds that item's gold answer: {row: [ids]}."""
    from posttrain.tools.evaluation.contamination.reference import ANSWER_KEYS, QUESTION_KEYS, _first

    by_question = {norm(it.question): it for it in items if norm(it.final)}
    leaks: dict[int, list[str]] = {}
    for index, row in enumerate(rows):
        prompt, label = norm(_first(row, QUESTION_KEYS, "q")), norm(_first(row, ANSWER_KEYS, "answer"))
        if not label:
            continue
        hits = [by_question[prompt]] if prompt in by_question else []
        if not hits and index in flagged:
            hits = [it for q, it in by_question.items() if q and q in prompt]
        found = [it.id for it in hits if re.search(rf"(^| ){re.escape(norm(it.final))}( |$)", label)]
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
    note: str | None = None  # the task's checker failed; posttrain's verdict stands alone
    matches: dict[int, dict] = field(default_factory=dict)  # row -> posttrain's match (item, field, rule, score)
    disagreement: dict[str, list[int]] | None = None  # only_posttrain / only_checker rows, when a checker ran

    @property
    def dirty_rows(self) -> set[int]:
        return self.flagged | set(self.leaks)


def scan_set(path: Path, items: list[RefItem], *, checker: str | None = None, ref_file: str | None = None) -> SetScan:
    """Check one parquet set with posttrain's module, and with the task's checker too when one is given."""
    from posttrain.tools.evaluation.contamination import check_contamination, row_text
    from posttrain.tools.evaluation.contamination.judges import CheckerFailed, compare, run_checker

    rows = read_rows(path)
    texts = [row_text(row) for row in rows]
    report = check_contamination(texts, items)
    scan = SetScan(path=path, rows=len(rows), flagged=set(report.contaminated_train_rows),
                   matches={m.row: m.model_dump(exclude={"row", "line"}) for m in report.matches})
    if checker:
        try:
            theirs = run_checker(checker, texts, reference=ref_file, refs=items)
        except CheckerFailed as exc:
            scan.note = f"the task's checker failed on {path.name} ({exc}); posttrain's verdict stands alone"
        else:
            agreement = compare(checker, scan.flagged, theirs)
            scan.disagreement = {"only_posttrain": agreement.only_posttrain, "only_checker": agreement.only_checker}
            scan.flagged |= theirs
    scan.leaks = _label_leaks(rows, scan.flagged, items)
    return scan


def scan_run(run_dir: Path, bench_items: list, *, checker: str | None = None,
             reference: str | None = None, sets: list[Path] | None = None) -> tuple[list[SetScan], list[RefItem]]:
    """Every training set of the run (or `sets`) scanned; also returns the test items used."""
    items = test_items(bench_items, reference)
    scans = [scan_set(path, items, checker=checker, ref_file=reference)
             for path in (sets if sets is not None else training_sets(run_dir))]
    return scans, items


def check_contamination_of_run(run_dir: Path, bench_items: list, *, checker: str | None = None,
                               reference: str | None = None, used: set[str] | None = None) -> Check:
    """`used`: the sets (relative to the run) final_model was trained on, from its lineage; None = all count.
    A dirty set final_model never trained on (superseded by a cleaned retrain) is a warning, not a failure."""
    run_dir = Path(run_dir)
    sets = training_sets(run_dir)
    if not sets:
        return Check(name="contamination", status="pass", summary="the run produced no training set")
    tool = "posttrain's check and the task's checker" if checker else "posttrain's decontamination check"
    scans, items = scan_run(run_dir, bench_items, checker=checker, reference=reference, sets=sets)
    notes = [s.note for s in scans if s.note]
    per_set, leaks, superseded, matches, disagreements = {}, {}, [], {}, {}
    for scan in scans:
        rel = str(scan.path.relative_to(run_dir))
        if scan.disagreement and any(scan.disagreement.values()):
            disagreements[rel] = {k: v[:50] for k, v in scan.disagreement.items()}
        if not scan.dirty_rows:
            continue
        if used is not None and rel not in used:
            superseded.append(rel)
            continue
        if scan.flagged:
            per_set[rel] = sorted(scan.flagged)[:20]
            matches[rel] = [{"row": row} | match for row, match in sorted(scan.matches.items())[:200]]
        if scan.leaks:
            leaks[rel] = sorted({i for ids in scan.leaks.values() for i in ids})[:20]
    details = {"training_sets": [str(p.relative_to(run_dir)) for p in sets], "checker": checker or "posttrain",
               "test_items": len(items), "contaminated_rows": per_set, "label_leaks": leaks, "notes": notes,
               "matches": matches, "disagreements": disagreements,
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
