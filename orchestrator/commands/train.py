"""`posttrain train sft|grpo` and `posttrain dashboard`: one training spec through Ray, and Trackio's dashboard.

    posttrain train sft --base-model runs/x/base-model --dataset runs/x/sft.jsonl --out runs/x/sft --max-steps 300
    posttrain train grpo --base-model runs/x/sft/checkpoint --dataset rl.jsonl --config grpo.yaml --json
    posttrain dashboard runs/x

Only typer and the standard library are imported here; the tools load inside each command.
"""

import json
from pathlib import Path
from typing import Annotated

import typer


train_app = typer.Typer(help="Run one SFT or GRPO spec through Ray, tracked in Trackio, and print its diagnosis.",
                        no_args_is_help=True)

BaseModelOpt = Annotated[str | None, typer.Option("--base-model", help="Model folder or Hub id (or set in --config).")]
DatasetOpt = Annotated[str | None, typer.Option("--dataset", help="Local .jsonl/.parquet or Hub id (or in --config).")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="YAML/JSON file with spec fields (flags win).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Run folder: checkpoint/, metrics.jsonl, train.log.")]
StepsOpt = Annotated[int | None, typer.Option("--max-steps", help="Override the spec's max_steps.")]
ProjectOpt = Annotated[str | None, typer.Option("--project", help="Trackio project (default: the --out folder's "
                                                "parent name).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object (the TrainingResult, metrics left out).")]


def _load_spec(method: str, config: Path | None, overrides: dict):
    from posttrain.tools.errors import ConfigError
    from posttrain.tools.training import GRPOSpec, SFTSpec

    fields: dict = {}
    if config is not None:
        if not config.exists():
            raise ConfigError(f"--config {config} does not exist; fix the path")
        import yaml

        fields = yaml.safe_load(config.read_text()) or {}
        if not isinstance(fields, dict):
            raise ConfigError(f"--config {config} must hold a mapping of spec fields")
    fields.update({k: v for k, v in overrides.items() if v is not None})
    fields.pop("method", None)
    missing = [name for name in ("base_model", "dataset") if name not in fields]
    if missing:
        raise ConfigError(f"missing {', '.join(missing)}; fix: pass --base-model/--dataset or set them in --config")
    from pydantic import ValidationError

    try:
        return (SFTSpec if method == "sft" else GRPOSpec).model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "spec"
        raise ConfigError(f"bad {method} spec field {where}: {first['msg']}") from exc


def _run(method: str, base_model, dataset, config, out, max_steps, project, as_json) -> None:
    import threading

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from posttrain.tools.training import run_training

    spec = _load_spec(method, config, {"base_model": base_model, "dataset": dataset, "max_steps": max_steps})
    out = out or Path("runs") / f"train-{method}"
    project = project or out.resolve().parent.name
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[last]}"), TimeElapsedColumn(), console=Console(stderr=True))
    task = bar.add_task(f"train {method}", total=spec.max_steps, last="")

    def progress(name, completed, total=None, **info):
        shown = ", ".join(f"{k}={info[k]:.4g}" for k in ("loss", "reward", "eval_score") if k in info)
        bar.update(task, completed=completed, last=shown)

    cancel = threading.Event()
    with bar:
        try:
            result = run_training(spec, out, project=project, run_name=out.name, progress=progress, cancel=cancel)
        except KeyboardInterrupt:
            cancel.set()
            raise
    if as_json:
        typer.echo(result.model_dump_json(exclude={"metrics"}))
    else:
        typer.echo(f"{method} {result.status} in {result.duration_s:.1f} s; checkpoint: {result.checkpoint}")
        typer.echo("summary: " + ", ".join(f"{k}={v:.4g}" for k, v in result.summary.items()))
        for finding in result.findings:
            typer.echo(f"[{finding.severity}] {finding.kind}: {finding.evidence} -> {finding.fix}")
        if result.error:
            typer.echo(f"error: {result.error} (log: {result.log_path})")
    if result.status != "succeeded":
        raise typer.Exit(1)


@train_app.command("sft")
def sft_command(base_model: BaseModelOpt = None, dataset: DatasetOpt = None, config: ConfigOpt = None,
                out: OutOpt = None, max_steps: StepsOpt = None, project: ProjectOpt = None,
                as_json: JsonOpt = False) -> None:
    """Supervised fine-tuning on prompt/completion or messages rows."""
    _run("sft", base_model, dataset, config, out, max_steps, project, as_json)


@train_app.command("grpo")
def grpo_command(base_model: BaseModelOpt = None, dataset: DatasetOpt = None, config: ConfigOpt = None,
                 out: OutOpt = None, max_steps: StepsOpt = None, project: ProjectOpt = None,
                 as_json: JsonOpt = False) -> None:
    """GRPO on prompt/answer rows with the spec's weighted rewards (set benchmark: or rewards: in --config)."""
    _run("grpo", base_model, dataset, config, out, max_steps, project, as_json)


def dashboard_command(
    run_dir: Annotated[Path, typer.Argument(help="A run folder (its result.json names the project) or project dir.")],
    port: Annotated[int | None, typer.Option(help="Port (default: first free from 7860).")] = None,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser.")] = False,
) -> None:
    """Open Trackio's dashboard for the run folder's project (blocks until Ctrl-C)."""
    from posttrain.tools.errors import ConfigError
    from posttrain.tools.training import dashboard

    if not run_dir.exists():
        raise ConfigError(f"run folder {run_dir} does not exist; pass the folder given to --out or `posttrain run`")
    result = run_dir / "result.json"
    project = json.loads(result.read_text())["project"] if result.exists() else run_dir.resolve().name
    handle = dashboard(project, port=port, open_browser=not no_browser, block=False)
    typer.echo(f"Trackio dashboard for project {project!r}: {handle.url}")
    try:
        import time

        while True:
            time.sleep(3600)
    finally:
        handle.close()


def register(app: typer.Typer) -> None:
    """Add `train sft|grpo` and `dashboard` to the CLI."""
    app.add_typer(train_app, name="train")
    app.command("dashboard")(dashboard_command)
