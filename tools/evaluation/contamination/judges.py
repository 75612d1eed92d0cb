"""Run the judges' own checker (PostTrainBench's ``contamination_check.py``) beside posttrain's, and compare.

Its interface::

    python CHECKER --reference REFERENCE.json --input ROWS.jsonl
    # REFERENCE: a JSON array (or JSONL) of test items with "question" and "answer";
    # ROWS: one {"text": ...} object per training row.
    # Exit 0: clean; exit 1: contaminated, stdout one JSON object per contaminated row with "source": "line:N"
    # (N counts from 1); any other exit code is a checker error.

    flagged = run_checker("task/contamination_check.py", texts, reference="task/test_data.json")
    compare(ours=report.contaminated_train_rows, theirs=flagged)   # Agreement(only_posttrain=[...], ...)
"""

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from posttrain.tools.evaluation.contamination.reference import RefItem


class CheckerFailed(RuntimeError):
    """The judges' checker did not run to a verdict (bad exit code, unreadable output, timeout)."""


class Agreement(BaseModel):
    """Where posttrain's verdict and the judges' checker differ, row by row (0-based)."""

    checker: str = Field(description="Path of the judges' checker that was run.")
    flagged_by_checker: int = Field(description="Rows the judges' checker flagged.")
    only_posttrain: list[int] = Field(description="Rows posttrain flags and the judges' checker does not.")
    only_checker: list[int] = Field(description="Rows the judges' checker flags and posttrain does not.")

    @property
    def agrees(self) -> bool:
        return not self.only_posttrain and not self.only_checker


def write_reference(refs: Sequence[RefItem], path: Path) -> Path:
    """The test items in the checker's reference format (question, answer, passage when present)."""
    items = [{"id": r.id, "question": r.question, "answer": r.answer or r.final}
             | ({"passage": r.passage} if r.passage else {}) for r in refs]
    path.write_text(json.dumps(items), encoding="utf-8")
    return path


def run_checker(checker: str, texts: Sequence[str], *, reference: str | Path | None = None,
                refs: Sequence[RefItem] = (), timeout: float = 1800) -> set[int]:
    """Rows (0-based) the checker flags; ``reference`` is the task's test file, else ``refs`` are written out.
    Raises CheckerFailed when it gives no verdict."""
    with tempfile.TemporaryDirectory() as tmp:
        rows = Path(tmp, "rows.jsonl")
        rows.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
        ref = str(reference) if reference else str(write_reference(refs, Path(tmp, "reference.json")))
        command = [sys.executable, checker] if checker.endswith(".py") else [checker]
        try:
            done = subprocess.run([*command, "--reference", ref, "--input", str(rows)], capture_output=True,
                                  text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CheckerFailed(f"{type(exc).__name__}: {exc}") from exc
    if done.returncode not in (0, 1):
        raise CheckerFailed(f"exit {done.returncode}: {(done.stderr or done.stdout).strip()[-200:]}")
    flagged = set()
    for line in done.stdout.splitlines():
        try:
            source = json.loads(line).get("source", "")
        except (json.JSONDecodeError, AttributeError):
            continue
        if match := re.fullmatch(r"line:(\d+)", str(source)):
            flagged.add(int(match.group(1)) - 1)
    if done.returncode == 1 and not flagged:
        raise CheckerFailed("exit 1 (contaminated) but no 'line:N' sources on stdout")
    return flagged


def compare(checker: str, ours: Iterable[int], theirs: Iterable[int]) -> Agreement:
    ours, theirs = set(ours), set(theirs)
    return Agreement(checker=checker, flagged_by_checker=len(theirs), only_posttrain=sorted(ours - theirs),
                     only_checker=sorted(theirs - ours))
