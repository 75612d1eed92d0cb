"""`posttrain transcript list|show|export|push`: review what the agents said and did.

A run is named by its directory, its id under --runs-root (a unique prefix is enough) or `latest`."""

from pathlib import Path
from typing import Annotated

import typer


app = typer.Typer(help="Review the agents' conversations.", no_args_is_help=True)

RunArg = Annotated[str, typer.Argument(help="The run: its directory, its id under --runs-root (or a unique prefix), "
                                             "or `latest`.")]
RunsRootOpt = Annotated[str, typer.Option(help="Folder holding run directories (for ids and `latest`).")]


def open_run(run: str, runs_root: str):
    """The RunWorkspace `run` names (path, id, prefix or `latest`); ConfigError (exit 2) otherwise."""
    from posttrain.orchestrator.run_lookup import resolve_run
    from posttrain.run.workspace import RunWorkspace

    return RunWorkspace.open(resolve_run(run, runs_root))


@app.command("list")
def list_runs(
    runs_root: RunsRootOpt = "runs",
    as_json: Annotated[bool, typer.Option("--json", help="Print the runs as JSON (one object per run).")] = False,
) -> None:
    """List runs, oldest first, with the id to pass to the other commands, status, best score and iterations."""
    import json
    from datetime import datetime

    from posttrain.orchestrator.run_lookup import list_runs as find_runs

    root = Path(runs_root)
    if not root.is_dir():
        from posttrain.tools.errors import ConfigError

        raise ConfigError(f"runs root {root} does not exist; pass --runs-root DIR")
    rows = [{"id": ref.id, "path": str(ref.path),
             "started": datetime.fromtimestamp(ref.started_at).isoformat(timespec="seconds"), **_outcome(ref.path)}
            for ref in find_runs(root)]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console

    console = Console(highlight=False)
    if not rows:
        console.print(f"no runs under {root}")
        return
    hint = ("pass an id (or a unique prefix, or `latest`) to `posttrain status|transcript|report|resume`"
            + ("" if runs_root == "runs" else f" with --runs-root {runs_root}"))
    widest = max(len(row["id"]) for row in rows)
    if console.width >= widest + 70:
        console.print(_runs_table(rows, widest, hint))
        return
    for row in rows:  # too narrow for a table: the id alone on its line, never cut (people copy it)
        console.print(row["id"], style="bold", soft_wrap=True)
        console.print(f"  {_run_line(row)}", overflow="ellipsis", no_wrap=True)
    console.print(hint, style="dim")


def _run_line(row: dict) -> str:
    return (f"{row['started'].replace('T', ' ')[:16]} · {row['status']} · {_fmt(row['baseline'])} → "
            f"{_fmt(row['best'])} · {row['iterations']} iterations · {row['goal']}")


def _runs_table(rows: list[dict], widest: int, hint: str):
    from rich.table import Table

    table = Table(box=None, pad_edge=False, caption=hint, caption_justify="left", caption_style="dim")
    table.add_column("id", no_wrap=True, min_width=widest, style="bold")  # never cut: people copy it
    table.add_column("started", no_wrap=True, min_width=16)
    table.add_column("status", no_wrap=True, min_width=max(len(row["status"]) for row in rows))
    for name in ("baseline", "best", "iter"):
        table.add_column(name, justify="right", no_wrap=True, min_width=max(len(name), 5))
    table.add_column("goal", overflow="ellipsis", no_wrap=True, min_width=8)
    for row in rows:
        table.add_row(row["id"], row["started"].replace("T", " ")[:16], row["status"], _fmt(row["baseline"]),
                      _fmt(row["best"]), str(row["iterations"]), row["goal"])
    return table


@app.command()
def show(
    run: RunArg,
    agent: Annotated[str | None, typer.Option(help="Only this agent's messages (e.g. Trainer).")] = None,
    iteration: Annotated[int | None, typer.Option(help="Only this iteration.")] = None,
    since: Annotated[int | None, typer.Option(help="Only this iteration and the ones after it.")] = None,
    debate_only: Annotated[bool, typer.Option("--debate-only", help="Only the debates.")] = False,
    tools: Annotated[bool, typer.Option("--tools", help="Include tool calls and their results, as tables.")] = False,
    runs_root: RunsRootOpt = "runs",
) -> None:
    """Print a run's transcript, filtered."""
    from rich.console import Console
    from rich.text import Text

    from posttrain.orchestrator.tool_view import tool_call_view, tool_result_view
    from posttrain.orchestrator.transcript import filter_entries, read_transcript

    workspace = open_run(run, runs_root)
    entries = filter_entries(read_transcript(workspace.transcript_path), agent=agent, iteration=iteration,
                             debate_only=debate_only, tools=tools, since=since)
    console, current = Console(highlight=False), None
    for entry in entries:
        if (entry.iteration, entry.phase) != current:
            current = (entry.iteration, entry.phase)
            console.rule(f"iteration {entry.iteration} · {'baseline' if entry.iteration == 0 else entry.phase}")
        content = entry.raw.get("content")
        if entry.type == "ToolCallRequestEvent" and isinstance(content, list):
            for call in content:
                console.print(tool_call_view(entry.source, call))
        elif entry.type == "ToolCallExecutionEvent" and isinstance(content, list):
            for result in content:
                console.print(tool_result_view(result))
        else:
            kind = "" if entry.type == "TextMessage" else f" ({entry.type})"
            # one Text: rich wraps it counting the speaker prefix, so no line runs past the terminal's width
            console.print(Text.assemble((entry.source, "bold"), (kind, "dim"), ": ", entry.text))
    if not entries:
        console.print("no messages match these filters")


