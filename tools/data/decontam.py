"""Decontamination gate: drop training rows that hold a benchmark's eval items, before anything reaches the Trainer.

The verdict is the shared decontamination module's (`posttrain.tools.evaluation.contamination`, the same one
`posttrain decontam` and `posttrain audit` use); this module runs it per benchmark, drops every flagged row and
returns the summary the dataset card lists row by row.

>>> kept, summary = decontaminate(rows, ["arithmetic"])
>>> summary.dropped, summary.dropped_rows[0].eval_id
"""

from typing import Any

from posttrain.tools.data.artifact import ContaminationSummary, DroppedRow


def decontaminate(
    rows: list[dict[str, Any]], benchmarks: list[str]
) -> tuple[list[dict[str, Any]], ContaminationSummary]:
    """Drop rows holding any eval item of ``benchmarks``; return (kept rows, summary naming each dropped row's match).

    An empty ``benchmarks`` list checks nothing (the summary says so). Unknown benchmark names raise ConfigError.
    """
    from posttrain.tools.evaluation import get_benchmark
    from posttrain.tools.evaluation.contamination import METHOD, check_contamination, row_text

    texts = [row_text(row) for row in rows]  # flattened as `decontam` and `audit` flatten them: same verdicts
    dropped: dict[int, DroppedRow] = {}
    per_benchmark: dict[str, int] = {}
    eval_hits = siblings = 0
    for name in benchmarks:
        items = get_benchmark(name).eval_items()  # an unknown name is a ConfigError
        report = check_contamination(texts, items, benchmark=name)
        per_benchmark[name] = len(report.matches)
        eval_hits += len(report.contaminated_eval_ids)
        siblings += report.template_siblings
        for m in report.matches:
            text = " ".join(texts[m.row].split())[:160]
            dropped.setdefault(m.row, DroppedRow(row=m.row, benchmark=name, eval_id=m.eval_id, field=m.field,
                                                 rule=m.rule, score=m.score, text=text))
    kept = [row for i, row in enumerate(rows) if i not in dropped]
    summary = ContaminationSummary(
        checked_against=list(benchmarks),
        dropped=len(dropped),
        rate=len(dropped) / len(rows) if rows else 0.0,
        method=METHOD if benchmarks else "",
        contaminated_eval_items=eval_hits,
        per_benchmark=per_benchmark,
        dropped_rows=[dropped[i] for i in sorted(dropped)],
        template_siblings=siblings,
    )
    return kept, summary
