"""`posttrain train sft|grpo|dpo` and `posttrain dashboard`: one training spec through Ray, and Trackio's dashboard.

    posttrain train sft --base-model runs/x/base-model --dataset runs/x/sft.jsonl --out runs/x/sft --max-steps 300
    posttrain train grpo --base-model runs/x/sft/checkpoint --dataset rl.jsonl --config grpo.yaml --json
    posttrain train dpo --base-model runs/x/sft/checkpoint --dataset pairs.jsonl   # prompt/chosen/rejected rows
    posttrain dashboard runs/x

Only typer and the standard library are imported here; the tools load inside each command.
"""

import json
import re
from pathlib import Path
from typing import Annotated

import typer


train_app = typer.Typer(help="Run one SFT, GRPO or DPO spec through Ray, tracked in Trackio, and print its diagnosis.",
                        no_args_is_help=True)

BaseModelOpt = Annotated[str | None, typer.Option("--base-model", help="tiny (built locally), a model folder or a Hub "
                                                   "id owner/name (or set in --config).")]
DatasetOpt = Annotated[str | None, typer.Option("--dataset", help="Local .jsonl/.parquet or Hub id (or in --config).")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="YAML/JSON file with spec fields (flags win).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Run folder: checkpoint/, metrics.jsonl, train.log.")]
StepsOpt = Annotated[int | None, typer.Option("--max-steps", help="Override the spec's max_steps.")]
ProjectOpt = Annotated[str | None, typer.Option("--project", help="Trackio project (default: the --out folder's "
                                                "parent name).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object (the TrainingResult, metrics left out).")]


HUB_ID = re.compile(r"[\w.-]+/[\w.-]+")
_NOT_MODEL_SUFFIXES = {".json", ".jsonl", ".parquet", ".yaml", ".yml", ".txt", ".safetensors", ".bin"}


def _in_hub_cache(repo_id: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache

        return any(isinstance(try_to_load_from_cache(repo_id, name), str)
                   for name in ("config.json", "adapter_config.json"))
    except Exception:  # noqa: BLE001 - an unreadable cache is a miss
        return False


def resolve_model(name: str, tiny_dir: Path, *, what: str = "model") -> str:
    """The model vocabulary `posttrain run`, `train` and `eval` share: 'tiny' (built locally in ``tiny_dir``), a
    saved model folder, or a Hub id owner/name. Anything else is ConfigError (exit 2) at once; a Hub id that is
    neither cached nor reachable is ToolError (exit 1) at once, instead of retries inside the loader."""
    from posttrain.tools.errors import ConfigError, ToolError
    from posttrain.tools.network import go_offline_if_unreachable

    if name == "tiny":
        from posttrain.tools.tiny_model import build_tiny_model

        return str(build_tiny_model(tiny_dir).resolve())
    path = Path(name).expanduser()
    if path.exists():
        if not any((path / f).exists() for f in ("config.json", "adapter_config.json")):
            raise ConfigError(f"{what} {name} has no config.json, so it is not a saved model; fix: point to the "
                              "model folder")
        return name
    looks_like_path = name.startswith((".", "/", "~")) or name.count("/") > 1 or path.suffix in _NOT_MODEL_SUFFIXES
    if looks_like_path:
        raise ConfigError(f"{what} path {name} does not exist; fix: check the path, or use 'tiny' or a Hub id")
    if not HUB_ID.fullmatch(name):
        if _in_hub_cache(name):  # a legacy one-word id already downloaded (gpt2)
            return name
        raise ConfigError(f"{what} {name!r} is not an existing folder, 'tiny' or a Hub id (owner/name); fix: check "
                          "the path, or give e.g. Qwen/Qwen3-0.6B")
    reason = go_offline_if_unreachable()
    if reason and not _in_hub_cache(name):
        raise ToolError(f"{reason}; {what} {name} is not in the local Hub cache; fix: download it where the Hub is "
                        f"reachable (`hf download {name}`) or pass a local folder or 'tiny'")
    return name


def _load_spec(method: str, config: Path | None, overrides: dict):
    from posttrain.tools.errors import ConfigError
    from posttrain.tools.methods import get_method

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
        return get_method(method).spec_class().model_validate(fields)
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
    from posttrain.tools.training.data_loading import check_dataset

    check_dataset(spec.dataset, spec.method)  # bad data is exit 2 before a tiny model is built or Ray starts
    spec = spec.model_copy(update={"base_model": resolve_model(spec.base_model, out / "base-model",
                                                               what="base model")})
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


@train_app.command("dpo")
def dpo_command(base_model: BaseModelOpt = None, dataset: DatasetOpt = None, config: ConfigOpt = None,
                out: OutOpt = None, max_steps: StepsOpt = None, project: ProjectOpt = None,
                as_json: JsonOpt = False) -> None:
    """DPO on preference pairs: prompt/chosen/rejected rows or Hub-style chosen/rejected conversations (set beta:,
    nll_alpha: — the NLL term on the chosen answer, 1 by default as in Iterative RPO — in --config)."""
    _run("dpo", base_model, dataset, config, out, max_steps, project, as_json)


def dashboard_command(
    run_dir: Annotated[Path, typer.Argument(help="A run folder (its result.json names the project) or project dir.")],
    port: Annotated[int | None, typer.Option(help="Port (default: first free from 7860).")] = None,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser.")] = False,
    runs_root: Annotated[str, typer.Option(help="Folder holding run directories (for ids and `latest`).")] = "runs",
) -> None:
    """Open Trackio's dashboard for the run folder's project (blocks until Ctrl-C)."""
    from posttrain.tools.training import dashboard

    if not run_dir.exists():  # a run's id under --runs-root, a unique prefix of one, or `latest` (else ConfigError)
        from posttrain.orchestrator.run_lookup import resolve_run

        run_dir = resolve_run(str(run_dir), runs_root)
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
    """Add `train sft|grpo|dpo` and `dashboard` to the CLI."""
    app.add_typer(train_app, name="train")
    app.command("dashboard")(dashboard_command)
