"""Outages are news: a paper API or the Hub that could not be reached shows in the specialist's tool summary (the
source and how often it was tried) and as a warning Notice on the run's event bus, which the console prints.
The loopback server stands in for arXiv, Semantic Scholar, HF Papers and the Hub; offline mode is not news."""

import io

import pytest
from rich.console import Console

from posttrain.agents.data_engineer.tools import make_data_engineer_tools
from posttrain.agents.librarian.tools import make_librarian_tools
from posttrain.orchestrator.console import ConsoleView
from posttrain.run.events import Notice
from tests.conftest import Recorded


S2, ARXIV, HF = "/graph/v1/paper/search", "/api/query", "/api/papers/search"
DEAD = "http://127.0.0.1:9"  # the discard port: connection refused at once


@pytest.fixture
def notices(ctx) -> list[Notice]:
    seen: list[Notice] = []
    ctx.bus.subscribe(lambda item: seen.append(item) if isinstance(item, Notice) else None)
    return seen


@pytest.fixture
def papers_online(tmp_path, monkeypatch, loopback_server):
    """The paper APIs at the loopback server, an empty cache, fast retries bounded at 1 s of waiting."""
    monkeypatch.setenv("POSTTRAIN_CACHE_DIR", str(tmp_path / "http-cache"))
    monkeypatch.setenv("POSTTRAIN_OFFLINE", "0")
    monkeypatch.setenv("POSTTRAIN_ARXIV_DELAY_S", "0")
    monkeypatch.setenv("POSTTRAIN_HTTP_BACKOFF_S", "0.01")
    monkeypatch.setenv("POSTTRAIN_HTTP_MAX_WAIT_S", "1")
    monkeypatch.delenv("POSTTRAIN_PAPERS_BLOCKLIST", raising=False)
    monkeypatch.delenv("POSTTRAIN_PAPERS_BLOCKLIST_FILE", raising=False)
    monkeypatch.setattr("posttrain.tools.papers.fetch._down_until", {})
    monkeypatch.setenv("POSTTRAIN_ARXIV_API_URL", f"{loopback_server.url}{ARXIV}")
    monkeypatch.setenv("POSTTRAIN_S2_API_URL", loopback_server.url)
    monkeypatch.setenv("HF_ENDPOINT", loopback_server.url)
    return loopback_server


def _tries(server, path: str) -> int:
    return sum(1 for r in server.requests if r.path == path)


def _tool(tools, name):
    return next(t for t in tools if t.__name__ == name)


def test_find_techniques_names_each_source_down_and_its_tries(ctx, notices, papers_online, own_fixtures):
    papers_online.route(S2, Recorded(500, b'{"message": "Internal Server Error"}'))
    papers_online.route(ARXIV, Recorded(429, b"rate limited"))
    papers_online.route(HF, Recorded(200, (own_fixtures / "papers" / "hf_papers_search_grpo.json").read_bytes()))
    findings = _tool(make_librarian_tools(ctx), "find_techniques")("GRPO math", limit=3)

    s2_tries, arxiv_tries = _tries(papers_online, S2), _tries(papers_online, ARXIV)
    assert s2_tries > 1 and arxiv_tries > 1  # retried, and bounded (the test would hang otherwise)
    assert f"Semantic Scholar unreachable after {s2_tries} tries (HTTP 500)" in findings.summary
    assert f"arXiv unreachable after {arxiv_tries} tries (HTTP 429)" in findings.summary
    assert "using the other sources and the offline catalogue" in findings.summary
    assert findings.papers and findings.techniques and not findings.search_offline
    assert len(notices) == 1 and notices[0].level == "warning"
    assert f"Semantic Scholar unreachable after {s2_tries} tries" in notices[0].text
    assert notices[0].text.startswith("Librarian: ")

    out = io.StringIO()  # the console prints the notice
    ConsoleView(Console(file=out, width=300, highlight=False))(notices[0])
    assert f"Semantic Scholar unreachable after {s2_tries} tries" in out.getvalue()


def test_every_source_down_falls_back_to_the_catalogue(ctx, notices, papers_online):
    for path in (S2, ARXIV, HF):
        papers_online.route(path, Recorded(503, b"{}"))
    findings = _tool(make_librarian_tools(ctx), "find_techniques")("GRPO math", limit=3)
    assert findings.summary.endswith("; using the offline catalogue.")
    assert "live search found nothing" not in findings.summary
    for label, path in (("arXiv", ARXIV), ("Semantic Scholar", S2), ("HF Papers", HF)):
        assert f"{label} unreachable after {_tries(papers_online, path)} tries (HTTP 503)" in findings.summary
    assert findings.techniques and not findings.papers
    assert ctx.iteration.techniques == [t["paper_id"] for t in findings.techniques]
    assert [n.level for n in notices] == ["warning"] and "using the offline catalogue" in notices[0].text


