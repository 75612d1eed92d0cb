"""The query-time block list (posttrain.tools.query_guard): a lookup of PostTrainBench is refused before any request
in every search path, on a real loopback server that counts what reached it, and the refusal is recorded."""

import json

import pytest

from posttrain.tools import query_guard
from posttrain.tools.papers import search_papers
from posttrain.tools.papers.fetch import fetch
from posttrain.tools.query_guard import QueryRefused, match, read_refusals
from tests.conftest import Recorded
from tests.fixtures.hub.online import online  # noqa: F401 - fixture


BLOCKED = "PostTrainBench leaderboard GSM8K agent traces"


@pytest.fixture
def guard_on(monkeypatch, tmp_path):
    log = tmp_path / "run" / query_guard.LOG_NAME
    monkeypatch.setenv(query_guard.ENV, "ptb")
    monkeypatch.setenv(query_guard.LOG_ENV, str(log))
    return log.parent


@pytest.mark.parametrize(("query", "names"), [
    ("PostTrainBench leaderboard", "names PostTrainBench"), ("post-train  BENCH results", "names PostTrainBench"),
    ("Post Training Bench qwen3 gsm8k", "names PostTrainBench"), ("github.com/aisa-group/x", "names PostTrainBench"),
    ("https://posttrainbench.com/traces", "names PostTrainBench"),
    ("PTB leaderboard scores", "asks for PostTrainBench's leaderboard, results or traces"),
    ("gsm8k test set answers", "asks for a benchmark's test-set answers"),
    ("humaneval answer key", "asks for a benchmark's test-set answers"),
    ("AIME 2025 solutions", "asks for solutions to AIME 2025 (the task's test set)")])
def test_the_rules_name_what_they_block(query, names):
    assert match(query)[0] == names


@pytest.mark.parametrize("query", ["GRPO math reasoning", "grade school math", "post-training data for math",
                                   "test-time scaling", "AIME 2024 solutions", "gsm8k", "openai/gsm8k"])
def test_legitimate_research_queries_pass(query):
    assert match(query) is None


def test_blocked_paper_search_sends_nothing_and_is_recorded(papers_server, guard_on):
    hits = search_papers(BLOCKED, source="all", limit=5)
    assert papers_server.requests == []  # not one request left for arXiv, Semantic Scholar or HF Papers
    assert hits.papers == [] and not hits.offline
    assert hits.errors[0].startswith("query refused:") and "names PostTrainBench" in hits.errors[0]
    assert "which the task forbids looking up" in hits.errors[0]
    [refusal] = read_refusals(guard_on)
    assert refusal["query"] == BLOCKED and refusal["surface"] == "papers.search (all)"
    search_papers("GRPO math reasoning", source="arxiv", limit=5)  # the same path does reach the server
    assert len(papers_server.requests) >= 1


def test_without_the_switch_the_same_query_is_sent(papers_server, monkeypatch):
    monkeypatch.delenv(query_guard.ENV, raising=False)
    search_papers(BLOCKED, source="arxiv", limit=5)
    assert papers_server.requests, "the guard is off by default outside ptb"


def test_fetch_refuses_a_blocked_url_before_cache_and_network(papers_server, guard_on):
    papers_server.route("/posttrainbench/leaderboard", Recorded(200, b"{}"))
    with pytest.raises(QueryRefused, match="query refused"):
        fetch(f"{papers_server.url}/posttrainbench/leaderboard", source="HTTP")
    with pytest.raises(QueryRefused):  # URL-encoded in a query string: decoded before matching
        fetch(f"{papers_server.url}/api/query?search_query=all%3APost%2BTrain%2BBench", source="arXiv")
    assert papers_server.requests == []
    assert [r["surface"] for r in read_refusals(guard_on)] == ["papers.fetch (HTTP)", "papers.fetch (arXiv)"]


def test_hub_search_and_inspection_refuse_before_any_request(online, guard_on, monkeypatch):  # noqa: F811
    from posttrain.tools.hub import inspect_dataset, search_datasets

    online.route("/api/datasets", Recorded(200, b"[]"))
    hits = search_datasets("posttrainbench traces")
    report = inspect_dataset("aisa-group/PostTrainBench-results")
    assert online.requests == []
    assert hits.errors[0].startswith("query refused:") and not hits.offline
    assert report.errors["hub"].startswith("query refused:")
    assert search_datasets("grade school math").errors == [] and len(online.requests) == 1
    assert [r["surface"] for r in read_refusals(guard_on)] == ["hub.search_datasets", "hub.inspect_dataset"]


def test_data_discovery_never_inspects_a_blocked_hit(online, guard_on):  # noqa: F811
    from posttrain.tools.data.discover import _hub_candidates
    from posttrain.tools.evaluation import get_benchmark

    listing = [{"id": "someone/posttrainbench-gsm8k-traces", "tags": [], "downloads": 5}]
    online.route("/api/datasets", Recorded(200, json.dumps(listing).encode()))
    found = _hub_candidates(get_benchmark("gsm8k"), "sft", limit=3)
    assert [r.path for r in online.requests] == ["/api/datasets"]  # the search only: no inspection of the hit
    assert found == [] and read_refusals(guard_on)[0]["surface"] == "data.discover"


def test_refusals_land_in_the_current_runs_folder_and_nowhere_after_it(monkeypatch, tmp_path):
    """The run layer tells the guard its folder (set_current_run); the guard never imports the run."""
    from posttrain.run.config import RunConfig
    from posttrain.run.context import RunContext, set_current_run
    from posttrain.run.events import EventBus
    from posttrain.run.ledger import Ledger
    from posttrain.run.workspace import RunWorkspace

    monkeypatch.setenv(query_guard.ENV, "ptb")
    monkeypatch.delenv(query_guard.LOG_ENV, raising=False)
    run = tmp_path / "run"
    ctx = RunContext(config=RunConfig(goal="g", benchmark="arithmetic", run_dir=str(run)),
                     workspace=RunWorkspace.create(run), ledger=Ledger(), bus=EventBus(), base_model_path="m")
    set_current_run(ctx)
    try:
        with pytest.raises(QueryRefused):
            query_guard.guard(BLOCKED, surface="papers")
    finally:
        set_current_run(None)
    assert [r["query"] for r in read_refusals(run)] == [BLOCKED]
    assert query_guard.log_path() is None  # the run ended: a CLI search outside a run records nothing
