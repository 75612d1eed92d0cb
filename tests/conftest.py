"""Shared test setup: hermetic environment, a loopback HTTP server for recorded API responses, a local Ray cluster.

Recorded responses live in ../shared/fixtures (never committed) and tests/fixtures (ours). Tests that need the
shared ones use the `shared_fixtures` fixture, which skips when the folder is absent (a fresh clone without it).
"""

import http.server
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest


# Hermetic defaults, set before any test imports huggingface_hub / trackio / ray.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("POSTTRAIN_OFFLINE", "1")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRACKIO_DIR", str(Path(os.environ.get("PYTEST_TMPDIR", "/tmp")) / f"posttrain-trackio-{os.getpid()}"))
for _key in ("OPENAI_API_KEY", "HF_TOKEN", "S2_API_KEY"):
    os.environ.pop(_key, None)

TESTS_DIR = Path(__file__).parent
OWN_FIXTURES = TESTS_DIR / "fixtures"
SHARED_FIXTURES = TESTS_DIR.parent.parent / "shared" / "fixtures"


@pytest.fixture
def own_fixtures() -> Path:
    return OWN_FIXTURES


@pytest.fixture
def shared_fixtures() -> Path:
    """The recorded real responses in ../shared/fixtures; skips the test when a clone has none beside it."""
    if not SHARED_FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is absent (fresh clone): recorded-response conformance layer skipped")
    return SHARED_FIXTURES


@dataclass
class Recorded:
    """One canned response: status, body bytes, headers; `delay_s` holds it back (a hanging server)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


Route = Recorded | Callable[["Request"], Recorded]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    headers: dict[str, str]


class LoopbackServer:
    """A real HTTP server on 127.0.0.1 that answers from a routing table and records every request.

    ``server.route("/api/query", Recorded(200, body))`` or a callable taking the Request. A route may also be a
    list of responses served in turn (e.g. a 429 then a 200). Unknown paths answer 404.
    """

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Route]] = {}
        self.requests: list[Request] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command, parts.path, dict(parse_qsl(parts.query)), self.rfile.read(length) if length else b"",
                    {k.lower(): v for k, v in self.headers.items()},
                )
                server.requests.append(request)
                answer = server._answer(request)
                if answer.delay_s:
                    time.sleep(answer.delay_s)
                try:
                    self.send_response(answer.status)
                    headers = {"Content-Type": "application/json", **answer.headers}
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):  # the client timed out on a delayed answer
                    pass

            do_GET = do_POST = _serve

            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def route(self, path: str, *responses: Route, method: str = "GET") -> None:
        self.routes[(method, path)] = list(responses)

    def _answer(self, request: Request) -> Recorded:
        queue = self.routes.get((request.method, request.path))
        if not queue:
            return Recorded(404, b'{"error": "no route in test server"}')
        route = queue.pop(0) if len(queue) > 1 else queue[0]
        return route(request) if callable(route) else route


@pytest.fixture
def loopback_server() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture(scope="session")
def ray_cluster():
    """One local Ray cluster for the whole session (start-up costs ~4 s)."""
    import ray

    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory) -> Path:
    """A tiny random-init Qwen3 model and character tokenizer, built once per session."""
    from posttrain.tools.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")
