"""Papers-tools test setup: a private HTTP cache, network allowed (to the loopback server only), no delays."""

import pytest


@pytest.fixture(autouse=True)
def papers_env(tmp_path, monkeypatch):
    """Each test gets an empty cache; the conftest's POSTTRAIN_OFFLINE=1 is lifted because requests go to 127.0.0.1."""
    monkeypatch.setenv("POSTTRAIN_CACHE_DIR", str(tmp_path / "http-cache"))
    monkeypatch.setenv("POSTTRAIN_OFFLINE", "0")
    monkeypatch.setenv("POSTTRAIN_ARXIV_DELAY_S", "0")
    monkeypatch.setenv("POSTTRAIN_HTTP_BACKOFF_S", "0.01")
    monkeypatch.setenv("POSTTRAIN_HTTP_MAX_WAIT_S", "5")
    monkeypatch.delenv("POSTTRAIN_PAPERS_BLOCKLIST", raising=False)
    monkeypatch.delenv("POSTTRAIN_PAPERS_BLOCKLIST_FILE", raising=False)
    monkeypatch.setattr("posttrain.tools.papers.fetch._down_until", {})  # hosts marked down by an earlier test
    return tmp_path


@pytest.fixture
def papers_server(loopback_server, monkeypatch):
    """The loopback server standing in for arXiv, Semantic Scholar, HF and arXiv HTML."""
    monkeypatch.setenv("POSTTRAIN_ARXIV_API_URL", f"{loopback_server.url}/api/query")
    monkeypatch.setenv("POSTTRAIN_S2_API_URL", loopback_server.url)
    monkeypatch.setenv("POSTTRAIN_ARXIV_HTML_URL", f"{loopback_server.url}/html")
    monkeypatch.setenv("HF_ENDPOINT", loopback_server.url)
    return loopback_server
