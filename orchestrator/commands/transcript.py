"""`posttrain transcript list|show|export`: review what the agents said and did."""

from pathlib import Path
from typing import Annotated

import typer


app = typer.Typer(help="Review the agents' conversations.", no_args_is_help=True)


@app.command("list")
def list_runs(runs_root: Annotated[str, typer.Option(help="Folder holding run directories.")] = "runs") -> None:
    """List runs with their status, best score and iterations."""
    import json

    from rich.console import Console
    from rich.table import Table

    root = Path(runs_root)
    if not root.is_dir():
        from posttrain.tools.errors import ConfigError

        raise ConfigError(f"runs root {root} does not exist; pass --runs-root DIR")
    table = Table("run", "status", "goal", "baseline", "best", "iterations")
    for summary_path in sorted(root.glob("*/summary.json")):
        s = json.loads(summary_path.read_text())
        best, base = s.get("best") or {}, s.get("baseline") or {}
        table.add_row(str(summary_path.parent), s.get("status", "?"), s.get("goal", "")[:40],
                      _fmt(base.get("score")), _fmt(best.get("score")), str(len(s.get("iterations", []))))
    Console().print(table)


@app.command()
def show(
    run_dir: Annotated[str, typer.Argument(help="The run directory.")],
    agent: Annotated[str | None, typer.Option(help="Only this agent's messages (e.g. Trainer).")] = None,
    iteration: Annotated[int | None, typer.Option(help="Only this iteration.")] = None,
    debate_only: Annotated[bool, typer.Option("--debate-only", help="Only the debates.")] = False,
    tools: Annotated[bool, typer.Option("--tools", help="Include tool calls and their results.")] = False,
) -> None:
    """Print a run's transcript, filtered."""
    from rich.console import Console

    from posttrain.orchestrator.transcript import filter_entries, read_transcript
    from posttrain.run.workspace import RunWorkspace

    workspace = RunWorkspace.open(run_dir)
    entries = filter_entries(read_transcript(workspace.transcript_path), agent=agent, iteration=iteration,
                             debate_only=debate_only, tools=tools)
    console, current = Console(highlight=False), None
    for entry in entries:
        if (entry.iteration, entry.phase) != current:
            current = (entry.iteration, entry.phase)
            console.rule(f"iteration {entry.iteration} · {entry.phase}")
        console.print(f"[bold]{entry.source}[/] [dim]({entry.type})[/]: ", end="")
        console.print(entry.text, markup=False)
    if not entries:
        console.print("no messages match these filters")


FORMATS = {".md": "md", ".markdown": "md", ".json": "json", ".jsonl": "sts"}


@app.command()
def export(
    run_dir: Annotated[str, typer.Argument(help="The run directory.")],
    format: Annotated[str | None, typer.Option("--format", help="md, json, or sts (the Hub's Session Trace Simple "
                                                                 "Format; default: from -o's suffix, else md).")]
    = None,
    output: Annotated[str | None, typer.Option("-o", "--output", help="File to write (default: transcript.<format>).")]
    = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the output file if it exists.")] = False,
) -> None:
    """Export a transcript as Markdown, JSON or STS (one Hub trace-viewer session per run); never overwrites a file
    unless --force."""
    import json

    from posttrain.orchestrator.transcript import read_transcript, run_sts, secret_scrubber, sts_text, to_markdown
    from posttrain.run.workspace import RunWorkspace
    from posttrain.tools.errors import ConfigError

    format = format or (FORMATS.get(Path(output).suffix.lower(), "md") if output else "md")
    if format not in ("md", "json", "sts"):
        raise ConfigError(f"unknown --format {format!r}; fix: use md, json or sts")
    target = Path(output or f"transcript.{'sts.jsonl' if format == 'sts' else format}")
    if target.exists() and not force:
        raise ConfigError(f"{target} already exists; fix: pass --force to overwrite it, or -o another file")
    workspace = RunWorkspace.open(run_dir)
    entries = read_transcript(workspace.transcript_path)
    if format == "md":
        text = to_markdown(entries, title=f"posttrain transcript — {workspace.root.name}")
    elif format == "sts":
        text = sts_text(run_sts(workspace.root, scrub=secret_scrubber()))
    else:
        text = json.dumps([e.raw for e in entries], indent=2)
    try:
        with target.open("w" if force else "x", encoding="utf-8") as handle:  # "x": a file that appeared meanwhile
            handle.write(text)                                                # is not overwritten either
    except FileExistsError as exc:
        raise ConfigError(f"{target} already exists; fix: pass --force to overwrite it, or -o another file") from exc
    typer.echo(f"wrote {len(entries)} messages to {target}")


@app.command()
def push(
    run_dir: Annotated[str, typer.Argument(help="The run directory.")],
    repo_id: Annotated[str, typer.Argument(help="Hub dataset to upload to, e.g. you/posttrain-traces.")],
    private: Annotated[bool, typer.Option("--private/--public", help="Visibility of the dataset if it is created.")]
    = True,
) -> None:
    """Upload the run's trace (STS, for the Hub's trace viewer) and HTML report to a Hub dataset, secrets redacted.

    Uses HF_TOKEN (or your `hf auth login`) and HF_ENDPOINT when set; the dataset is created private by default."""
    from posttrain.orchestrator.transcript import push_run
    from posttrain.run.workspace import RunWorkspace

    workspace = RunWorkspace.open(run_dir)
    result = push_run(workspace.root, repo_id, private=private)
    typer.echo(f"pushed {', '.join(result['files'])} to {result['repo_url']} "
               f"({'private' if private else 'public'} if newly created)")
    typer.echo(f"commit: {result['commit_url']}")


def _fmt(value) -> str:
    return "—" if value is None else f"{value:.3f}"


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="transcript")
