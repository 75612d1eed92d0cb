"""`posttrain eval` and `posttrain decontam`: score a model on a benchmark, check a dataset for leaked eval items.

    posttrain eval runs/x/model --benchmark arithmetic:digits=3 --limit 100 --json
    posttrain eval-compare artifacts/0/eval artifacts/3/eval      # paired test per shared benchmark
    posttrain decontam data/train.jsonl --benchmark gsm8k --json     # exit 1: contaminated, 0: clean, 2: bad input

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
    split: Annotated[str, typer.Option(help="Split of a Hub dataset.")] = "train",
    field: Annotated[list[str] | None, typer.Option(help="Only these row fields (repeatable); default all text.")]
    = None,
    checker: Annotated[str | None, typer.Option(help="The judges' contamination_check.py: run it too and report "
                                                     "every row where it and posttrain disagree.")] = None,
    reference: Annotated[str | None, typer.Option(help="The task's test file for --checker (default: the "
                                                       "benchmark's items, written out).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a summary.")] = False,
) -> None:
    """Check a training DATASET for a benchmark's test items. Exit 1 when any row is contaminated, 0 when clean,
    2 on bad input (the line is named)."""
    from posttrain.tools.evaluation import get_benchmark
    from posttrain.tools.evaluation.contamination import check_contamination, from_benchmark_items, load_train_set
    from posttrain.tools.evaluation.contamination.judges import CheckerFailed, compare, run_checker

    with _offline_note():
        bench = get_benchmark(benchmark)
        train = load_train_set(dataset, split=split, fields=field)
        refs = from_benchmark_items(bench.eval_items())
    report = check_contamination(train.texts, refs, lines=train.lines, benchmark=bench.name)
    agreement = None
    if checker:
        try:
            flagged = run_checker(checker, train.texts, reference=reference, refs=refs)
        except CheckerFailed as exc:
            from posttrain.tools.errors import ToolError

            raise ToolError(f"the judges' checker {checker} failed ({exc}); fix: run it by hand on the same "
                            "files, or leave --checker out") from exc
        agreement = compare(checker, report.contaminated_train_rows, flagged)
    dirty = bool(report.contaminated_train_rows) or bool(agreement and agreement.only_checker)
    if as_json:
        out = report.model_dump(mode="json") | ({"agreement": agreement.model_dump()} if agreement else {})
        typer.echo(json.dumps(out))
    else:
        _print_decontam(report, agreement, train.lines)
    if dirty:
        raise typer.Exit(1)


def _print_decontam(report, agreement, lines) -> None:
    where = lambda row: f"line {lines[row]}" if lines[row] is not None else f"row {row + 1}"  # noqa: E731
    typer.echo(f"{report.benchmark}: {len(report.contaminated_eval_ids)}/{report.n_eval} test items "
               f"({report.rate:.1%}) found in {len(report.contaminated_train_rows)}/{report.n_train} training rows; "
               f"{report.template_siblings} template siblings kept")
    for match in report.matches[:10]:
        typer.echo(f"  {where(match.row)}: {match.eval_id} ({match.field}, {match.rule}, score {match.score:.2f})")
    if len(report.matches) > 10:
        typer.echo(f"  ... {len(report.matches) - 10} more (--json lists them all)")
    if agreement is not None:
        if agreement.agrees:
            typer.echo(f"the judges' checker agrees ({agreement.flagged_by_checker} rows flagged)")
        for label, rows in (("posttrain only", agreement.only_posttrain), ("judges' checker only",
                                                                           agreement.only_checker)):
            if rows:
                typer.echo(f"  disagreement, {label}: " + ", ".join(where(r) for r in rows[:20]))


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
