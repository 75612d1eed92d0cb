"""Citation graph around seed papers (Semantic Scholar references + citations), ranked for a goal.

Breadth-first from the seeds up to ``depth`` hops, stopping at ``max_nodes``; papers are deduplicated by arXiv id,
DOI and S2 id. Each paper is scored 0.5 relevance (BM25 of title+abstract against the goal) + 0.3 influence
(citations, influential citations inside the graph) + 0.2 recency, and the non-seed papers form a reading list
with the reason for each.

>>> graph = citation_graph(["arxiv:2402.03300"], depth=1, max_nodes=50, goal="GRPO for math reasoning")
>>> graph.reading_list[0].why
"""

import math
import re
from typing import Annotated

from posttrain.tools.errors import PosttrainError
from posttrain.tools.progress import ProgressFn, null_progress

from .blocklist import Blocklist
from .fetch import FetchLog, OfflineError, is_offline
from .ids import canonical_id
from .models import CitationGraph, GraphEdge, GraphNode, Paper, ReadingItem
from .s2_source import get_links, get_s2_paper
from .search import merge_papers


STOPWORDS = set("a an and are as at be by for from how in into is it of on or our that the this to we with".split())


def _tokens(text: str) -> list[str]:
    return [t for t in re.findall(r"[a-z0-9]+", text.lower()) if t not in STOPWORDS]


class _Builder:
    """Holds the nodes (by canonical id, with aliases) and edges while the traversal runs."""

    def __init__(self, max_nodes: int) -> None:
        self.max_nodes = max_nodes
        self.papers: dict[str, Paper] = {}
        self.depth: dict[str, int] = {}
        self.alias: dict[str, str] = {}
        self.edges: dict[tuple[str, str], GraphEdge] = {}
        self.truncated = False
        self.blocklist = Blocklist.from_env()

    def _keys(self, paper: Paper) -> set[str]:
        keys = {paper.id}
        keys |= {f"arxiv:{paper.arxiv_id}"} if paper.arxiv_id else set()
        keys |= {f"doi:{paper.doi}"} if paper.doi else set()
        keys |= {f"s2:{paper.s2_id}"} if paper.s2_id else set()
        return keys

    def add(self, paper: Paper, depth: int) -> str | None:
        """The node id for ``paper``, adding it if the budget allows; None when it is blocked or over budget."""
        if self.blocklist.blocks_paper(paper):
            return None
        keys = self._keys(paper)
        known = next((self.alias[k] for k in keys if k in self.alias), None)
        if known is not None:
            self.papers[known] = merge_papers(self.papers[known], paper)
            self.depth[known] = min(self.depth[known], depth)
        elif len(self.papers) >= self.max_nodes:
            self.truncated = True
            return None
        else:
            known = paper.id
            self.papers[known], self.depth[known] = paper, depth
        for key in keys:
            self.alias[key] = known
        return known

    def link(self, citing: str, cited: str, influential: bool, intents: list[str], contexts: list[str]) -> None:
        if citing != cited:
            self.edges[(citing, cited)] = GraphEdge(
                citing=citing, cited=cited, is_influential=influential, intents=intents, contexts=contexts
            )


def _placeholder(raw: str) -> Paper:
    """A seed that could not be looked up still anchors the graph, titled from the catalogue when it is there."""
    from .catalogue import CATALOGUE

    pid = canonical_id(raw)
    entry = next((t for t in CATALOGUE if t.paper_id == pid), None)
    return Paper(id=pid, title=entry.title if entry else "", authors=[], year=entry.year if entry else None,
                 abstract="", url=None, source="catalogue" if entry else "unresolved",
                 arxiv_id=pid[6:] if pid.startswith("arxiv:") else None)


def _resolve_seed(raw: str, log: FetchLog, errors: list[str]) -> Paper | None:
    """The seed's S2 record; a placeholder when the lookup fails; None (with an error) for an unreadable id."""
    try:
        pid = canonical_id(raw)
    except PosttrainError as exc:
        errors.append(str(exc))
        return None
    try:
        return get_s2_paper(pid, log=log)
    except OfflineError:
        errors.append(f"offline (POSTTRAIN_OFFLINE=1): no cached details for {pid}; fix: unset POSTTRAIN_OFFLINE")
    except PosttrainError as exc:
        errors.append(str(exc))
    return _placeholder(pid)


def _expand(builder: _Builder, node: str, depth: int, per_node: int, log: FetchLog) -> list[str]:
    """Add one node's references and citations; returns the ids of nodes first reached through it."""
    reached = []
    for kind in ("references", "citations"):
        for link in get_links(node, kind, limit=per_node, log=log):
            before = len(builder.papers)
            other = builder.add(link.paper, depth + 1)
            if other is None:
                continue
            if len(builder.papers) > before:
                reached.append(other)
            citing, cited = (node, other) if kind == "references" else (other, node)
            builder.link(citing, cited, link.is_influential, link.intents, link.contexts)
    return reached


def _scale(values: list[float]) -> list[float]:
    top = max(values, default=0.0)
    return [v / top if top > 0 else 0.0 for v in values]


