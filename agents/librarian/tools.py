"""The Librarian's tools: `posttrain.tools.papers` bound to the run (cited ids go into the ledger).

A paper source that could not be reached (429, 5xx, a hang, refused connections: retried until the bound) is news:
the tool's summary says so ("Semantic Scholar unreachable after 4 tries (HTTP 500); using the offline catalogue")
and a warning `Notice` goes on the run's event bus, so the console shows it. Offline mode is a setting, not news.
"""

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from posttrain.run.context import RunContext
from posttrain.run.events import Notice
from posttrain.tools.papers import PaperHits


class TechniqueFindings(BaseModel):
    """Techniques for this iteration, each traced to a paper id, plus live search results."""

    summary: str = Field(description="One line for the team, citing paper ids.")
    techniques: list[dict] = Field(description="Catalogue entries: name, paper_id, title, when_to_use, hyperparameters.")
    papers: list[dict] = Field(description="Live search hits (id, title, year).")
    search_offline: bool = Field(description="True when live search could not run (no network, nothing cached).")
    errors: list[str] = Field(default_factory=list)


class PaperSearch(PaperHits):
    """PaperHits plus the one line for the team."""

    summary: str = Field(description="One line: how many papers, and any source that could not be reached.")


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def make_librarian_tools(ctx: RunContext) -> list[Callable]:
    from posttrain.tools.papers import search_papers as _search_papers
    from posttrain.tools.papers import technique_catalogue
    from posttrain.tools.papers.search import outages

    def report_outages(hits: PaperHits, fallback: str) -> str | None:
        """The outage line for the summary, also published as a warning notice; None when no source was down."""
        down = outages(hits.errors)
        if not down:
            return None
        news = "; ".join(down) + f"; {fallback}"
        ctx.bus.publish(Notice(level="warning", text=f"Librarian: {news}"))
        return news

    def find_techniques(query: Annotated[str, "what to look for, e.g. 'GRPO verifiable reward arithmetic'"],
                        limit: Annotated[int, "max techniques and papers, 1-10"] = 5) -> TechniqueFindings:
        """Find post-training techniques for the goal and plan: the curated catalogue (always available, real paper
        ids) plus a live arXiv / Semantic Scholar / HF Papers search (cached; offline it says so). Cited ids are
        recorded in the run's ledger."""
        from posttrain.run.facts import Facts, conditions

        # only techniques whose measured conditions hold (no QLoRA for a 2-layer model); ones without conditions pass
        holding = conditions(Facts.from_run(ctx))
        ranked = technique_catalogue(f"{ctx.config.goal} {query}", limit=100)
        refs = [r for r in ranked if set(r.conditions) <= holding][:limit]
        hits = _search_papers(query, limit=limit)
        ctx.iteration.techniques = [r.paper_id for r in refs] + [p.id for p in hits.papers]
        cited = "; ".join(f"{r.name} ({r.paper_id})" for r in refs)
        found = f"live search found {len(hits.papers)} papers"
        news = report_outages(hits, "using the other sources and the offline catalogue" if hits.papers else
                              "using the offline catalogue")
        if news:
            live = f"{found}; {news}" if hits.papers else news
        elif hits.papers:
            live = found
        elif hits.offline:
            live = "live search is offline and nothing is cached"
        elif hits.errors:  # every source refused (400/403/...): not "nothing found"
            live = f"live search failed: {_short(hits.errors[0])}"
        else:
            live = "live search found nothing"
        return TechniqueFindings(
            summary=f"Techniques: {cited or 'none in the catalogue'}; {live}.",
            techniques=[r.model_dump() for r in refs],
            papers=[{"id": p.id, "title": p.title, "year": p.year} for p in hits.papers],
            search_offline=hits.offline, errors=hits.errors,
        )

    def search_papers(query: Annotated[str, "keywords, e.g. 'GRPO math reasoning'"],
                      source: Literal["arxiv", "s2", "hf", "all"] = "all", limit: int = 10) -> PaperSearch:
        """Search papers on arXiv, Semantic Scholar and HF Papers (cached on disk). Returns ids, titles, authors,
        years and abstracts; network trouble is reported in `errors` and in the summary, never raised."""
        hits = _search_papers(query, source=source, limit=limit)
        found = f"{len(hits.papers)} papers for '{query}'" + (
            ": " + "; ".join(f"{p.id} {_short(p.title, 60)}" for p in hits.papers[:3]) if hits.papers else "")
        news = report_outages(hits, "results from the other sources only" if hits.papers else
                              "no live results; technique_catalogue (find_techniques) still works offline")
        if news:
            summary = f"{found}; {news}"
        elif hits.errors and not hits.papers:
            summary = f"{found}; {_short(hits.errors[0])}"
        else:
            summary = found
        return PaperSearch(**hits.model_dump(), summary=summary)

    return [find_techniques, search_papers]
