"""HF Papers parsing, and search_papers across the three sources: merge, dedupe, errors, cache, offline, blocklist."""

import json

import pytest

from posttrain.tools.errors import ToolError
from posttrain.tools.papers import daily_papers, linked_artifacts, search_papers
from posttrain.tools.papers.hf_source import get_hf_paper, search_hf
from tests.conftest import Recorded


def test_hf_search_parses_recorded_answer(papers_server, shared_fixtures):
    body = (shared_fixtures / "hf_papers" / "papers_search_q_kazakh.json").read_bytes()
    papers_server.route("/api/papers/search", Recorded(200, body))
    papers = search_hf("kazakh", limit=20)
    items = json.loads(body)
    assert [p.id for p in papers] == [f"arxiv:{i['paper']['id']}" for i in items]
    first = papers[0]
    assert first.title == "KazQAD: Kazakh Open-Domain Question Answering Dataset" and first.year == 2024
    assert first.authors == [a["name"] for a in items[0]["paper"]["authors"]]
    assert first.abstract == " ".join(items[0]["paper"]["summary"].split())
    assert papers_server.requests[0].query == {"q": "kazakh"}


def test_daily_papers_and_paper_lookup(papers_server, shared_fixtures):
    body = (shared_fixtures / "hf_papers" / "daily_papers_date_2026-05-08_trimmed.json").read_bytes()
    papers_server.route("/api/daily_papers", Recorded(200, body))
    papers = daily_papers("2026-05-08")
    assert len(papers) == 9 and papers[0].id == "arxiv:2605.05242" and papers[0].year == 2026
    assert "arxiv:2605.04077" in {p.id for p in papers}
    assert papers_server.requests[0].query == {"date": "2026-05-08"}
    single = json.dumps(json.loads(body)[0]["paper"]).encode()  # /api/papers/{id} has the inner paper's shape
    papers_server.route("/api/papers/2605.05242", Recorded(200, single))
    assert get_hf_paper("arxiv:2605.05242").title == papers[0].title
    with pytest.raises(ToolError, match="Hugging Face has no paper 2605.99999"):
        get_hf_paper("2605.99999")


def test_linked_models_and_datasets(papers_server, own_fixtures):
    folder = own_fixtures / "papers"
    papers_server.route("/api/models", Recorded(200, (folder / "hf_models_arxiv_2402.03300.json").read_bytes()))
    papers_server.route("/api/datasets", Recorded(200, (folder / "hf_datasets_arxiv_2402.03300.json").read_bytes()))
    linked = linked_artifacts("2402.03300")
    assert linked.models == ["deepseek-ai/deepseek-math-7b-rl", "deepseek-ai/deepseek-math-7b-instruct"]
    assert linked.datasets == ["openai/gsm8k"]
    assert papers_server.requests[0].query["filter"] == "arxiv:2402.03300"


@pytest.fixture
def three_sources(papers_server, own_fixtures):
    folder = own_fixtures / "papers"
    world = json.loads((folder / "s2_graph_world.json").read_text())
    journal_paper = world["A_references.json"]["data"][2]["citedPaper"]
    s2_search = {"total": 2, "offset": 0, "data": [world["paper_A.json"], journal_paper]}
    papers_server.route("/api/query", Recorded(200, (folder / "arxiv_search_grpo.atom.xml").read_bytes()))
    papers_server.route("/graph/v1/paper/search", Recorded(200, json.dumps(s2_search).encode()))
    papers_server.route("/api/papers/search", Recorded(200, (folder / "hf_papers_search_grpo.json").read_bytes()))
    return papers_server


def test_all_sources_are_merged_and_deduplicated(three_sources):
    hits = search_papers("GRPO math", limit=10)
    assert hits.errors == [] and not hits.offline and not hits.from_cache
    ids = [p.id for p in hits.papers]
    # round-robin over arXiv, S2, HF; DeepSeekMath appears in all three and is merged into one record
    assert ids == ["arxiv:2402.03300", "arxiv:2503.14476", "doi:10.1000/xyz123", "arxiv:2503.20783"]
    merged = hits.papers[0]
    assert merged.source == "arxiv+s2+hf" and merged.citation_count == 900 and merged.s2_id == "a" * 40
    assert len(three_sources.requests) == 3


def test_second_identical_search_makes_no_request(three_sources):
    search_papers("GRPO math", limit=10)
    again = search_papers("GRPO math", limit=10)
    assert again.from_cache and len(again.papers) == 4
    assert len(three_sources.requests) == 3


def test_offline_search_uses_only_the_cache(three_sources, monkeypatch):
    search_papers("GRPO math", source="arxiv", limit=10)
    monkeypatch.setenv("POSTTRAIN_OFFLINE", "1")
    cached = search_papers("GRPO math", source="arxiv", limit=10)
    assert cached.offline and cached.from_cache and len(cached.papers) == 2 and cached.errors == []
    missing = search_papers("DPO", limit=5)
    assert missing.offline and missing.papers == []
    assert missing.errors == [
        "offline (POSTTRAIN_OFFLINE=1): no cached arXiv, Semantic Scholar, HF Papers results for 'DPO'; fix: unset "
        "POSTTRAIN_OFFLINE, or use technique_catalogue for built-in papers"
    ]
    assert len(three_sources.requests) == 1


def test_one_failing_source_is_reported_not_raised(three_sources, shared_fixtures, monkeypatch):
    monkeypatch.setenv("POSTTRAIN_HTTP_MAX_WAIT_S", "0.1")
    three_sources.route(
        "/graph/v1/paper/search",
        Recorded(403, (shared_fixtures / "semanticscholar" / "error_403_forbidden.json").read_bytes()),
    )
    three_sources.route("/api/papers/search", Recorded(500, b"{}"))
    hits = search_papers("GRPO math", limit=10)
    assert [p.id for p in hits.papers] == ["arxiv:2402.03300", "arxiv:2503.14476"]
    assert len(hits.errors) == 2
    assert hits.errors[0].startswith("Semantic Scholar refused access (403 Forbidden); fix:")
    assert hits.errors[1].startswith("HF Papers: HTTP 500 after")


def test_blocklisted_papers_are_left_out(three_sources, monkeypatch):
    monkeypatch.setenv("POSTTRAIN_PAPERS_BLOCKLIST", "arxiv:2503.14476,10.1000/xyz123")
    hits = search_papers("GRPO math", limit=10)
    assert [p.id for p in hits.papers] == ["arxiv:2402.03300", "arxiv:2503.20783"]
