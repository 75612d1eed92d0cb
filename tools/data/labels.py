"""Label quality, measured: score every SFT completion that has a gold answer with the benchmark's own scorer.

A real team never knows which labels its teacher got wrong; it can only check them. Rows that carry both a
``completion`` and a gold ``answer`` are scored with ``Benchmark.score(completion, Item(answer=gold))`` — the same
scorer the Evaluator uses — and the ones it rejects are dropped. Rows without a gold answer pass unchecked, and
the accuracy is ``None`` (unknown) when no row could be checked.

>>> kept, check = check_labels(rows, "caesar")
>>> check.accuracy, check.dropped, check.line()   # 0.3, 700, 'labels checked with the caesar scorer: ...'
"""

from typing import Any

from pydantic import BaseModel, Field


class LabelCheck(BaseModel):
    """What the label check scored, kept and dropped."""

    benchmark: str = Field(description="Spec of the benchmark whose scorer checked the labels.")
    checked: int = Field(description="Rows with a completion and a gold answer, scored.")
    accepted: int = Field(description="Checked rows whose completion the scorer accepted.")
    dropped: int = Field(description="Checked rows rejected and dropped (0 when drop was off).")
    unchecked: int = Field(0, description="Rows without a completion or gold answer: kept, not scored.")
    accuracy: float | None = Field(description="accepted / checked; None (unknown) when nothing was checked.")
    how: str = Field(description="What was compared with what, in words.")

    def line(self) -> str:
        """One line for a transcript."""
        if self.accuracy is None:
            return f"labels not checked: {self.how}"
        return (
            f"labels {self.accuracy:.1%} correct ({self.accepted}/{self.checked} checked, {self.dropped} dropped, "
            f"{self.unchecked} unchecked; {self.how})"
        )


def _gold(row: dict[str, Any]) -> str | None:
    answer = row.get("answer")
    return str(answer) if answer is not None and str(answer).strip() else None


def check_labels(
    rows: list[dict[str, Any]], benchmark: Any, *, drop: bool = True
) -> tuple[list[dict[str, Any]], LabelCheck]:
    """Score each row's ``completion`` against its gold ``answer`` with ``benchmark``'s scorer; drop failures.

    ``benchmark``: a spec string or a Benchmark. Rows lacking either field are kept unchecked. Code benchmarks
    are not checked (their answers are reference programs, their check is a test run). Returns the kept rows
    and the LabelCheck (accuracy None when no row could be checked).
    """
    from posttrain.tools.evaluation import get_benchmark
    from posttrain.tools.evaluation.benchmark import Item

    bench = get_benchmark(benchmark) if isinstance(benchmark, str) else benchmark
    spec = bench.spec or bench.name
    if bench.answer_type == "code":
        how = f"{spec} is a code benchmark: a label needs its tests run, so none were checked"
        return rows, LabelCheck(
            benchmark=spec, checked=0, accepted=0, dropped=0, unchecked=len(rows), accuracy=None, how=how
        )
    kept, checked, accepted = [], 0, 0
    for index, row in enumerate(rows):
        completion, gold = row.get("completion"), _gold(row)
        if not isinstance(completion, str) or gold is None:
            kept.append(row)
            continue
        checked += 1
        item = Item(id=f"row-{index}", prompt=str(row.get("prompt", "")), answer=gold)
        if bench.score(completion, item).correct:
            accepted += 1
            kept.append(row)
        elif not drop:
            kept.append(row)
    unchecked = len(rows) - checked
    if checked:
        how = f"each completion scored by the {bench.name} scorer against the row's gold answer"
    elif any(isinstance(row.get("completion"), str) for row in rows):
        how = ("the completions are the data's own answers, taken as the gold labels (label accuracy measures labels "
               "a teacher or a model produced, checked against a separate gold answer)")
    else:
        how = "no row carries both a completion and a gold answer"
    return kept, LabelCheck(
        benchmark=spec,
        checked=checked,
        accepted=accepted,
        dropped=checked - accepted if drop else 0,
        unchecked=unchecked,
        accuracy=accepted / checked if checked else None,
        how=how,
    )