def test_search_papers_reports_a_hang(ctx, notices, papers_online, monkeypatch):
    monkeypatch.setenv("POSTTRAIN_HTTP_TIMEOUT_S", "0.2")
    papers_online.route(ARXIV, Recorded(200, b"", delay_s=1.0))  # answers too late, every time
    hits = _tool(make_librarian_tools(ctx), "search_papers")("GRPO math", source="arxiv", limit=3)
    tries = _tries(papers_online, ARXIV)
    assert hits.papers == [] and len(hits.errors) == 1
    assert f"arXiv unreachable after {tries} tries (timed out)" in hits.summary
    assert len(notices) == 1 and f"arXiv unreachable after {tries} tries" in notices[0].text


def test_a_refusal_is_not_an_outage_and_offline_mode_is_not_news(ctx, notices, papers_online, monkeypatch):
    papers_online.route(S2, Recorded(400, b'{"error": "bad query"}'))
    hits = _tool(make_librarian_tools(ctx), "search_papers")("GRPO math", source="s2", limit=3)
    assert _tries(papers_online, S2) == 1 and "unreachable" not in hits.summary and "400" in hits.summary
    monkeypatch.setenv("POSTTRAIN_OFFLINE", "1")
    findings = _tool(make_librarian_tools(ctx), "find_techniques")("DPO", limit=3)
    assert "live search is offline and nothing is cached" in findings.summary and findings.search_offline
    assert notices == []


@pytest.fixture
def hub_down(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setenv("POSTTRAIN_OFFLINE", "0")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_ENDPOINT", DEAD)
    monkeypatch.setenv("POSTTRAIN_DATASETS_SERVER_URL", DEAD + "/viewer")


def test_search_datasets_reports_the_hub_down(ctx, notices, hub_down):
    hits = _tool(make_data_engineer_tools(ctx), "search_datasets")("grade school math")
    assert hits.offline and hits.datasets == []
    assert hits.summary.startswith("Hugging Face Hub unreachable (127.0.0.1:9") and "no Hub datasets" in hits.summary
    assert len(notices) == 1 and notices[0].level == "warning"
    assert notices[0].text.startswith("DataEngineer: Hugging Face Hub unreachable")


def test_inspect_dataset_reports_the_hub_and_viewer_down(ctx, notices, hub_down):
    report = _tool(make_data_engineer_tools(ctx), "inspect_dataset")("openai/gsm8k")
    assert report.offline and report.splits == []
    assert report.summary.startswith("openai/gsm8k: nothing could be read; Hugging Face Hub unreachable")
    assert "the dataset viewer unreachable" in report.summary
    assert len(notices) == 1 and "the dataset viewer unreachable" in notices[0].text


def test_hub_server_errors_after_retries_are_an_outage(ctx, notices, monkeypatch, loopback_server):
    import functools

    from huggingface_hub import constants
    from huggingface_hub.utils import _pagination

    monkeypatch.setenv("POSTTRAIN_OFFLINE", "0")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_ENDPOINT", loopback_server.url)
    fast = functools.partial(_pagination.http_backoff, base_wait_time=0.01, max_wait_time=0.01)
    monkeypatch.setattr(_pagination, "http_backoff", fast)  # huggingface_hub's own retries, without its waits
    loopback_server.route("/api/datasets", Recorded(500, b'{"error": "Internal Error"}'))
    hits = _tool(make_data_engineer_tools(ctx), "search_datasets")("gsm8k")
    assert len(loopback_server.requests) > 1  # huggingface_hub retried
    assert hits.summary.startswith("Hugging Face Hub unreachable (HTTP 500); no Hub datasets searched")
    assert len(notices) == 1


def test_hub_offline_mode_is_not_news(ctx, notices):
    tools = make_data_engineer_tools(ctx)  # conftest: POSTTRAIN_OFFLINE=1, HF_HUB_OFFLINE=1
    hits = _tool(tools, "search_datasets")("gsm8k")
    assert hits.summary.startswith("Hub not searched for 'gsm8k': offline mode is on")
    report = _tool(tools, "inspect_dataset")("openai/gsm8k")
    assert report.summary.startswith("openai/gsm8k: nothing could be read; offline mode is on")
    assert notices == []
