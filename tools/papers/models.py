"""The typed results the Librarian's tools return: papers, search hits, curated techniques, graphs and recipe cards.

Every model is small and JSON-serialisable, so an agent sees JSON and tests see types.

>>> Paper(id="arxiv:2402.03300", title="DeepSeekMath", authors=[], year=2024, abstract="", url=None, source="arxiv")
"""

from typing import Literal

from pydantic import BaseModel, Field

from posttrain.tools.methods import MethodName


class Paper(BaseModel):
    """One paper, identified across sources by its arXiv id when known."""

    id: str = Field(description='"arxiv:2402.03300" when an arXiv id is known, else "doi:<doi>" or "s2:<paperId>"')
    title: str = Field(description="Title with whitespace collapsed")
    authors: list[str] = Field(description="Author names in paper order")
    year: int | None = Field(description="Publication year (arXiv: first version)")
    abstract: str = Field(description="Abstract with whitespace collapsed; empty when the source has none")
    url: str | None = Field(description="Landing page (arXiv abs page, S2 page or HF papers page)")
    source: str = Field(description="Where the record came from: arxiv, s2 or hf ('+'-joined after a merge)")
    citation_count: int | None = Field(default=None, description="Citations known to Semantic Scholar")
    arxiv_id: str | None = Field(default=None, description="Bare arXiv id without version, e.g. 2402.03300")
    doi: str | None = Field(default=None, description="DOI, lower-case")
    s2_id: str | None = Field(default=None, description="Semantic Scholar paperId (40 hex characters)")
    influential_citation_count: int | None = Field(default=None, description="S2's count of influential citations")


class PaperHits(BaseModel):
    """The answer to a paper search: the papers plus what went wrong on the way."""

    query: str = Field(description="The query as given")
    papers: list[Paper] = Field(description="Deduplicated papers, best first")
    offline: bool = Field(default=False, description="True when POSTTRAIN_OFFLINE=1: only cached answers were used")
    errors: list[str] = Field(default_factory=list, description="One line per failed source, naming the fix")
    from_cache: bool = Field(default=False, description="True when every response came from the on-disk cache")


class TechniqueRef(BaseModel):
    """A curated post-training technique and the paper that introduced it."""

    name: str = Field(description="Short name, e.g. GRPO")
    paper_id: str = Field(description='The paper, e.g. "arxiv:2402.03300"')
    title: str = Field(description="The paper's exact title")
    year: int = Field(description="Year of the paper's first arXiv version")
    when_to_use: str = Field(description="One or two sentences: the situation this technique fits")
    key_hyperparameters: dict[str, str] = Field(description="Knob -> value or range the paper reports")
    method: MethodName | None = Field(None, description="The posttrain method that applies it (tools/methods.py), if any")
    conditions: list[str] = Field(default_factory=list,
                                  description="Measured conditions under which it applies (when_to_use, as rules)")


class GraphNode(BaseModel):
    """A paper inside a citation graph, with its ranking."""

    paper: Paper = Field(description="The paper")
    depth: int = Field(description="Hops from the nearest seed (0 = seed)")
    seed: bool = Field(description="True for the papers the traversal started from")
    relevance: float = Field(default=0.0, description="BM25 relevance of title+abstract to the goal, 0..1")
    influence: float = Field(default=0.0, description="Citations and influential in-graph citations, 0..1")
    recency: float = Field(default=0.0, description="Publication year scaled over the graph, 0..1")
    score: float = Field(default=0.0, description="0.5 relevance + 0.3 influence + 0.2 recency")


class GraphEdge(BaseModel):
    """``citing`` cites ``cited``."""

    citing: str = Field(description="Id of the citing paper")
    cited: str = Field(description="Id of the cited paper")
    is_influential: bool = Field(default=False, description="S2 marks this citation as influential")
    intents: list[str] = Field(default_factory=list, description="S2 intents: background, methodology, result")
    contexts: list[str] = Field(default_factory=list, description="Up to 3 sentences where the citation occurs")


class ReadingItem(BaseModel):
    """One entry of the ranked reading list."""

    rank: int = Field(description="1 = read first")
    paper_id: str = Field(description="The paper's id")
    title: str = Field(description="The paper's title")
    year: int | None = Field(description="Publication year")
    score: float = Field(description="Ranking score, 0..1")
    why: str = Field(description="Why the paper is on the list: goal terms matched, citations, link to a seed")


