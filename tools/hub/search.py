"""Search the Hugging Face Hub for datasets, and read one dataset's Hub metadata (licence, gating, revision).

Honours HF_ENDPOINT and HF_TOKEN (read at call time). Offline — POSTTRAIN_OFFLINE=1, HF_HUB_OFFLINE=1 or no
network — is a result, not an exception: ``DatasetHits(offline=True, errors=[...])``.

>>> hits = search_datasets("gsm8k", limit=5)
>>> [(h.id, h.downloads, h.license) for h in hits.datasets], hits.offline, hits.errors
"""

import os
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from posttrain.tools.errors import ConfigError
from posttrain.tools.network import hub_offline_reason
from posttrain.tools.query_guard import refusal_for


SORTS = ("downloads", "likes", "trending_score", "created_at", "last_modified")
MAX_DESCRIPTION = 300


class DatasetHit(BaseModel):
    """One dataset found on the Hub."""

    id: str = Field(description="Hub id, e.g. 'openai/gsm8k'.")
    downloads: int | None = Field(None, description="Downloads in the last 30 days.")
    likes: int | None = Field(None, description="Likes.")
    gated: str | bool | None = Field(
        None, description="False, 'auto' or 'manual' (manual = owner approves each user)."
    )
    private: bool | None = Field(None, description="Private repo (needs a token).")
    license: str | None = Field(None, description="Licence from the tags, e.g. 'mit'.")
    task_categories: list[str] = Field(default_factory=list, description="e.g. ['text-generation'].")
    size_category: str | None = Field(None, description="e.g. '1K<n<10K'.")
    last_modified: datetime | None = Field(None, description="Last commit time.")
    description: str | None = Field(None, description=f"Card description, cut at {MAX_DESCRIPTION} characters.")


class DatasetHits(BaseModel):
    """Search results; never an exception for network trouble."""

    query: str = Field(description="The search text.")
    datasets: list[DatasetHit] = Field(default_factory=list, description="Hits in the requested sort order.")
    offline: bool = Field(False, description="True when the Hub could not be queried (offline mode or no network).")
    errors: list[str] = Field(default_factory=list, description="Why results are missing, with the fix.")


def hub_api():
    """An HfApi bound to HF_ENDPOINT / HF_TOKEN as they are now (huggingface_hub reads them only at import)."""
    from huggingface_hub import HfApi

    return HfApi(endpoint=os.environ.get("HF_ENDPOINT") or None, token=os.environ.get("HF_TOKEN") or None)


def offline_reason() -> str | None:
    """Why the Hub must not be called now (offline mode set, or the endpoint unreachable), or None when it may be.

    huggingface_hub retries a dead endpoint 5 times with backoff (~23 s); the probe answers in milliseconds.
    """
    reason = hub_offline_reason()
    if reason is None:
        return None
    return reason + ("; fix: unset it to query the Hub" if reason.startswith("offline mode") else
                     "; fix: check the network or HF_ENDPOINT")


def _tag(tags: list[str], prefix: str) -> list[str]:
    return [t.split(":", 1)[1] for t in tags if t.startswith(prefix + ":")]


def hit_from_info(info: Any) -> DatasetHit:
    """Turn a huggingface_hub DatasetInfo into a DatasetHit."""
    tags = list(info.tags or [])
    description = (info.description or "").strip() or None
    if description and len(description) > MAX_DESCRIPTION:
        description = description[:MAX_DESCRIPTION] + " …[truncated]"
    return DatasetHit(
        id=info.id,
        downloads=info.downloads,
        likes=info.likes,
        gated=info.gated,
        private=info.private,
        license=next(iter(_tag(tags, "license")), None),
        task_categories=_tag(tags, "task_categories"),
        size_category=next(iter(_tag(tags, "size_categories")), None),
        last_modified=info.last_modified,
        description=description,
    )


def network_error_text(exc: Exception) -> str:
    return f"Hub unreachable ({type(exc).__name__}: {str(exc)[:200]}); check the network or HF_ENDPOINT"


def search_datasets(query: str, *, limit: int = 10, sort: str = "downloads", filter: str | None = None) -> DatasetHits:
    """Search Hub datasets by text; use it to find candidate training data before inspecting one.

    ``sort``: downloads | likes | trending_score | created_at | last_modified (descending). ``filter``: a Hub tag
    such as 'task_categories:text-generation' or 'language:en'. ``limit`` ≤ 100. Returns DatasetHits: id,
    downloads, likes, gated, licence, task categories, size category per hit; ``offline``/``errors`` say why the
    list is empty when the Hub could not be reached (it never raises for that). A query the query block list forbids
    (posttrain.tools.query_guard) is refused before any request: no hits, ``errors[0]`` says why.
    """
    if sort not in SORTS:
        raise ConfigError(f"unknown sort {sort!r}; fix: use one of {', '.join(SORTS)}")
    if not 1 <= limit <= 100:
        raise ConfigError(f"limit must be between 1 and 100, got {limit}; fix: pass --limit 10")
    if refusal := refusal_for(query, surface="hub.search_datasets"):  # before the probe and the request
        return DatasetHits(query=query, errors=[refusal.message()])
    reason = offline_reason()
    if reason:
        return DatasetHits(query=query, offline=True, errors=[reason])
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    try:
        infos = hub_api().list_datasets(search=query or None, filter=filter, sort=sort, limit=limit, full=True)
        return DatasetHits(query=query, datasets=[hit_from_info(info) for info in infos])
    except OfflineModeIsEnabled as exc:
        return DatasetHits(query=query, offline=True, errors=[f"offline: {exc}"])
    except HfHubHTTPError as exc:
        return DatasetHits(query=query, errors=[f"Hub refused the search: {str(exc)[:300]}"])
    except (httpx2.HTTPError, OSError) as exc:  # huggingface_hub 2.x talks through httpx2
        return DatasetHits(query=query, offline=True, errors=[network_error_text(exc)])
