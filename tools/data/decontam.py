"""Decontamination gate: drop training rows that overlap a benchmark's eval items, before anything reaches the Trainer.

The overlap test is the Evaluator's `check_contamination` (word n-grams); this module runs it per benchmark,
drops every flagged row and returns the summary the dataset card and transcript report.

>>> kept, summary = decontaminate(rows, ["arithmetic"])
>>> summary.dropped, summary.per_benchmark
"""

from typing import Any

from posttrain.tools.data.artifact import ContaminationSummary


def row_text(row: dict[str, Any]) -> str:
    """All the text of a row (strings and chat-message contents), joined, as the overlap test sees it."""
    parts: list[str] = []
    for value in row.values():
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            parts += [m.get("content", "") for m in value if isinstance(m, dict) and isinstance(m.get("content"), str)]
    return "\n".join(parts)


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
