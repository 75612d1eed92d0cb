"""The Evaluator's tools: benchmark registry, scorers, backends, reports with CIs, paired tests, decontamination.

    from posttrain.tools.evaluation import get_benchmark, evaluate_model, compare_reports, check_contamination
    bench = get_benchmark("arithmetic:digits=3,ops=+")
    report = evaluate_model("runs/x/model", bench, "artifacts/1/eval")      # writes artifacts/1/eval/arithmetic.json
    compare_reports("artifacts/0/eval/arithmetic.json", report)             # diff, CI, McNemar p, significant
    check_contamination(train_texts, bench.eval_items())                    # each contaminated row and its match
    check_decoding("runs/x/model", bench, "artifacts/0/decoding")           # greedy vs sampled, chat template

Heavy libraries (torch, transformers, datasets, vllm) are imported only inside the functions that need them.
"""

from posttrain.tools.evaluation.backends import Generation, GenerationSettings, generate, resolve_backend
from posttrain.tools.evaluation.benchmark import Benchmark, Item, Scored
from posttrain.tools.evaluation.compare import (
    Comparison,
    RegressionReport,
    check_regressions,
    compare_folders,
    compare_many,
    compare_reports,
    mcnemar_exact,
)
from posttrain.tools.evaluation.contamination import (
    ContaminationReport,
    check_contamination,
    load_train_texts,
    normalize_words,
)
from posttrain.tools.evaluation.decoding import DecodingCandidate, DecodingCheck, check_decoding
from posttrain.tools.evaluation.harness import evaluate_model
from posttrain.tools.evaluation.registry import get_benchmark, list_benchmarks
from posttrain.tools.evaluation.report import EvalReport, ItemRecord, load_records, load_report, wilson_interval


__all__ = [
    "Benchmark",
    "Comparison",
    "ContaminationReport",
    "DecodingCandidate",
    "DecodingCheck",
    "EvalReport",
    "Generation",
    "GenerationSettings",
    "Item",
    "ItemRecord",
    "RegressionReport",
    "Scored",
    "check_contamination",
    "check_decoding",
    "check_regressions",
    "compare_folders",
    "compare_many",
    "compare_reports",
    "evaluate_model",
    "generate",
    "get_benchmark",
    "list_benchmarks",
    "load_records",
    "load_report",
    "load_train_texts",
    "mcnemar_exact",
    "normalize_words",
    "resolve_backend",
    "wilson_interval",
]
