"""Is the network there? One quick probe per endpoint per process, offline mode switched on when it is not, and
the telemetry defaults for every process posttrain starts.

    disable_telemetry()              # HF_HUB_DISABLE_TELEMETRY=1, RAY_USAGE_STATS_ENABLED=0, ... unless set
    reason = go_offline_if_unreachable()   # None, or "the Hugging Face Hub is unreachable (offline): ..."
    unreachable("https://export.arxiv.org/api/query")   # None, or "export.arxiv.org:443 (gaierror: ...)"

huggingface_hub retries a dead endpoint with backoff for ~23 s and datasets for longer; a TCP connect answers in
milliseconds (at most ``POSTTRAIN_PROBE_TIMEOUT_S``, default 1 s, on a network that drops packets). When a proxy
is configured for the URL's scheme, the proxy is probed instead of the host.
"""

import os
import socket
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit


HUB_URL = "https://huggingface.co"
ARXIV_URL = "https://export.arxiv.org/api/query"  # the defaults of tools/papers/{arxiv,s2}_source.py
S2_URL = "https://api.semanticscholar.org"
TELEMETRY_DEFAULTS = {
    "HF_HUB_DISABLE_TELEMETRY": "1",  # huggingface_hub.send_telemetry: TRL's trainers, gradio_client
    "RAY_USAGE_STATS_ENABLED": "0",  # Ray's usage stats reporter
    "GRADIO_ANALYTICS_ENABLED": "False",  # gradio / gradio_client analytics (Trackio's dashboard stack)
}
_CACHE_S = 30.0
_probes: dict[tuple[str, int], tuple[float, str | None]] = {}
_lock = threading.Lock()
_switched: dict[str, str] = {}  # the outage that made go_offline_if_unreachable switch this process to offline mode


def _true(value: str | None) -> bool:
    return (value or "").strip().upper() in {"1", "TRUE", "YES", "ON"}


def disable_telemetry(env: dict | None = None) -> dict:
    """Set the telemetry switches to off in ``env`` (default ``os.environ``) where the user has not set them.

    Also applies to huggingface_hub if it is already imported (it reads the variable only at import)."""
    target = os.environ if env is None else env
    for key, value in TELEMETRY_DEFAULTS.items():
        target.setdefault(key, value)
    constants = sys.modules.get("huggingface_hub.constants")
    if env is None and constants is not None and _true(os.environ.get("HF_HUB_DISABLE_TELEMETRY")):
        constants.HF_HUB_DISABLE_TELEMETRY = True
    return target


def hub_endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or HUB_URL).rstrip("/")


def paper_endpoints() -> dict[str, str]:
    """The paper APIs posttrain calls, by label (same environment variables as tools/papers)."""
    return {"arXiv": os.environ.get("POSTTRAIN_ARXIV_API_URL", ARXIV_URL),
            "Semantic Scholar": os.environ.get("POSTTRAIN_S2_API_URL", S2_URL),
            "HF Papers": hub_endpoint()}


def _target(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
        parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def unreachable(url: str, timeout_s: float | None = None) -> str | None:
    """None when ``url``'s host (or its proxy) accepts a TCP connection, else ``"host:port (Error: why)"``.

    The answer is kept for 30 s, so a command asks once however many tools look."""
    host, port = _target(url)
    now = time.monotonic()
    with _lock:
        cached = _probes.get((host, port))
    if cached and now - cached[0] < _CACHE_S:
        return cached[1]
    timeout = timeout_s if timeout_s is not None else float(os.environ.get("POSTTRAIN_PROBE_TIMEOUT_S") or 1.0)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        reason = None
    except OSError as exc:
        reason = f"{host}:{port} ({type(exc).__name__}: {exc})"
    with _lock:
        _probes[(host, port)] = (now, reason)
    return reason


def unreachable_many(urls: dict[str, str]) -> dict[str, str | None]:
    """Probe several endpoints at once: label → reason (None when reachable)."""
    with ThreadPoolExecutor(max_workers=max(1, len(urls))) as pool:
        answers = {label: pool.submit(unreachable, url) for label, url in urls.items()}
    return {label: future.result() for label, future in answers.items()}


def hub_offline_reason() -> str | None:
    """Why the Hub will not be asked now (offline mode set, or the endpoint unreachable), or None."""
    if _true(os.environ.get("POSTTRAIN_OFFLINE")):
        return "offline mode is on (POSTTRAIN_OFFLINE=1), so the Hugging Face Hub is not asked"
    constants = sys.modules.get("huggingface_hub.constants")  # once imported, it decides (it read the env then)
    if constants.HF_HUB_OFFLINE if constants is not None else _true(os.environ.get("HF_HUB_OFFLINE")):
        if _switched.get("hub"):  # we switched it on: the outage is the reason, not a setting
            return _switched["hub"]
        return "offline mode is on (HF_HUB_OFFLINE=1), so the Hugging Face Hub is not asked"
    why = unreachable(hub_endpoint())
    return f"the Hugging Face Hub is unreachable (offline): {why}" if why else None


def go_offline_if_unreachable() -> str | None:
    """Probe the Hub once; when it cannot be used, put this process (and the workers it starts) in offline mode,
    so huggingface_hub, transformers and datasets use their caches at once instead of retrying. Returns the
    reason, or None when the Hub is reachable."""
    reason = hub_offline_reason()
    if reason is None:
        return None
    if not reason.startswith("offline mode"):
        _switched["hub"] = reason
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    if (constants := sys.modules.get("huggingface_hub.constants")) is not None:
        constants.HF_HUB_OFFLINE = True
    if (config := sys.modules.get("datasets.config")) is not None:
        config.HF_HUB_OFFLINE = config.HF_DATASETS_OFFLINE = True
    return reason


def http_check(url: str, timeout_s: float = 2.0) -> tuple[bool, str]:
    """(reachable, detail) from one HEAD request: any HTTP answer counts as reachable (doctor's check)."""
    import urllib.error

    started = time.monotonic()
    request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": "posttrain-doctor"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as answer:  # noqa: S310 - http(s) URLs from config
            status = answer.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        why = getattr(exc, "reason", exc)
        return False, f"{urlsplit(url).netloc}: {type(why).__name__}: {why}"
    return True, f"HTTP {status} in {(time.monotonic() - started) * 1000:.0f} ms"