def _rank(builder: _Builder, seeds: list[str], goal: str) -> list[GraphNode]:
    from rank_bm25 import BM25Okapi

    ids = list(builder.papers)
    docs = [_tokens(f"{builder.papers[i].title} {builder.papers[i].abstract}") or ["_"] for i in ids]
    relevance = _scale([max(0.0, s) for s in BM25Okapi(docs).get_scores(_tokens(goal))]) if ids else []
    influential_in = {i: 0 for i in ids}
    for edge in builder.edges.values():
        influential_in[edge.cited] += int(edge.is_influential)
    citations = _scale([math.log1p(builder.papers[i].citation_count or 0) for i in ids])
    in_graph = _scale([influential_in[i] for i in ids])
    years = [builder.papers[i].year for i in ids if builder.papers[i].year]
    low, high = min(years, default=0), max(years, default=0)
    nodes = []
    for n, node_id in enumerate(ids):
        year = builder.papers[node_id].year
        recency = (year - low) / (high - low) if year and high > low else 0.5 if year else 0.0
        influence = 0.7 * citations[n] + 0.3 * in_graph[n]
        score = 0.5 * relevance[n] + 0.3 * influence + 0.2 * recency
        nodes.append(GraphNode(
            paper=builder.papers[node_id], depth=builder.depth[node_id], seed=node_id in seeds,
            relevance=round(relevance[n], 4), influence=round(influence, 4), recency=round(recency, 4),
            score=round(score, 4),
        ))
    return sorted(nodes, key=lambda x: (-x.score, x.paper.id))


def _why(node: GraphNode, goal_terms: set[str], builder: _Builder, seeds: list[str]) -> str:
    paper = node.paper
    matched = sorted(goal_terms & set(_tokens(f"{paper.title} {paper.abstract}")))
    parts = [f"matches the goal on {', '.join(matched[:5])} (relevance {node.relevance:.2f})" if matched
             else "no goal terms in title/abstract"]
    if paper.citation_count is not None:
        parts.append(f"{paper.citation_count:,} citations")
    for (citing, cited), edge in builder.edges.items():
        if paper.id in (citing, cited) and (seed := cited if citing == paper.id else citing) in seeds:
            verb = "cites" if citing == paper.id else "cited by"
            how = "influentially, " if edge.is_influential else ""
            intents = f"{how}{'/'.join(edge.intents)}".strip(", ")
            parts.append(f"{verb} seed {seed}" + (f" ({intents})" if intents else ""))
            break
    if paper.year:
        parts.append(str(paper.year))
    return "; ".join(parts)


def citation_graph(
    seed_ids: Annotated[list[str], "papers to start from, e.g. ['arxiv:2402.03300']"],
    *,
    depth: Annotated[int, "hops of references/citations to follow (1-3)"] = 2,
    max_nodes: Annotated[int, "stop adding papers after this many"] = 200,
    goal: Annotated[str | None, "what the reading list should serve; default: the seeds' titles"] = None,
    per_node: Annotated[int, "references and citations fetched per paper (each)"] = 50,
    progress: ProgressFn = null_progress,
) -> CitationGraph:
    """Build the citation graph around seed papers and rank it for a goal; use it to find what to read next.

    Follows Semantic Scholar references and citations breadth-first (with isInfluential, intents, contexts),
    deduplicates by arXiv id / DOI, ranks by goal relevance, influence and recency. Returns CitationGraph: nodes,
    edges (citing -> cited), reading_list (rank, paper_id, title, year, score, why), truncated, errors.
    Never raises for network trouble; failed lookups go in ``errors``. Export with ``to_networkx()`` or
    ``write_graphml(path)``.
    """
    builder, log, errors = _Builder(max(1, max_nodes)), FetchLog(), []
    seeds: list[str] = []
    for raw in seed_ids:
        paper = _resolve_seed(raw, log, errors)
        seed = builder.add(paper, 0) if paper is not None else None
        if seed is not None:
            seeds.append(seed)
    frontier = list(seeds)
    for level in range(max(0, depth)):
        next_frontier: list[str] = []
        for done, node in enumerate(frontier):
            if builder.truncated:  # budget spent: more lookups would only add edges, at one request each
                break
            progress("citation graph", completed=done, total=len(frontier), depth=level + 1, nodes=len(builder.papers))
            try:
                next_frontier += _expand(builder, node, level, max(1, min(per_node, 1000)), log)
            except OfflineError:
                errors.append(f"offline (POSTTRAIN_OFFLINE=1): no cached references/citations for {node}")
            except PosttrainError as exc:
                errors.append(str(exc))
        frontier = next_frontier
        if not frontier or builder.truncated:
            break
    goal_text = goal or " ".join(builder.papers[s].title for s in seeds)
    nodes = _rank(builder, seeds, goal_text)
    goal_terms = set(_tokens(goal_text))
    reading = [n for n in nodes if not n.seed]
    reading_list = [
        ReadingItem(rank=r, paper_id=n.paper.id, title=n.paper.title, year=n.paper.year, score=n.score,
                    why=_why(n, goal_terms, builder, seeds))
        for r, n in enumerate(reading[:30], start=1)
    ]
    return CitationGraph(
        seeds=seeds, goal=goal_text or None, nodes=nodes, edges=list(builder.edges.values()),
        reading_list=reading_list, truncated=builder.truncated, errors=errors, offline=is_offline(),
    )
