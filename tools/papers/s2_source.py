"""Semantic Scholar through the ``semanticscholar`` package: search, details, references, citations, recommendations.

The package builds the requests and the objects; its requester is replaced by one that goes through ``fetch``
(cache, offline, retries with Retry-After, timeouts). S2's error bodies become one-line ToolErrors naming the fix.
Base URL: ``POSTTRAIN_S2_API_URL`` (default https://api.semanticscholar.org); ``S2_API_KEY`` is sent when set.

>>> links = get_links("arxiv:2402.03300", "citations", limit=20)
>>> links[0].paper.title, links[0].is_influential, links[0].intents
"""

import asyncio
import concurrent.futures
import json
import logging
import os
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

from posttrain.tools.errors import ToolError
from posttrain.tools.providers import SERVICE_KEYS

from .fetch import FetchLog, HttpStatusError, fetch
from .ids import ID_HELP, bare_arxiv_id, doi_id, s2_lookup_id
from .models import Paper


DEFAULT_URL = "https://api.semanticscholar.org"
PAPER_FIELDS = ["paperId", "externalIds", "title", "abstract", "year", "authors", "url", "citationCount",
                "influentialCitationCount"]
LINK_FIELDS = ["contexts", "intents", "isInfluential"] + PAPER_FIELDS


@dataclass
class Link:
    """One reference or citation of a paper, with S2's judgement of it."""

    paper: Paper
    is_influential: bool = False
    intents: list[str] = field(default_factory=list)
    contexts: list[str] = field(default_factory=list)


