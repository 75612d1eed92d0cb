"""Decontamination: which training rows hold which test items, shared by the build gate, `decontam` and `audit`.

    from posttrain.tools.evaluation.contamination import check_contamination, load_train_set
    train = load_train_set("data/train.jsonl")
    report = check_contamination(train.texts, bench.eval_items(), lines=train.lines, benchmark="gsm8k")
    report.matches        # every contaminated row: test item, field, rule, score

Modules: ``text`` (normalisation), ``reference`` (test items by field), ``grams`` (IDF 5-gram coverage),
``numbers`` (paraphrase and final-answer rules), ``check`` (the verdict), ``loading`` (strict file reading),
``judges`` (running PostTrainBench's own checker beside it).
"""

from posttrain.tools.evaluation.contamination.check import (
    METHOD,
    ContaminationReport,
    RowMatch,
    check_contamination,
    threshold,
)
from posttrain.tools.evaluation.contamination.loading import (
    TrainSet,
    load_train_set,
    load_train_texts,
    read_json_rows,
)
from posttrain.tools.evaluation.contamination.reference import (
    RefItem,
    eval_text,
    from_benchmark_items,
    from_rows,
    load_reference,
)
from posttrain.tools.evaluation.contamination.text import normalize_words, row_text


__all__ = [
    "METHOD",
    "ContaminationReport",
    "RefItem",
    "RowMatch",
    "TrainSet",
    "check_contamination",
    "eval_text",
    "from_benchmark_items",
    "from_rows",
    "load_reference",
    "load_train_set",
    "load_train_texts",
    "normalize_words",
    "read_json_rows",
    "row_text",
    "threshold",
]
