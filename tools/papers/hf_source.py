"""Hugging Face Papers: search, daily papers, one paper, and the Hub models/datasets that cite a paper.

Endpoints below ``HF_ENDPOINT`` (default https://huggingface.co): ``/api/papers/search?q=``, ``/api/daily_papers``,
``/api/papers/{arxiv_id}``, and ``/api/models`` / ``/api/datasets`` filtered by the ``arxiv:<id>`` tag the Hub puts
on repos whose card links the paper. All through ``fetch`` (cache, offline, retries, blocklist).

>>> search_hf("GRPO", limit=5)[0].id
'arxiv:2402.03300'
"""

import json
import os
from urllib.parse import quote, urlencode

from pydantic import BaseModel, Field

from posttrain.tools.errors import ToolError

from .fetch import FetchLog, HttpStatusError, fetch
from .ids import ID_HELP, bare_arxiv_id
from .models import Paper


class LinkedArtifacts(BaseModel):
    """Hub repos whose cards link a paper (the Hub tags them ``arxiv:<id>``)."""

    paper_id: str = Field(description="The paper")
    models: list[str] = Field(description="Model repo ids, most downloaded first")
    datasets: list[str] = Field(description="Dataset repo ids, most downloaded first")


def _endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def _get_json(path: str, params: dict | None, what: str, log: FetchLog | None):
    url = f"{_endpoint()}{path}" + (f"?{urlencode(params)}" if params else "")
    headers = {"Authorization": f"Bearer {os.environ['HF_TOKEN']}"} if os.environ.get("HF_TOKEN") else None
    try:
        response = fetch(url, headers=headers, source="HF Papers", log=log)
    except HttpStatusError as exc:
        if exc.status == 404:
            raise ToolError(f"Hugging Face has no {what} (404); fix: {ID_HELP}") from exc
        if exc.status in (401, 403):
            raise ToolError(f"Hugging Face refused {what} ({exc.status}); fix: set a valid HF_TOKEN") from exc
        raise ToolError(f"Hugging Face answered HTTP {exc.status} for {what}; fix: check the query") from exc
    return json.loads(response.body)


def to_paper(data: dict) -> Paper:
    """The ``paper`` object of an HF Papers answer as a Paper (HF ids are arXiv ids)."""
    bare = bare_arxiv_id(data["id"]) or data["id"]
    published = data.get("publishedAt") or ""
    return Paper(
        id=f"arxiv:{bare}",
        title=" ".join((data.get("title") or "").split()),
        authors=[a.get("name", "") for a in data.get("authors") or [] if not a.get("hidden")],
        year=int(published[:4]) if published[:4].isdigit() else None,
        abstract=" ".join((data.get("summary") or "").split()),
        url=f"https://huggingface.co/papers/{bare}",
        source="hf",
        arxiv_id=bare,
    )


def search_hf(query: str, *, limit: int = 10, log: FetchLog | None = None) -> list[Paper]:
    """HF Papers search (semantic + keyword over arXiv papers that were submitted to HF)."""
    items = _get_json("/api/papers/search", {"q": query}, f"search results for '{query}'", log)
    return [to_paper(item["paper"]) for item in items[:limit] if "paper" in item]


def daily_papers(date: str | None = None, *, limit: int = 50, log: FetchLog | None = None) -> list[Paper]:
    """The papers featured on HF's daily list, for ``date`` (YYYY-MM-DD) or today."""
    items = _get_json("/api/daily_papers", {"date": date} if date else None, f"daily papers for {date}", log)
    return [to_paper(item["paper"]) for item in items[:limit] if "paper" in item]


def get_hf_paper(arxiv_id: str, *, log: FetchLog | None = None) -> Paper:
    """One paper's HF page data by arXiv id."""
    bare = bare_arxiv_id(arxiv_id.removeprefix("arxiv:"))
    if bare is None:
        raise ToolError(f"'{arxiv_id}' is not an arXiv id; {ID_HELP}")
    return to_paper(_get_json(f"/api/papers/{quote(bare, safe='')}", None, f"paper {bare}", log))


def linked_artifacts(arxiv_id: str, *, limit: int = 20, log: FetchLog | None = None) -> LinkedArtifacts:
    """Models and datasets on the Hub that link the paper, most downloaded first."""
    bare = bare_arxiv_id(arxiv_id.removeprefix("arxiv:"))
    if bare is None:
        raise ToolError(f"'{arxiv_id}' is not an arXiv id; {ID_HELP}")
    params = {"filter": f"arxiv:{bare}", "sort": "downloads", "direction": "-1", "limit": str(limit)}
    models = _get_json("/api/models", params, f"models citing {bare}", log)
    datasets = _get_json("/api/datasets", params, f"datasets citing {bare}", log)
    return LinkedArtifacts(
        paper_id=f"arxiv:{bare}", models=[m["id"] for m in models], datasets=[d["id"] for d in datasets]
    )
