"""`posttrain papers` commands: search papers, build a ranked citation graph, read a paper into a recipe card.

    posttrain papers search "GRPO math reasoning" --source all --limit 10
    posttrain papers graph arxiv:2402.03300 --depth 2 --max-nodes 200 --graphml grpo.graphml
    posttrain papers card 2305.18290 --json

Only typer and the stdlib are imported here; the tools load inside each command.
"""

import sys
from pathlib import Path
from typing import Annotated

import typer


papers_app = typer.Typer(
    help="Find papers, map their citations, and read them into recipe cards.", no_args_is_help=True
)


def _paper_id(raw: str) -> str:
    from posttrain.tools.errors import ConfigError, ToolError
    from posttrain.tools.papers.ids import canonical_id

    try:
        return canonical_id(raw)
    except ToolError as exc:
        raise ConfigError(str(exc)) from exc


def _warn(errors: list[str]) -> None:
    for line in errors:
        typer.echo(f"warning: {line}", err=True)


SOURCE_LABELS = {"arxiv": "arXiv", "s2": "Semantic Scholar", "hf": "HF Papers"}


def _unreachable_sources(source: str) -> str | None:
    """When every paper API asked is unreachable (one quick TCP probe each, in parallel), switch this process to
    cache-only (POSTTRAIN_OFFLINE=1) instead of retrying each one, and return the one line that says so."""
    import os

    from posttrain.tools.network import paper_endpoints, unreachable_many

    if os.environ.get("POSTTRAIN_OFFLINE", "").strip().lower() in {"1", "true", "yes"}:
        return None
    labels = list(SOURCE_LABELS.values()) if source == "all" else [SOURCE_LABELS[source]]
    endpoints = paper_endpoints()
    down = unreachable_many({label: endpoints[label] for label in labels})
    if not all(down.values()):
        return None
    os.environ["POSTTRAIN_OFFLINE"] = "1"
    hosts = ", ".join(dict.fromkeys(why.split(" (")[0] for why in down.values()))
    kinds = ", ".join(dict.fromkeys(why.split(" (", 1)[1].split(":")[0] for why in down.values()))
    return (f"{', '.join(labels)} unreachable (offline: {hosts}: {kinds}); only cached answers can be used; fix: "
            "check the network or the POSTTRAIN_*_API_URL / HF_ENDPOINT settings")


@papers_app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="Keywords, e.g. 'GRPO math'; arXiv syntax (ti:, cat:) works too.")],
    source: Annotated[str, typer.Option("--source", help="arxiv, s2 (Semantic Scholar), hf or all.")] = "all",
    limit: Annotated[int, typer.Option("--limit", help="Most papers to show (1-100).")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (PaperHits), not a table.")] = False,
) -> None:
    """Search papers on arXiv, Semantic Scholar and Hugging Face Papers (merged, deduplicated)."""
    from posttrain.tools.errors import ConfigError
    from posttrain.tools.papers import search_papers

    if source not in ("arxiv", "s2", "hf", "all"):
        raise ConfigError(f"unknown --source '{source}'; fix: use one of arxiv, s2, hf, all")
    if not 1 <= limit <= 100:
        raise ConfigError(f"--limit {limit} is out of range; fix: use 1-100")
    down = _unreachable_sources(source)
    hits = search_papers(query, source=source, limit=limit)
    if down:  # the sources were not asked (offline mode for this process): say why in one line
        hits = hits.model_copy(update={"errors": [down] + [e for e in hits.errors if "POSTTRAIN_OFFLINE" not in e]})
    failed = not hits.papers and bool(hits.errors)  # every source asked failed: the search did not happen
    if as_json:
        typer.echo(hits.model_dump_json())
        if failed:
            raise typer.Exit(1)
        return
    if failed:
        typer.echo(f"error: no papers for '{query}': " + " | ".join(hits.errors), err=True)
        raise typer.Exit(1)
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "year", "title", "citations", "source", title=f"{len(hits.papers)} papers for '{query}'")
    for paper in hits.papers:
        cites = "" if paper.citation_count is None else f"{paper.citation_count:,}"
        table.add_row(paper.id, str(paper.year or ""), paper.title, cites, paper.source)
    Console().print(table)
    _warn(hits.errors)


