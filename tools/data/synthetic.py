"""Programmatic synthetic data: a built-in benchmark's own generator turned into an SFT or GRPO dataset.

SFT rows carry the teacher's answer (wrong on a ``teacher_noise`` share of rows, like a real imperfect teacher)
and the true answer; the label check measures how many labels the benchmark's scorer accepts and drops the rest.
GRPO rows carry the true answer, which the reward checks. Every build goes through dedupe, the label check and
the decontamination gate before it is saved.

>>> artifact = build_benchmark_dataset("arithmetic", "runs/x/data", n=3000, fmt="sft", teacher_noise=0.2)
>>> artifact.path, artifact.counts, artifact.label_accuracy
"""

from pathlib import Path
from typing import Any

from posttrain.tools.data.artifact import DatasetArtifact
from posttrain.tools.data.decontam import decontaminate
from posttrain.tools.data.dedupe import find_duplicates
from posttrain.tools.data.labels import check_labels
from posttrain.tools.data.save import save_dataset
from posttrain.tools.errors import ConfigError
from posttrain.tools.methods import DataFormat, get_format


def gold_answer(item: Any) -> str:
    """The true answer of a training item: generators put the teacher's label in ``answer`` and the truth in meta."""
    return str(item.meta.get("gold", item.answer))


def benchmark_rows(
    benchmark: str, *, n: int, fmt: DataFormat, seed: int = 0, teacher_noise: float = 0.0
) -> list[dict[str, Any]]:
    """Generate ``n`` rows from the benchmark's generator.

    SFT rows: prompt, completion (the teacher's label) and answer (the item's true answer, what a real dataset's
    gold column holds); GRPO rows: prompt, answer. Whether a label is right is for ``check_labels`` to measure.
    """
    from posttrain.tools.evaluation import get_benchmark

    if n <= 0:
        raise ConfigError(f"n must be > 0, got {n}; fix: ask for at least one row")
    if not 0.0 <= teacher_noise <= 1.0:
        raise ConfigError(
            f"teacher_noise must be in [0, 1], got {teacher_noise}; fix: use e.g. 0.2 for 20% wrong labels"
        )
    items = get_benchmark(benchmark).train_items(n, seed, teacher_noise)
    if get_format(fmt).completion:
        return [{"prompt": item.prompt, "completion": item.answer, "answer": gold_answer(item)} for item in items]
    return [{"prompt": item.prompt, "answer": gold_answer(item)} for item in items]


def build_benchmark_dataset(
    benchmark: str,
    out_dir: str | Path,
    *,
    n: int,
    fmt: DataFormat,
    seed: int = 0,
    teacher_noise: float = 0.0,
    decontaminate_against: list[str] | None = None,
    drop_wrong_labels: bool = True,
) -> DatasetArtifact:
    """Build a synthetic training set from a built-in benchmark's generator; use it for SFT or GRPO data.

    SFT → columns prompt, completion (the teacher's answer; ``teacher_noise`` is the share of wrong labels),
    answer (the true answer). Each completion is scored by the benchmark's scorer against its answer: the measured
    share is ``label_accuracy`` and rejected rows are dropped (``drop_wrong_labels=False`` keeps them, to study a
    noisy teacher). GRPO → columns prompt, answer (the true answer the reward checks). Exact duplicate prompts are
    dropped, then rows overlapping the eval items of ``decontaminate_against`` (default: [benchmark]).
    Writes out_dir/<benchmark>-<fmt>.parquet and out_dir/README.md (the dataset card). Returns a DatasetArtifact
    with counts after each step, the contamination summary and the label check.
    """
    if not get_format(fmt).benchmark_source:
        raise ConfigError(
            f"fmt must be 'sft' or 'grpo', got {fmt!r}; fix: DPO data needs a teacher with chosen/rejected pairs"
        )
    rows = benchmark_rows(benchmark, n=n, fmt=fmt, seed=seed, teacher_noise=teacher_noise)
    counts = {"generated": len(rows)}
    duplicates = find_duplicates([row["prompt"] for row in rows], near=False)
    drop = set(duplicates.exact)
    rows = [row for i, row in enumerate(rows) if i not in drop]
    counts["after_dedupe"] = len(rows)
    label_check = None
    if get_format(fmt).completion:
        rows, label_check = check_labels(rows, benchmark, drop=drop_wrong_labels)
        counts["after_label_check"] = len(rows)
    against = [benchmark] if decontaminate_against is None else list(decontaminate_against)
    kept, contamination = decontaminate(rows, against)
    counts["after_decontam"] = len(kept)
    safe_name = benchmark.replace(":", "_").replace("=", "").replace("/", "_")
    checked = "dropped" if drop_wrong_labels else "kept"
    return save_dataset(
        kept,
        out_dir,
        name=f"{safe_name}-{fmt}",
        fmt=fmt,
        counts=counts,
        contamination=contamination,
        sources=[f"benchmark:{benchmark}@seed={seed},teacher_noise={teacher_noise}"],
        transformations=[
            f"generated {n} items with the {benchmark} generator (seed {seed}, teacher_noise {teacher_noise})",
            "sft: completion = teacher answer, answer = true answer" if get_format(fmt).completion
            else "grpo: answer = true answer",
            "dropped exact duplicate prompts",
            *([f"label check with the {benchmark} scorer: wrong labels {checked}"] if get_format(fmt).completion
              else []),
            f"decontamination gate against {', '.join(against) or 'nothing'}",
        ],
        label_check=label_check,
    )
