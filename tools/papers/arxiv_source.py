"""arXiv through the ``arxiv`` package: keyword search (fields, categories, paging) and id lookup.

The package builds the query URLs, pages through results and parses the Atom feed; its HTTP step is routed through
``fetch`` so the cache, offline mode, retries and blocklist apply. Base URL: ``POSTTRAIN_ARXIV_API_URL`` (default
https://export.arxiv.org/api/query). Requests to the real API are spaced by ``POSTTRAIN_ARXIV_DELAY_S`` (default 3 s,
arXiv's terms of use).

>>> search_arxiv("GRPO mathematical reasoning", limit=5, categories=["cs.CL", "cs.LG"])
"""

import os
import re
from typing import Literal

from posttrain.tools.errors import ToolError

from .fetch import FetchLog, HttpStatusError, fetch
from .ids import ID_HELP, bare_arxiv_id
from .models import Paper


DEFAULT_URL = "https://export.arxiv.org/api/query"
_FIELD_PREFIX = re.compile(r"\b(ti|au|abs|co|jr|cat|rn|id|all):")
_ERROR_ID = "arxiv.org/api/errors"
FIX = f"{ID_HELP}, or simplify the query"


def _base_url() -> str:
    return os.environ.get("POSTTRAIN_ARXIV_API_URL", DEFAULT_URL).rstrip("?")


def _delay() -> float:
    try:
        return float(os.environ.get("POSTTRAIN_ARXIV_DELAY_S", "3"))
    except ValueError:
        return 3.0


def _error_summary(body: bytes) -> str | None:
    """The message of arXiv's error feed (an entry whose id points at /api/errors), if the body is one.

    The package's parser skips that entry (it has no <published>), so it is read here directly.
    """
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return None
    namespace = {"atom": "http://www.w3.org/2005/Atom"}
    for entry in [] if root is None else root.iterfind("atom:entry", namespace):
        if _ERROR_ID in (entry.findtext("atom:id", "", namespace)):
            return " ".join(entry.findtext("atom:summary", "", namespace).split())
    return None


def _client_class():
    import arxiv
    from arxiv import _feed

    class CachedClient(arxiv.Client):
        """arxiv.Client whose page requests go through posttrain's fetch (cache, retries, timeouts)."""

        def __init__(self, page_size: int, log: FetchLog):
            super().__init__(page_size=page_size, delay_seconds=0.0, num_retries=0)
            self.query_url_format = _base_url() + "?{}"  # the package's own hook for the endpoint
            self.log = log

        def _parse_feed(self, url: str, first_page: bool = True, _try_index: int = 0):
            try:
                response = fetch(url, source="arXiv", min_interval_s=_delay(), log=self.log)
            except HttpStatusError as exc:
                reason = _error_summary(exc.body) or f"HTTP {exc.status}"
                raise ToolError(f"arXiv rejected the request: {reason}; fix: {FIX}") from exc
            reason = _error_summary(response.body)
            if reason:
                raise ToolError(f"arXiv rejected the request: {reason}; fix: {FIX}")
            return _feed.parse(response.body)

    return CachedClient


def to_paper(result) -> Paper:
    """An arxiv.Result as a Paper (id without version, whitespace collapsed)."""
    short = result.get_short_id()
    bare = bare_arxiv_id(short) or re.sub(r"v\d+$", "", short)
    return Paper(
        id=f"arxiv:{bare}",
        title=" ".join(result.title.split()),
        authors=[author.name for author in result.authors],
        year=result.published.year if result.published else None,
        abstract=" ".join(result.summary.split()),
        url=f"https://arxiv.org/abs/{bare}",
        source="arxiv",
        arxiv_id=bare,
        doi=result.doi.lower() if result.doi else None,
    )


def build_query(query: str, field: Literal["all", "ti", "abs"] = "all", categories: list[str] | None = None) -> str:
    """arXiv search_query syntax: every word must match ``field``; categories are OR-ed; ti:/au:/cat: queries pass."""
    if _FIELD_PREFIX.search(query):
        built = query
    else:
        words = [w for w in re.split(r"\s+", query.replace('"', " ").strip()) if w]
        built = " AND ".join(f"{field}:{w}" for w in words)
    if categories:
        cats = " OR ".join(f"cat:{c}" for c in categories)
        built = f"({built}) AND ({cats})" if built else f"({cats})"
    return built


def search_arxiv(
    query: str,
    *,
    limit: int = 10,
    start: int = 0,
    field: Literal["all", "ti", "abs"] = "all",
    categories: list[str] | None = None,
    page_size: int = 50,
    log: FetchLog | None = None,
) -> list[Paper]:
    """Search arXiv by relevance; pages of ``page_size`` are fetched until ``limit`` results (from ``start``)."""
    import arxiv

    search = arxiv.Search(query=build_query(query, field, categories), max_results=start + limit)
    client = _client_class()(page_size=min(page_size, limit + start), log=log or FetchLog())
    return [to_paper(r) for r in client.results(search, offset=start)]


def get_arxiv_papers(ids: list[str], *, log: FetchLog | None = None) -> tuple[list[Paper], list[str]]:
    """Look papers up by arXiv id; returns (papers found, ids arXiv does not know). Bad id syntax raises ToolError."""
    import arxiv

    wanted = []
    for raw in ids:
        bare = bare_arxiv_id(raw.removeprefix("arxiv:"))
        if bare is None:
            raise ToolError(f"'{raw}' is not an arXiv id; {ID_HELP}")
        wanted.append(bare)
    if not wanted:
        return [], []
    client = _client_class()(page_size=min(100, len(wanted)), log=log or FetchLog())
    papers = [to_paper(r) for r in client.results(arxiv.Search(id_list=wanted, max_results=len(wanted)))]
    found = {p.arxiv_id for p in papers}
    return papers, [w for w in wanted if w not in found]
