"""Decontamination gate: drop training rows that overlap a benchmark's eval items, before anything reaches the Trainer.

The overlap test is the Evaluator's `check_contamination` (word n-grams); this module runs it per benchmark,
drops every flagged row and returns the summary the dataset card and transcript report.

>>> kept, summary = decontaminate(rows, ["arithmetic"])
>>> summary.dropped, summary.per_benchmark
"""

from typing import Any

from posttrain.tools.data.artifact import ContaminationSummary
from posttrain.tools.data.formats import row_text


def decontaminate(
    rows: list[dict[str, Any]], benchmarks: list[str], *, ngram: int = 8
) -> tuple[list[dict[str, Any]], ContaminationSummary]:
    """Drop rows sharing a word n-gram with any eval item of ``benchmarks``; return (kept rows, summary).

    An empty ``benchmarks`` list checks nothing (the summary says so). Unknown benchmark names raise ConfigError.
    """
    from posttrain.tools.evaluation import check_contamination, get_benchmark

    texts = [row_text(row) for row in rows]
    flagged: set[int] = set()
    per_benchmark: dict[str, int] = {}
    eval_hits = 0
    for name in benchmarks:
        report = check_contamination(texts, get_benchmark(name).eval_items(), n=ngram)  # unknown name: ConfigError
        hits = set(report.contaminated_train_rows)
        per_benchmark[name] = len(hits)
        eval_hits += len(report.contaminated_eval_ids)
        flagged |= hits
    kept = [row for i, row in enumerate(rows) if i not in flagged]
    summary = ContaminationSummary(
        checked_against=list(benchmarks),
        dropped=len(flagged),
        rate=len(flagged) / len(rows) if rows else 0.0,
        ngram=ngram,
        contaminated_eval_items=eval_hits,
        per_benchmark=per_benchmark,
    )
    return kept, summary
