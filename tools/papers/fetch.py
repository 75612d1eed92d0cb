"""HTTP for the paper sources: on-disk cache, offline mode, retries with a bounded wait, timeouts, blocklist.

Every request of the papers tools goes through ``fetch``. A 200 answer is stored under ``POSTTRAIN_CACHE_DIR``
(default ``~/.cache/posttrain/http``); an identical request later replays it without touching the network. With
``POSTTRAIN_OFFLINE=1`` nothing is sent: a cache miss raises ``OfflineError``. 429 (honouring Retry-After), 5xx,
timeouts and connection errors are retried with exponential backoff until ``POSTTRAIN_HTTP_MAX_WAIT_S`` (default
30 s) of waiting is spent. Other statuses raise ``HttpStatusError`` carrying the body, so each source can explain it.
Before all that, a URL that looks PostTrainBench up is refused (``posttrain.tools.query_guard``, when switched on):
nothing is sent and the cache is not read, so a refused lookup returns nothing.

>>> response = fetch("https://export.arxiv.org/api/query?id_list=2402.03300", source="arXiv")
>>> response.status, response.from_cache
(200, False)
"""

import email.utils
import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from posttrain.tools.errors import NetworkError, ToolError
from posttrain.tools.query_guard import guard

from .blocklist import Blocklist


RETRY_STATUSES = {429, 500, 502, 503, 504}
_last_request_at: dict[str, float] = {}
_rate_lock = threading.Lock()
_client = None
_client_lock = threading.Lock()
_down_until: dict[str, float] = {}  # host -> monotonic time until which it is treated as unreachable


class HttpStatusError(NetworkError):
    """The server answered with a status that retrying will not fix (4xx other than 429)."""

    def __init__(self, message: str, status: int, body: bytes, url: str):
        super().__init__(message)
        self.status, self.body, self.url = status, body, url


class OfflineError(NetworkError):
    """POSTTRAIN_OFFLINE=1 and the answer is not in the cache."""


class BlockedError(ToolError):
    """The user's blocklist forbids this domain or paper."""


@dataclass
class HttpResponse:
    status: int
    body: bytes
    url: str
    from_cache: bool = False


@dataclass
class FetchLog:
    """Counts how a group of requests was answered, so callers can report ``from_cache``."""

    cache_hits: int = 0
    network: int = 0
    urls: list[str] = field(default_factory=list)

    @property
    def all_cached(self) -> bool:
        return self.cache_hits > 0 and self.network == 0


def is_offline() -> bool:
    return os.environ.get("POSTTRAIN_OFFLINE", "").strip().lower() in {"1", "true", "yes"}


def cache_dir() -> Path:
    return Path(os.environ.get("POSTTRAIN_CACHE_DIR") or Path.home() / ".cache" / "posttrain" / "http")


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def _cache_path(method: str, url: str, body: bytes | None) -> Path:
    # Headers are left out of the key on purpose: an API key must not change (or leak into) the cache.
    key = hashlib.sha256(b"\n".join([method.encode(), url.encode(), body or b""])).hexdigest()
    return cache_dir() / key[:2] / f"{key}.json"


def _read_cache(path: Path) -> bytes | None:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    ttl = _env_float("POSTTRAIN_CACHE_TTL_S", 0.0)
    if ttl > 0 and not is_offline() and time.time() - record.get("stored_at", 0) > ttl:
        return None
    return record["body"].encode("latin-1")


def _write_cache(path: Path, url: str, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps({"url": url, "stored_at": time.time(), "body": body.decode("latin-1")}))
    tmp.replace(path)  # atomic, so a concurrent reader never sees half a file


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.replace(".", "", 1).isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _respect_interval(url: str, min_interval_s: float) -> None:
    """Space requests to one host (arXiv asks for one every 3 s)."""
    if min_interval_s <= 0:
        return
    host = urlsplit(url).netloc
    with _rate_lock:
        wait = _last_request_at.get(host, 0.0) + min_interval_s - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        _last_request_at[host] = time.monotonic()