def run_sync(coro):
    """Run a coroutine from sync code, also when an event loop is already running (autogen tools, notebooks)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def explain_status(exc: HttpStatusError, what: str) -> ToolError:
    """Turn an S2 error answer (400/403/404 bodies) into a message that names the problem and the fix."""
    try:
        body = json.loads(exc.body or b"{}")
        detail = body.get("error") or body.get("message") or ""
    except (ValueError, AttributeError):
        detail = exc.body[:200].decode("utf-8", "replace")
    if exc.status == 404:
        return ToolError(f"Semantic Scholar has no {what} ({detail or 'not found'}); fix: {ID_HELP}")
    if exc.status == 403:
        return ToolError(
            f"Semantic Scholar refused access (403 {detail or 'Forbidden'}); fix: check that S2_API_KEY is a valid "
            "key, or unset it to use the shared anonymous rate limit"
        )
    if exc.status == 400:
        return ToolError(f"Semantic Scholar rejected the request for {what} (400: {detail}); fix: check the id/query")
    return ToolError(f"Semantic Scholar answered HTTP {exc.status} for {what} ({detail}); fix: try again later")


def _client(log: FetchLog):
    from semanticscholar.ApiRequester import ApiRequester
    from semanticscholar.AsyncSemanticScholar import AsyncSemanticScholar

    class CachedRequester(ApiRequester):
        """The package's requester, with HTTP done by posttrain's fetch."""

        async def get_data_async(self, url, parameters, headers, payload=None):
            parameters = parameters.lstrip("&")
            full_url = f"{url}?{parameters}" if parameters else url
            response = fetch(
                full_url, method="POST" if payload else "GET", json_body=payload, headers=headers,
                source="Semantic Scholar", log=log,
            )
            data = json.loads(response.body)
            return {} if isinstance(data, dict) and set(data) == {"error"} else data

    base = os.environ.get("POSTTRAIN_S2_API_URL", DEFAULT_URL).rstrip("/")
    # The package calls logging.basicConfig() in its constructor (semanticscholar 0.12, `debug` setter), which would
    # install a root handler in the host application; a temporary handler makes that call a no-op.
    root, guard = logging.getLogger(), logging.NullHandler()
    root.addHandler(guard)
    try:
        client = AsyncSemanticScholar(timeout=10, api_key=os.environ.get(SERVICE_KEYS["semantic_scholar"]) or None, api_url=base)
    finally:
        root.removeHandler(guard)
    client._requester = CachedRequester(timeout=10, retry=False)
    return client


def to_paper(data: dict) -> Paper:
    """An S2 paper dict as a Paper; the id is the arXiv id when S2 knows one, else the DOI, else the paperId."""
    external = data.get("externalIds") or {}
    arxiv_id = bare_arxiv_id(external["ArXiv"]) if external.get("ArXiv") else None
    doi = external.get("DOI", "").lower() or None
    s2_id = data.get("paperId")
    if arxiv_id is None and doi and doi_id(doi).startswith("arxiv:"):
        arxiv_id = doi_id(doi)[6:]
    paper_id = f"arxiv:{arxiv_id}" if arxiv_id else doi_id(doi) if doi else f"s2:{s2_id}"
    return Paper(
        id=paper_id,
        title=" ".join((data.get("title") or "").split()),
        authors=[a.get("name", "") for a in data.get("authors") or []],
        year=data.get("year"),
        abstract=" ".join((data.get("abstract") or "").split()),
        url=data.get("url") or (f"https://www.semanticscholar.org/paper/{s2_id}" if s2_id else None),
        source="s2",
        citation_count=data.get("citationCount"),
        arxiv_id=arxiv_id,
        doi=doi,
        s2_id=s2_id,
        influential_citation_count=data.get("influentialCitationCount"),
    )


def search_s2(query: str, *, limit: int = 10, year: str | None = None, log: FetchLog | None = None) -> list[Paper]:
    """Relevance search (first page only, at most 100); ``year`` like "2023" or "2022-2024"."""
    client = _client(log or FetchLog())

    async def go():
        # the package pastes the query into the URL as-is, so it must arrive percent-encoded
        results = await client.search_paper(
            quote(query, safe=""), year=year, fields=PAPER_FIELDS, limit=max(1, min(limit, 100))
        )
        return [to_paper(item.raw_data) for item in results.items[:limit]]

    try:
        return run_sync(go())
    except HttpStatusError as exc:
        raise explain_status(exc, f"search '{query}'") from exc


def get_s2_paper(paper_id: str, *, log: FetchLog | None = None) -> Paper:
    """Details of one paper by any accepted id."""
    client = _client(log or FetchLog())
    try:
        paper = run_sync(client.get_paper(s2_lookup_id(paper_id), fields=PAPER_FIELDS))
    except HttpStatusError as exc:
        raise explain_status(exc, f"paper '{paper_id}'") from exc
    if not paper.raw_data:
        raise ToolError(f"Semantic Scholar has no paper '{paper_id}'; fix: {ID_HELP}")
    return to_paper(paper.raw_data)


def get_links(
    paper_id: str, kind: Literal["references", "citations"], *, limit: int = 100, log: FetchLog | None = None
) -> list[Link]:
    """The first ``limit`` (<= 1000) references or citations of a paper, with isInfluential, intents and contexts."""
    client = _client(log or FetchLog())
    method = client.get_paper_references if kind == "references" else client.get_paper_citations
    key = "citedPaper" if kind == "references" else "citingPaper"

    async def go():
        results = await method(s2_lookup_id(paper_id), fields=LINK_FIELDS, limit=max(1, min(limit, 1000)))
        return [item.raw_data for item in results.items[:limit]]

    try:
        items = run_sync(go())
    except HttpStatusError as exc:
        raise explain_status(exc, f"{kind} of '{paper_id}'") from exc
    links = []
    for item in items:
        data = item.get(key) or {}
        if not data.get("paperId"):
            continue  # S2 lists references it could not resolve without an id: nothing to link or expand
        contexts = [" ".join(c.split()) for c in (item.get("contexts") or [])[:3]]
        links.append(Link(to_paper(data), bool(item.get("isInfluential")), item.get("intents") or [], contexts))
    return links


def recommend_s2(paper_id: str, *, limit: int = 10, log: FetchLog | None = None) -> list[Paper]:
    """Papers S2 recommends for one paper (its recommendations API, recent pool)."""
    client = _client(log or FetchLog())
    try:
        papers = run_sync(
            client.get_recommended_papers(s2_lookup_id(paper_id), fields=PAPER_FIELDS, limit=max(1, min(limit, 500)))
        )
    except HttpStatusError as exc:
        raise explain_status(exc, f"recommendations for '{paper_id}'") from exc
    return [to_paper(p.raw_data) for p in papers[:limit]]