@papers_app.command("graph")
def graph(
    paper_id: Annotated[str, typer.Argument(help="Seed paper: arXiv id, arxiv:<id>, DOI or s2:<paperId>.")],
    depth: Annotated[int, typer.Option("--depth", help="Hops of references/citations to follow (0-3).")] = 2,
    max_nodes: Annotated[int, typer.Option("--max-nodes", help="Stop adding papers after this many.")] = 200,
    goal: Annotated[str | None, typer.Option("--goal", help="Rank for this goal (default: the seed's title).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole graph as one JSON object.")] = False,
    graphml: Annotated[Path | None, typer.Option("--graphml", help="Write the graph to this GraphML file.")] = None,
) -> None:
    """Build the citation graph around a paper and print the ranked reading list."""
    from posttrain.tools.errors import ConfigError
    from posttrain.tools.papers import citation_graph

    if as_json and graphml:
        raise ConfigError("--json and --graphml both given; fix: choose one output")
    if not 0 <= depth <= 3:
        raise ConfigError(f"--depth {depth} is out of range; fix: use 0-3 (each hop multiplies the requests)")
    if max_nodes < 1:
        raise ConfigError(f"--max-nodes {max_nodes} must be at least 1")
    seed = _paper_id(paper_id)
    from rich.progress import Progress

    with Progress(transient=True, console=_stderr_console()) as bar:
        task = bar.add_task("citation graph", total=None)

        def progress(name, completed, total=None, **info):
            bar.update(task, completed=completed, total=total, description=f"{name} (depth {info.get('depth')})")

        result = citation_graph([seed], depth=depth, max_nodes=max_nodes, goal=goal, progress=progress)
    if as_json:
        typer.echo(result.model_dump_json())
        return
    if graphml:
        result.write_graphml(graphml)
        typer.echo(f"wrote {graphml} ({len(result.nodes)} nodes, {len(result.edges)} edges)", err=True)
    _print_reading_list(result)
    _warn(result.errors)


def _stderr_console():
    from rich.console import Console

    return Console(file=sys.stderr)


def _print_reading_list(result) -> None:
    from rich.console import Console
    from rich.table import Table

    title = f"{len(result.nodes)} papers, {len(result.edges)} citations" + (" (truncated)" if result.truncated else "")
    table = Table("#", "id", "year", "score", "title", "why", title=title)
    for item in result.reading_list:
        table.add_row(str(item.rank), item.paper_id, str(item.year or ""), f"{item.score:.2f}", item.title, item.why)
    Console().print(table)


@papers_app.command("card")
def card(
    paper_id: Annotated[str, typer.Argument(help="The paper: arXiv id, arxiv:<id>, DOI or s2:<paperId>.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the RecipeCard as one JSON object.")] = False,
) -> None:
    """Read a paper into a recipe card (method, models, datasets, knobs, scores, each with its section)."""
    from posttrain.tools.papers import recipe_card

    result = recipe_card(_paper_id(paper_id))
    if as_json:
        typer.echo(result.model_dump_json())
        return
    from rich.console import Console

    console = Console()
    console.print(f"[bold]{result.paper_id}[/bold] {result.title}  (filled by {result.filled_by})")
    rows = [("method", result.method)] if result.method else []
    rows += [("base model", v) for v in result.base_models]
    rows += [(f"dataset ({d.hub_id or 'no Hub id'})", d) for d in result.datasets]
    rows += [(f"hyperparameter {h.name}", h) for h in result.hyperparameters]
    rows += [(f"result {r.benchmark}", r) for r in result.results]
    for label, item in rows:
        value = getattr(item, "value", None) or getattr(item, "name", None) or getattr(item, "score", "")
        console.print(f"  {label}: [cyan]{value}[/cyan]  [dim]§ {item.source.section}[/dim]")
    if not rows:
        console.print("  (nothing stated plainly enough to extract)")
    _warn(result.errors)


def register(app: typer.Typer) -> None:
    """Add ``posttrain papers ...`` to the CLI."""
    app.add_typer(papers_app, name="papers")