class CitationGraph(BaseModel):
    """A citation graph around seed papers, ranked for a goal. ``to_networkx()`` gives the real graph."""

    seeds: list[str] = Field(description="Canonical ids of the seed papers")
    goal: str | None = Field(description="The goal the ranking used (seed titles when none was given)")
    nodes: list[GraphNode] = Field(description="Every paper reached, best score first")
    edges: list[GraphEdge] = Field(description="Citation edges between those papers")
    reading_list: list[ReadingItem] = Field(description="Ranked non-seed papers with the reason for each")
    truncated: bool = Field(default=False, description="True when the node budget stopped the traversal")
    errors: list[str] = Field(default_factory=list, description="One line per lookup that failed")
    offline: bool = Field(default=False, description="True when POSTTRAIN_OFFLINE=1: only cached answers were used")

    def to_text(self, top: int = 10) -> str:
        """The reading list as short lines (rank, id, year, title, why), for debate turns."""
        lines = [f"{i.rank}. {i.paper_id} ({i.year or 'n.d.'}) {i.title} — {i.why}" for i in self.reading_list[:top]]
        return "\n".join(lines) or "(no papers reached)"

    def to_networkx(self):
        """The graph as a ``networkx.DiGraph`` (edge citing -> cited) with scalar attributes, ready for GraphML."""
        import networkx as nx

        graph = nx.DiGraph(goal=self.goal or "")
        for node in self.nodes:
            paper = node.paper
            graph.add_node(
                paper.id, title=paper.title, authors="; ".join(paper.authors), year=paper.year or 0,
                citation_count=paper.citation_count or 0, url=paper.url or "", depth=node.depth, seed=node.seed,
                relevance=node.relevance, influence=node.influence, recency=node.recency, score=node.score,
            )
        for edge in self.edges:
            graph.add_edge(
                edge.citing, edge.cited, is_influential=edge.is_influential, intents=",".join(edge.intents),
            )
        return graph

    def write_graphml(self, path) -> None:
        """Write the graph as GraphML (readable by networkx, Gephi, yEd)."""
        import networkx as nx

        nx.write_graphml(self.to_networkx(), str(path))


class FieldSource(BaseModel):
    """Where a recipe-card value was read."""

    paper_id: str = Field(description="The paper the value comes from")
    section: str = Field(description='Section title, e.g. "4.1 Experimental Setup", "Abstract" or "catalogue"')
    quote: str = Field(description="The sentence the value was read from (at most 300 characters)")


class SourcedValue(BaseModel):
    """A card value with its provenance."""

    value: str = Field(description="The value as written in the paper")
    source: FieldSource = Field(description="Where it was read")


class DatasetRef(BaseModel):
    """A dataset named by the paper."""

    name: str = Field(description="Name as written in the paper, e.g. GSM8K")
    hub_id: str | None = Field(default=None, description="Hugging Face Hub id when known, e.g. openai/gsm8k")
    source: FieldSource = Field(description="Where it was read")


class Hyperparameter(BaseModel):
    """A training knob the paper reports."""

    name: str = Field(description="Canonical knob name, e.g. learning_rate, beta, num_generations")
    value: str = Field(description="Value as written, e.g. 1e-6 or 64")
    source: FieldSource = Field(description="Where it was read")


class ReportedResult(BaseModel):
    """A benchmark score the paper reports."""

    benchmark: str = Field(description="Benchmark name, e.g. GSM8K")
    score: float = Field(description="The number as reported (percent when the paper uses percent)")
    source: FieldSource = Field(description="Where it was read")


class RecipeCard(BaseModel):
    """What a paper did, field by field, each traced to the section it came from. Empty means 'not found'."""

    paper_id: str = Field(description="The paper the card describes")
    title: str = Field(description="The paper's title")
    method: SourcedValue | None = Field(default=None, description="Main post-training method: SFT, DPO, GRPO, ...")
    base_models: list[SourcedValue] = Field(default_factory=list, description="Models the method was applied to")
    datasets: list[DatasetRef] = Field(default_factory=list, description="Training and evaluation datasets")
    hyperparameters: list[Hyperparameter] = Field(default_factory=list, description="Reported training knobs")
    results: list[ReportedResult] = Field(default_factory=list, description="Reported benchmark scores")
    sections_read: list[str] = Field(default_factory=list, description="Section titles the card was filled from")
    filled_by: Literal["rules", "llm", "rules+llm"] = Field(default="rules", description="Who filled the fields")
    errors: list[str] = Field(default_factory=list, description="What could not be read (e.g. full text offline)")

    def to_text(self) -> str:
        """One compact line per field, each value followed by [section], for debate turns and the ledger."""
        def where(source: FieldSource) -> str:
            return f"[{source.section}]"

        lines = [f"{self.paper_id} — {self.title or '(title unknown)'}"]
        if self.method:
            lines.append(f"method: {self.method.value} {where(self.method.source)}")
        if self.base_models:
            lines.append("base models: " + "; ".join(f"{m.value} {where(m.source)}" for m in self.base_models))
        if self.datasets:
            lines.append("datasets: " + "; ".join(
                f"{d.name}{f' ({d.hub_id})' if d.hub_id else ''} {where(d.source)}" for d in self.datasets))
        if self.hyperparameters:
            lines.append("hyperparameters: " + "; ".join(
                f"{h.name}={h.value} {where(h.source)}" for h in self.hyperparameters))
        if self.results:
            lines.append("results: " + "; ".join(f"{r.benchmark} {r.score:g} {where(r.source)}" for r in self.results))
        return "\n".join(lines)
