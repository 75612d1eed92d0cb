"""``search_papers``: one query across arXiv, Semantic Scholar and HF Papers, merged and deduplicated.

>>> hits = search_papers("GRPO mathematical reasoning", source="all", limit=10)
>>> [p.id for p in hits.papers][:3], hits.errors
>>> outages(hits.errors)          # ['Semantic Scholar unreachable after 4 tries (HTTP 500)'] during an outage
"""

import concurrent.futures
import re
from collections.abc import Callable
from typing import Annotated, Literal

from posttrain.tools.errors import PosttrainError, ToolError
from posttrain.tools.query_guard import active_rules, match, refusal_for

from .arxiv_source import search_arxiv
from .blocklist import Blocklist
from .fetch import FetchLog, OfflineError, is_offline
from .hf_source import search_hf
from .models import Paper, PaperHits
from .s2_source import search_s2


SOURCES: dict[str, tuple[str, Callable[..., list[Paper]]]] = {
    "arxiv": ("arXiv", search_arxiv),
    "s2": ("Semantic Scholar", search_s2),
    "hf": ("HF Papers", search_hf),
}


# The lines fetch's retry loop and its down-host guard end in, prefixed with the source label by search_papers.
_LABELS = "|".join(re.escape(label) for label, _ in SOURCES.values())
_RETRIED = re.compile(rf"^(?P<label>{_LABELS}): (?P<problem>.+?) after (?P<tries>\d+) tries\b")
_DOWN = re.compile(rf"^(?P<label>{_LABELS}): (?P<host>\S+) could not be reached moments ago")


def outages(errors: list[str]) -> list[str]:
    """One short line per source that could not be reached: retries spent on 429 / 5xx / timeouts / refused
    connections (``"Semantic Scholar unreachable after 4 tries (HTTP 500)"``), or a host that failed moments ago and
    was not asked again. Offline mode, the blocklist and refusals that retrying cannot fix (400, 403, 404) are not
    outages and are left out; they stay in ``errors``."""
    lines = []
    for error in errors:
        if match := _RETRIED.match(error):
            tries = int(match["tries"])
            lines.append(f"{match['label']} unreachable after {tries} {'try' if tries == 1 else 'tries'} "
                         f"({match['problem']})")
        elif match := _DOWN.match(error):
            lines.append(f"{match['label']} unreachable ({match['host']} failed moments ago; not asked again)")
    return lines


def merge_papers(first: Paper, second: Paper) -> Paper:
    """One record from two views of the same paper: keep ``first``'s values, fill its gaps from ``second``."""
    data = first.model_dump()
    for key, value in second.model_dump().items():
        if data.get(key) in (None, "", []) and value not in (None, "", []):
            data[key] = value
    sources = first.source.split("+") + [s for s in second.source.split("+") if s not in first.source.split("+")]
    data["source"] = "+".join(sources)
    return Paper(**data)


def dedupe(papers: list[Paper]) -> list[Paper]:
    """Merge records that share an id, an arXiv id or a DOI, keeping first-seen order."""
    merged: list[Paper] = []
    index: dict[str, int] = {}
    for paper in papers:
        keys = {paper.id} | ({f"arxiv:{paper.arxiv_id}"} if paper.arxiv_id else set())
        keys |= {f"doi:{paper.doi}"} if paper.doi else set()
        keys |= {f"s2:{paper.s2_id}"} if paper.s2_id else set()
        hit = next((index[k] for k in keys if k in index), None)
        if hit is None:
            merged.append(paper)
            hit = len(merged) - 1
        else:
            merged[hit] = merge_papers(merged[hit], paper)
        for key in keys:
            index[key] = hit
    return merged


def _interleave(lists: list[list[Paper]]) -> list[Paper]:
    """Round-robin over per-source rankings, so each source's best results come first."""
    out = []
    for i in range(max((len(x) for x in lists), default=0)):
        out.extend(x[i] for x in lists if i < len(x))
    return out


def search_papers(
    query: Annotated[str, "keywords, e.g. 'GRPO math reasoning'; arXiv field syntax (ti:, abs:, cat:) also works"],
    *,
    source: Annotated[Literal["arxiv", "s2", "hf", "all"], "which index to ask; all = the three, merged"] = "all",
    limit: Annotated[int, "most papers to return (1-100)"] = 10,
) -> PaperHits:
    """Search for papers on arXiv, Semantic Scholar and/or Hugging Face Papers; use it to find techniques for a goal.

    Returns PaperHits: ``papers`` (id like "arxiv:2402.03300", title, authors, year, abstract, url, source,
    citation_count), deduplicated across sources by arXiv id / DOI. Never raises for network trouble: each failed
    source adds one line to ``errors``. Offline (POSTTRAIN_OFFLINE=1) only cached answers are used and
    ``offline`` is true; ``from_cache`` says every answer came from the on-disk cache. Papers on the user's
    blocklist are left out. A query the query block list forbids (PostTrainBench, its leaderboard, test answers;
    see posttrain.tools.query_guard) is refused before any source is asked: no papers, ``errors[0]`` says why.
    """
    if source != "all" and source not in SOURCES:
        raise ToolError(f"unknown source '{source}'; use one of: arxiv, s2, hf, all")
    limit = max(1, min(limit, 100))
    if refusal := refusal_for(query, surface=f"papers.search ({source})"):  # before any source is asked
        return PaperHits(query=query, papers=[], offline=False, errors=[refusal.message()], from_cache=False)
    names = list(SOURCES) if source == "all" else [source]
    logs = {name: FetchLog() for name in names}
    # The sources are independent services, so they are asked at the same time; results keep the source order.
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(names)) as pool:
        futures = {name: pool.submit(SOURCES[name][1], query, limit=limit, log=logs[name]) for name in names}
    errors, per_source, offline_misses = [], [], []
    for name in names:
        label = SOURCES[name][0]
        try:
            per_source.append(futures[name].result())
        except OfflineError:
            offline_misses.append(label)
        except PosttrainError as exc:
            errors.append(str(exc) if str(exc).startswith(label) else f"{label}: {exc}")
    if offline_misses:
        errors.insert(0, f"offline (POSTTRAIN_OFFLINE=1): no cached {', '.join(offline_misses)} results for "
                         f"'{query}'; fix: unset POSTTRAIN_OFFLINE, or use technique_catalogue for built-in papers")
    cached = [log.all_cached for log in logs.values() if log.cache_hits or log.network]
    blocklist = Blocklist.from_env()
    rules = active_rules()
    # a hit about PostTrainBench itself (its paper, its pages) is withheld too: reading it is the lookup
    papers = [p for p in dedupe(_interleave(per_source)) if not blocklist.blocks_paper(p)
              and not (rules and match(f"{p.title} {p.url or ''}", rules))]
    from_cache = bool(cached) and all(cached)
    return PaperHits(query=query, papers=papers[:limit], offline=is_offline(), errors=errors, from_cache=from_cache)