def fetch(
    url: str,
    *,
    method: str = "GET",
    json_body: dict | list | None = None,
    headers: dict[str, str] | None = None,
    source: str = "HTTP",
    min_interval_s: float = 0.0,
    log: FetchLog | None = None,
) -> HttpResponse:
    """One HTTP request through the query block list, cache, offline switch, blocklist and retries; raises
    NetworkError subclasses, or QueryRefused (recorded, nothing sent) for a lookup of PostTrainBench."""
    guard(url, surface=f"papers.fetch ({source})")
    if Blocklist.from_env().blocks_url(url):
        raise BlockedError(f"{source}: {urlsplit(url).hostname} is on the user's blocklist; not requested")
    body = json.dumps(json_body, sort_keys=True).encode() if json_body is not None else None
    path = _cache_path(method, url, body)
    cached = _read_cache(path)
    if cached is not None:
        if log is not None:
            log.cache_hits += 1
            log.urls.append(url)
        return HttpResponse(200, cached, url, from_cache=True)
    if is_offline():
        raise OfflineError(f"{source}: offline (POSTTRAIN_OFFLINE=1) and no cached answer for {url}")
    host = urlsplit(url).netloc
    if _down_until.get(host, 0.0) > time.monotonic():
        raise NetworkError(
            f"{source}: {host} could not be reached moments ago; not retried for now; fix: check the network, or "
            "set POSTTRAIN_OFFLINE=1 to work from the cache"
        )
    response = _send_with_retries(method, url, body, headers or {}, source, min_interval_s)
    if log is not None:
        log.network += 1
        log.urls.append(url)
    _write_cache(path, url, response.body)
    return response


def _http_client():
    """One shared httpx client (thread-safe): connections and the TLS context are reused across requests."""
    global _client
    import httpx

    with _client_lock:
        if _client is None:
            _client = httpx.Client(follow_redirects=True)
        return _client


def _attempt(method: str, url: str, body: bytes | None, headers: dict[str, str]):
    """One request: (response or None, status or None, short problem text, connection failed?)."""
    import httpx

    timeout = httpx.Timeout(_env_float("POSTTRAIN_HTTP_TIMEOUT_S", 10.0), connect=5.0)
    try:
        answer = _http_client().request(method, url, content=body, headers=headers, timeout=timeout)
    except httpx.TimeoutException:
        return None, None, "timed out", False
    except httpx.TransportError as exc:
        return None, None, f"connection failed ({exc.__class__.__name__})", True
    return answer, answer.status_code, f"HTTP {answer.status_code}", False


def _send_with_retries(
    method: str, url: str, body: bytes | None, headers: dict[str, str], source: str, min_interval_s: float
) -> HttpResponse:
    max_wait = _env_float("POSTTRAIN_HTTP_MAX_WAIT_S", 30.0)
    backoff = _env_float("POSTTRAIN_HTTP_BACKOFF_S", 1.0)
    host = urlsplit(url).netloc
    send_headers = {"User-Agent": "posttrain-librarian/0.1", **headers}
    if body is not None:
        send_headers["Content-Type"] = "application/json"
    started, attempt = time.monotonic(), 0
    while True:
        attempt += 1
        _respect_interval(url, min_interval_s)
        answer, status, problem, unreachable = _attempt(method, url, body, send_headers)
        if status is not None and 200 <= status < 300:
            return HttpResponse(status, answer.content, url)
        if status is not None and status not in RETRY_STATUSES:
            raise HttpStatusError(f"{source}: HTTP {status} for {url}", status, answer.content, url)
        delay = retry_after_seconds(answer.headers.get("Retry-After")) if answer is not None else None
        delay = backoff * 2 ** (attempt - 1) if delay is None else delay
        spent = time.monotonic() - started
        # A host that refuses connections twice is down (or there is no network): give up and remember it, so
        # the next requests fail at once instead of each waiting out the retry budget.
        if (unreachable and attempt >= 2) or spent + delay > max_wait:
            if unreachable:
                _down_until[host] = time.monotonic() + _env_float("POSTTRAIN_HTTP_DOWN_S", 120.0)
            hint = "wait a minute (for Semantic Scholar, set S2_API_KEY)" if status == 429 else (
                "check the network, or set POSTTRAIN_OFFLINE=1 to work from the cache")
            raise NetworkError(
                f"{source}: {problem} after {attempt} tries ({spent:.0f}s, limit POSTTRAIN_HTTP_MAX_WAIT_S="
                f"{max_wait:.0f}); fix: {hint}"
            )
        time.sleep(delay)
