"""`posttrain datasets`: find, inspect and build training data.

    posttrain datasets search gsm8k --limit 5 --json
    posttrain datasets inspect openai/gsm8k --tokenizer runs/x/base-model
    posttrain datasets build specs/math-mix.yaml -o runs/x/artifacts/data [--hosted-teacher openai]
    posttrain datasets synth arithmetic -n 3000 --format sft --teacher-noise 0.2 -o runs/x/artifacts/data

Exit codes: 0 done, 1 the work failed (`search` / `inspect` when every source failed, offline included), 2 bad input.
Only typer and the standard library are imported here; the tools load inside each command.
"""

from pathlib import Path
from typing import Annotated

import typer


datasets_app = typer.Typer(help="Find, inspect and build training datasets.", no_args_is_help=True)


def _progress_bar():
    """A rich progress bar on stderr and the ProgressFn that feeds it."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    tasks: dict[str, int] = {}

    def progress(task: str, completed: float, total: float | None = None, **info) -> None:
        if task not in tasks:
            tasks[task] = bar.add_task(task, total=total)
        bar.update(tasks[task], completed=completed, total=total)

    return bar, progress


@datasets_app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="Search text, e.g. 'gsm8k' or 'math reasoning'.")],
    limit: Annotated[int, typer.Option(help="Most hits to return (1-100).")] = 10,
    sort: Annotated[
        str, typer.Option(help="downloads, likes, trending_score, created_at or last_modified.")
    ] = "downloads",
    filter: Annotated[str | None, typer.Option(help="Hub tag, e.g. task_categories:text-generation.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Search Hub datasets (honours HF_ENDPOINT, HF_TOKEN). Exit 1 with one line when the Hub could not be searched."""
    from posttrain.tools.hub import search_datasets

    hits = search_datasets(query, limit=limit, sort=sort, filter=filter)
    failed = not hits.datasets and bool(hits.errors)  # the Hub was not searched (offline, unreachable, refused)
    if as_json:
        typer.echo(hits.model_dump_json())
        if failed:
            raise typer.Exit(1)
        return
    if failed:
        typer.echo(f"error: no datasets for '{query}': " + " | ".join(hits.errors), err=True)
        raise typer.Exit(1)
    for error in hits.errors:
        typer.echo(f"note: {error}", err=True)
    for hit in hits.datasets:
        gated = f" gated={hit.gated}" if hit.gated else ""
        typer.echo(
            f"{hit.id}  downloads={hit.downloads} likes={hit.likes} license={hit.license}"
            f" size={hit.size_category}{gated}"
        )
    if not hits.datasets:
        typer.echo("no datasets matched")


