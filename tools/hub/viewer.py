"""A small client for the Hugging Face dataset viewer API (datasets-server): one GET per endpoint, never raising.

Base URL from POSTTRAIN_DATASETS_SERVER_URL (default https://datasets-server.huggingface.co); HF_TOKEN is sent as a
bearer token so gated and private datasets answer. Each call returns ``ViewerAnswer(data, error)``: exactly one is
set, and the error is a one-line reason an agent can act on (not ready yet, gated, the dataset's own error...).

>>> answer = viewer_get("splits", dataset="openai/gsm8k")
>>> answer.data["splits"] if answer.data else answer.error
"""

import json
import os
from dataclasses import dataclass
from typing import Any


DEFAULT_URL = "https://datasets-server.huggingface.co"
TIMEOUT_S = 20.0


@dataclass
class ViewerAnswer:
    """The JSON body of a successful answer, or the reason it failed."""

    data: dict[str, Any] | None = None
    error: str | None = None


def viewer_url() -> str:
    return os.environ.get("POSTTRAIN_DATASETS_SERVER_URL", DEFAULT_URL).rstrip("/")


def _reason(endpoint: str, status: int, body: dict[str, Any], error_code: str | None, dataset: str) -> str:
    message = str(body.get("error", "")).strip() or f"HTTP {status}"
    if error_code == "ResponseNotReady" or "not ready" in message.lower():
        return f"/{endpoint}: not ready yet (HTTP {status} {error_code or ''}): {message} Retry in a few minutes."
    if status in (401, 403, 404) and ("authentication" in message or "gated" in message or status != 404):
        hint = "set HF_TOKEN" if not os.environ.get("HF_TOKEN") else "accept its conditions on the Hub with this token"
        return (
            f"/{endpoint}: HTTP {status}: {message} If {dataset} is gated or private, {hint} "
            f"(https://huggingface.co/datasets/{dataset})."
        )
    cause = (
        f" Cause: {body['cause_exception']}: {body.get('cause_message', '')}." if body.get("cause_exception") else ""
    )
    return f"/{endpoint}: HTTP {status} {error_code or ''}: {message}{cause}".replace("  ", " ")


def viewer_get(endpoint: str, **params: str) -> ViewerAnswer:
    """GET /<endpoint>?<params> on the dataset viewer; network failures and HTTP errors become ``error``."""
    import httpx

    if os.environ.get("POSTTRAIN_OFFLINE") == "1":
        return ViewerAnswer(error=f"/{endpoint}: skipped, POSTTRAIN_OFFLINE=1 (unset it to reach {viewer_url()})")
    headers = {"Authorization": f"Bearer {os.environ['HF_TOKEN']}"} if os.environ.get("HF_TOKEN") else {}
    try:
        response = httpx.get(f"{viewer_url()}/{endpoint}", params=params, headers=headers, timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        return ViewerAnswer(
            error=f"/{endpoint}: {viewer_url()} unreachable ({type(exc).__name__}: {exc}); check the network"
        )
    try:
        body = response.json()
    except json.JSONDecodeError:
        body = {"error": response.text[:200]}
    if response.status_code != 200:
        return ViewerAnswer(
            error=_reason(
                endpoint, response.status_code, body, response.headers.get("X-Error-Code"), params.get("dataset", "")
            )
        )
    return ViewerAnswer(data=body)
