"""The Librarian's tools: `posttrain.tools.papers` bound to the run (cited ids go into the ledger)."""

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from posttrain.run.context import RunContext
from posttrain.tools.papers import PaperHits


class TechniqueFindings(BaseModel):
    """Techniques for this iteration, each traced to a paper id, plus live search results."""

    summary: str = Field(description="One line for the team, citing paper ids.")
    techniques: list[dict] = Field(description="Catalogue entries: name, paper_id, title, when_to_use, hyperparameters.")
    papers: list[dict] = Field(description="Live search hits (id, title, year).")
    search_offline: bool = Field(description="True when live search could not run (no network, nothing cached).")
    errors: list[str] = Field(default_factory=list)


def make_librarian_tools(ctx: RunContext) -> list[Callable]:
    from posttrain.tools.papers import search_papers as _search_papers
    from posttrain.tools.papers import technique_catalogue

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
        live = (f"live search found {len(hits.papers)} papers" if hits.papers else
                "live search is offline and nothing is cached" if hits.offline else "live search found nothing")
        return TechniqueFindings(
            summary=f"Techniques: {cited or 'none in the catalogue'}; {live}.",
            techniques=[r.model_dump() for r in refs],
            papers=[{"id": p.id, "title": p.title, "year": p.year} for p in hits.papers],
            search_offline=hits.offline, errors=hits.errors,
        )

    def search_papers(query: Annotated[str, "keywords, e.g. 'GRPO math reasoning'"],
                      source: Literal["arxiv", "s2", "hf", "all"] = "all", limit: int = 10) -> PaperHits:
        """Search papers on arXiv, Semantic Scholar and HF Papers (cached on disk). Returns ids, titles, authors,
        years and abstracts; network trouble is reported in `errors`, never raised."""
        return _search_papers(query, source=source, limit=limit)

    return [find_techniques, search_papers]