@datasets_app.command("inspect")
def inspect_command(
    dataset_id: Annotated[str, typer.Argument(help="Hub dataset id, e.g. openai/gsm8k.")],
    tokenizer: Annotated[str | None, typer.Option(help="Base model (path or id) for token lengths.")] = None,
    sample_rows: Annotated[int, typer.Option(help="Sample rows to fetch and measure (≤ 100).")] = 20,
    config: Annotated[str | None, typer.Option(help="Config (subset) to sample; default the first.")] = None,
    split: Annotated[str | None, typer.Option(help="Split to sample; default train.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Report licence, gating, splits and sizes, schema, fit per method (SFT/GRPO/DPO) and quality on a sample.
    Exit 1 with one line when nothing could be read (Hub and viewer both failed, e.g. offline)."""
    from posttrain.tools.hub import inspect_dataset

    report = inspect_dataset(dataset_id, sample_rows=sample_rows, tokenizer=tokenizer, config=config, split=split)
    # every source failed: no Hub metadata, no splits, no rows (a local file or any part that answered is a result)
    failed = "hub" in report.errors and not report.splits and not report.sample_rows
    if as_json:
        typer.echo(report.model_dump_json())
        if failed:
            raise typer.Exit(1)
        return
    if failed:
        reasons = dict.fromkeys(report.errors[part] for part in ("hub", "splits") if part in report.errors)
        typer.echo(f"error: could not inspect {dataset_id}: " + " | ".join(reasons), err=True)
        raise typer.Exit(1)
    typer.echo(f"{report.id}  revision={report.revision} license={report.license} gated={report.gated}")
    for split in report.splits:
        typer.echo(f"  {split.config}/{split.split}: {split.num_rows if split.num_rows is not None else '?'} rows")
    if report.column_types:
        typer.echo("  columns: " + ", ".join(f"{k}:{v}" for k, v in report.column_types.items()))
    for fit in report.fits:
        typer.echo(f"  {fit.method}: {'fits' if fit.fits else 'no'} {fit.mapping or ''} — {fit.reason}")
    if report.quality:
        q = report.quality
        typer.echo(
            f"  quality on {q.n_rows} rows: empty={q.empty_rows} malformed={q.malformed_rows} "
            f"exact_dup={q.exact_duplicates} near_dup={q.near_duplicates} formats={q.answer_formats}"
        )
        for role, stats in q.token_lengths.items():
            typer.echo(f"    {role}: mean {stats.mean} p50 {stats.p50} p90 {stats.p90} max {stats.max} {stats.unit}")
    for part, reason in report.errors.items():
        typer.echo(f"  [{part}] {reason}", err=True)


def _show(artifact, as_json: bool) -> None:
    if as_json:
        typer.echo(artifact.model_dump_json())
        return
    typer.echo(f"{artifact.n_rows} rows ({artifact.format}) → {artifact.path}")
    typer.echo("counts: " + ", ".join(f"{k}={v}" for k, v in artifact.counts.items()))
    c = artifact.contamination
    typer.echo(
        f"decontamination vs {', '.join(c.checked_against) or 'nothing'}: {c.dropped} rows dropped ({c.rate:.2%})"
    )
    if artifact.label_accuracy is not None:
        typer.echo(f"teacher label accuracy: {artifact.label_accuracy:.1%}")
    if artifact.generation:
        typer.echo("generation: " + ", ".join(f"{k}={v}" for k, v in artifact.generation.items()))
    typer.echo(f"card: {artifact.card_path}")


@datasets_app.command("build")
def build_command(
    spec: Annotated[Path, typer.Argument(help="Build spec YAML (sources, mapping, mix, filters, generation).")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for <name>.parquet and README.md.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the DatasetArtifact as one JSON object.")] = False,
    hosted_teacher: Annotated[
        list[str] | None,
        typer.Option(
            "--hosted-teacher",
            metavar="PROVIDER",
            help="Let a hosted teacher in the spec use this provider's key (openai: OPENAI_API_KEY to "
            "api.openai.com; hf: HF_TOKEN to router.huggingface.co). Repeatable. Without it no key is sent.",
        ),
    ] = None,
) -> None:
    """Build a dataset from SPEC.yaml: map, mix, dedupe, filter, decontaminate, split, save with a card."""
    from posttrain.tools.data.build import build_dataset
    from posttrain.tools.data.spec import load_spec
    from posttrain.tools.data.teacher import allow_hosted_teacher

    for provider in dict.fromkeys(hosted_teacher or []):  # checked before the spec, so a typo is exit 2 at once
        allow_hosted_teacher(provider)
    build_spec, base = load_spec(spec)
    bar, progress = _progress_bar()
    with bar:
        artifact = build_dataset(build_spec, out_dir, base_dir=base, progress=progress)
    _show(artifact, as_json)


@datasets_app.command("synth")
def synth_command(
    benchmark: Annotated[str, typer.Argument(help="Built-in generator, e.g. arithmetic or caesar:shift=3.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the parquet file and card.")],
    n: Annotated[int, typer.Option("-n", help="Rows to generate.")] = 1000,
    fmt: Annotated[str, typer.Option("--format", help="sft (prompt, completion) or grpo (prompt, answer).")] = "sft",
    seed: Annotated[int, typer.Option(help="Generator seed.")] = 0,
    teacher_noise: Annotated[float, typer.Option(help="Share of wrong teacher labels (SFT).")] = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the DatasetArtifact as one JSON object.")] = False,
) -> None:
    """Generate a synthetic dataset from a benchmark's own generator (decontaminated against that benchmark)."""
    from posttrain.tools.data import build_benchmark_dataset
    from posttrain.tools.errors import ConfigError
    from posttrain.tools.methods import FORMATS

    generated = [name for name, form in FORMATS.items() if form.benchmark_source]
    if fmt not in generated:
        raise ConfigError(f"--format must be {' or '.join(generated)}, got {fmt!r}; fix: other formats (preference "
                          "pairs) come from `datasets build`")
    _show(build_benchmark_dataset(benchmark, out_dir, n=n, fmt=fmt, seed=seed, teacher_noise=teacher_noise), as_json)


def register(app: typer.Typer) -> None:
    """Add the `datasets` command group to the CLI."""
    app.add_typer(datasets_app, name="datasets")
