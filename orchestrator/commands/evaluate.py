"""`posttrain eval` and `posttrain decontam`: score a model on a benchmark, check a dataset for leaked eval items.

    posttrain eval runs/x/model --benchmark arithmetic:digits=3 --limit 100 --json
    posttrain eval-compare artifacts/0/eval artifacts/3/eval      # paired test per shared benchmark
    posttrain decontam data/train.jsonl --benchmark gsm8k --ngram 13 --json

Only typer and the standard library are imported here; the tools load inside each command.
"""

import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer


def _progress_bar():
    """A rich progress bar on stderr and the ProgressFn that feeds it."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=Console(stderr=True), transient=True)
    tasks: dict[str, int] = {}

    def progress(task: str, completed: float, total: float | None = None, **info) -> None:
        if task not in tasks:
            tasks[task] = bar.add_task(task, total=total)
        bar.update(tasks[task], completed=completed, total=total)

    return bar, progress


@contextmanager
def _offline_note():
    """Probe the Hub once (offline mode on when it is unreachable, so loaders answer from the cache at once) and
    put that fact in front of a tool's failure: one line that names the outage."""
    from posttrain.tools.errors import ConfigError, PosttrainError, ToolError
    from posttrain.tools.network import go_offline_if_unreachable

    reason = go_offline_if_unreachable()
    try:
        yield reason
    except ConfigError:
        raise
    except PosttrainError as exc:
        if reason is None or reason in str(exc):
            raise
        raise ToolError(f"{reason}; {exc}") from exc


def eval_command(
    model: Annotated[str, typer.Argument(help="Model folder (save_pretrained), a Hub id owner/name, or tiny.")],
    benchmark: Annotated[str, typer.Option("--benchmark", "-b", help="Benchmark spec, e.g. arithmetic:digits=3, "
                                           "gsm8k, gpqa:diamond, or a path to items.jsonl / bench.yaml.")],
    limit: Annotated[int | None, typer.Option(help="Evaluate only the first N items.")] = None,
    backend: Annotated[str, typer.Option(help="auto (vLLM with a GPU, else transformers), vllm or transformers.")]
    = "auto",
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Folder for <benchmark>.json.")] = Path("artifacts/eval"),
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
    unsafe_code_execution: Annotated[bool, typer.Option(
        "--unsafe-code-execution", help="Score a code benchmark without the bubblewrap sandbox (time and memory "
        "limits only; the code can read your files): only where bwrap cannot run and the model is trusted.")] = False,
) -> None:
    """Evaluate MODEL on a benchmark: score, Wilson 95% CI, and a per-item record file."""
    from posttrain.orchestrator.commands.train import resolve_model
    from posttrain.tools.errors import ConfigError
    from posttrain.tools.evaluation import evaluate_model, get_benchmark
    from posttrain.tools.evaluation.code_exec import UNSAFE_ENV, ensure_sandbox

    if backend not in ("auto", "vllm", "transformers"):
        raise ConfigError(f"unknown --backend '{backend}'; fix: use auto, vllm or transformers")
    if unsafe_code_execution:
        os.environ[UNSAFE_ENV] = "1"  # this process and the sandboxes it starts
    with _offline_note():
        bench = get_benchmark(benchmark)  # parses only; Hub benchmarks load their rows later
        if bench.answer_type == "code":
            ensure_sandbox()  # refuse before any generation when generated code could not run isolated
        model = resolve_model(model, out_dir / "tiny-model")  # a bad name is exit 2 here, before any Hub lookup
        bench.eval_items(limit=limit)  # a Hub benchmark's rows load (or fail) before the model is loaded
        bar, progress = _progress_bar()
        with bar:
            report = evaluate_model(model, bench, out_dir, limit=limit, backend=backend, progress=progress)
    if as_json:
        fields = ("benchmark", "model", "n", "correct", "score", "ci95", "backend", "duration_s", "path", "spec")
        typer.echo(json.dumps(report.model_dump(mode="json", include=set(fields))))
        return
    low, high = report.ci95
    typer.echo(f"{report.benchmark}: {report.score:.1%} ({report.correct}/{report.n}), 95% CI [{low:.1%}, "
               f"{high:.1%}], backend {report.backend}, {report.duration_s:.1f} s")
    typer.echo(f"per-item records: {report.path}")


def decontam_command(
    dataset: Annotated[str, typer.Argument(help="Training data: a local .jsonl/.json/.parquet file or a Hub id.")],
    benchmark: Annotated[str, typer.Option("--benchmark", "-b", help="Benchmark spec whose eval items to look for.")],
    ngram: Annotated[int, typer.Option(help="Word n-gram length (8-13 is usual).")] = 8,
    split: Annotated[str, typer.Option(help="Split of a Hub dataset.")] = "train",
    field: Annotated[list[str] | None, typer.Option(help="Only these row fields (repeatable); default all text.")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a summary.")] = False,
) -> None:
    """Check a training DATASET for n-gram overlap with a benchmark's eval items."""
    from posttrain.tools.evaluation import check_contamination, get_benchmark, load_train_texts

    with _offline_note():
        bench = get_benchmark(benchmark)
        texts = load_train_texts(dataset, split=split, fields=field)
        items = bench.eval_items()
    report = check_contamination(texts, items, n=ngram).model_copy(update={"benchmark": bench.name})
    if as_json:
        typer.echo(report.model_dump_json(exclude={"examples"}))
        return
    typer.echo(f"{bench.name}: {len(report.contaminated_eval_ids)}/{report.n_eval} eval items ({report.rate:.1%}) "
               f"found in {len(report.contaminated_train_rows)}/{report.n_train} training rows ({ngram}-grams)")
    for match in report.examples[:5]:
        typer.echo(f"  {match.eval_id} in row {match.train_row}: '{match.ngram}'")


def compare_command(
    baseline: Annotated[Path, typer.Argument(help="Baseline report .json, or a folder of <benchmark>.json.")],
    candidate: Annotated[Path, typer.Argument(help="Candidate report .json, or a folder of <benchmark>.json.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a summary.")] = False,
) -> None:
    """Paired test of two evaluations (McNemar exact, bootstrap CI); folders compare every shared benchmark."""
    from posttrain.tools.evaluation import compare_folders, compare_many

    if baseline.is_dir() or candidate.is_dir():
        guard = compare_folders(baseline, candidate)
    else:
        guard = compare_many({baseline.stem: (baseline, candidate)})
    if as_json:
        typer.echo(guard.model_dump_json(exclude={"summary"}))
        return
    typer.echo(guard.summary)


def register(app: typer.Typer) -> None:
    """Add `eval`, `eval-compare` and `decontam` to the CLI."""
    app.command("eval")(eval_command)
    app.command("eval-compare")(compare_command)
    app.command("decontam")(decontam_command)