FORMATS = {".md": "md", ".markdown": "md", ".json": "json", ".jsonl": "sts"}


@app.command()
def export(
    run: RunArg,
    format: Annotated[str | None, typer.Option("--format", help="md, json, or sts (the Hub's Session Trace Simple "
                                                                 "Format; default: from -o's suffix, else md).")]
    = None,
    output: Annotated[str | None, typer.Option("-o", "--output", help="File to write (default: transcript.<format>).")]
    = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the output file if it exists.")] = False,
    runs_root: RunsRootOpt = "runs",
) -> None:
    """Export a transcript as Markdown (a header, a results table per iteration with links to its artifacts, the
    conversation), JSON or STS (one Hub trace-viewer session per run); never overwrites a file unless --force."""
    import json

    from posttrain.orchestrator.markdown_export import run_markdown
    from posttrain.orchestrator.transcript import read_transcript, run_sts, secret_scrubber, sts_text
    from posttrain.tools.errors import ConfigError

    format = format or (FORMATS.get(Path(output).suffix.lower(), "md") if output else "md")
    if format not in ("md", "json", "sts"):
        raise ConfigError(f"unknown --format {format!r}; fix: use md, json or sts")
    target = Path(output or f"transcript.{'sts.jsonl' if format == 'sts' else format}")
    if target.exists() and not force:
        raise ConfigError(f"{target} already exists; fix: pass --force to overwrite it, or -o another file")
    workspace = open_run(run, runs_root)
    entries = read_transcript(workspace.transcript_path)
    if format == "md":
        text = run_markdown(workspace.root, entries, target)
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
    run: RunArg,
    repo_id: Annotated[str, typer.Argument(help="Hub dataset to upload to, e.g. you/posttrain-traces.")],
    private: Annotated[bool, typer.Option("--private/--public", help="Visibility of the dataset if it is created.")]
    = True,
    runs_root: RunsRootOpt = "runs",
) -> None:
    """Upload the run's trace (STS, for the Hub's trace viewer) and HTML report to a Hub dataset, secrets redacted.

    Uses HF_TOKEN (or your `hf auth login`) and HF_ENDPOINT when set; the dataset is created private by default."""
    from posttrain.orchestrator.transcript import push_run

    workspace = open_run(run, runs_root)
    result = push_run(workspace.root, repo_id, private=private)
    typer.echo(f"pushed {', '.join(result['files'])} to {result['repo_url']} "
               f"({'private' if private else 'public'} if newly created)")
    typer.echo(f"commit: {result['commit_url']}")


def _outcome(run_dir: Path) -> dict:
    """A run's status, goal, scores and iterations for the list, from summary.json, else state.json. A run whose
    files cannot be read (damaged, or from a newer posttrain) is listed as such, not allowed to hide the others."""
    from posttrain.run.run_summary import read_summary
    from posttrain.run.state import read_state
    from posttrain.tools.errors import ConfigError

    try:
        summary = read_summary(run_dir / "summary.json")
        state = None if summary else read_state(run_dir / "state.json")
    except ConfigError:
        return {"status": "unreadable", "goal": "", "baseline": None, "best": None, "iterations": 0}
    if summary is not None:
        return {"status": summary.status, "goal": summary.goal,
                "baseline": summary.baseline.score if summary.baseline else None,
                "best": summary.best.score if summary.best else None, "iterations": len(summary.iterations)}
    if state is not None:
        best, _ = state.ledger.best()
        return {"status": state.status, "goal": state.config.goal,
                "baseline": state.ledger.baseline.score if state.ledger.baseline else None,
                "best": best.score if best else None, "iterations": len(state.ledger.iterations)}
    return {"status": "?", "goal": "", "baseline": None, "best": None, "iterations": 0}


def _fmt(value) -> str:
    return "—" if value is None else f"{value:.3f}"


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="transcript")
