"""Semantic Scholar through the semanticscholar package, served from recorded and own bodies on loopback."""

import json

import pytest

from posttrain.tools.errors import ToolError
from posttrain.tools.papers.s2_source import get_links, get_s2_paper, recommend_s2, search_s2
from tests.conftest import Recorded


def recorded(shared_fixtures, name: str, status: int = 200) -> Recorded:
    return Recorded(status, (shared_fixtures / "semanticscholar" / name).read_bytes())


def test_search_parses_recorded_page_and_sends_our_fields(papers_server, shared_fixtures):
    papers_server.route("/graph/v1/paper/search", recorded(shared_fixtures, "paper_search_turing_page1.json"))
    body = json.loads((shared_fixtures / "semanticscholar" / "paper_search_turing_page1.json").read_text())
    papers = search_s2("turing test", limit=20)
    assert [p.title for p in papers] == [d["title"] for d in body["data"][:20]]
    assert [p.id for p in papers] == [f"s2:{d['paperId']}" for d in body["data"][:20]]
    (request,) = papers_server.requests
    assert request.query["query"] == "turing test" and request.query["limit"] == "20"
    assert "externalIds" in request.query["fields"]


def test_search_with_no_results(papers_server, shared_fixtures):
    papers_server.route("/graph/v1/paper/search", recorded(shared_fixtures, "paper_search_no_results.json"))
    assert search_s2("n0 r3sult s3arch t3rm") == []


def test_details_of_an_arxiv_paper_get_the_arxiv_id(papers_server, shared_fixtures):
    papers_server.route(
        "/graph/v1/paper/arXiv:2312.07559", recorded(shared_fixtures, "paper_details_by_arxiv_doi_many_fields.json")
    )
    paper = get_s2_paper("2312.07559")
    assert paper.id == "arxiv:2312.07559" and paper.doi == "10.48550/arxiv.2312.07559"
    assert paper.title == "PaperQA: Retrieval-Augmented Generative Agent for Scientific Research"
    assert paper.year == 2023 and paper.citation_count == 111 and paper.influential_citation_count == 2
    assert paper.authors[:2] == ["Jakub L'ala", "Odhran O'Donoghue"]


def test_references_and_citations_pages(papers_server, shared_fixtures):
    base = "/graph/v1/paper/DOI:10.2139/ssrn.2250500"
    papers_server.route(f"{base}/references", recorded(shared_fixtures, "paper_references_page2_last.json"))
    papers_server.route(f"{base}/citations", recorded(shared_fixtures, "paper_citations_page1.json"))
    refs_body = json.loads((shared_fixtures / "semanticscholar" / "paper_references_page2_last.json").read_text())
    refs = get_links("10.2139/ssrn.2250500", "references", limit=50)
    resolved = [d["citedPaper"] for d in refs_body["data"] if d["citedPaper"]["paperId"]]
    assert [link.paper.title for link in refs] == [d["title"] for d in resolved]  # id-less references are skipped
    cites = get_links("10.2139/ssrn.2250500", "citations", limit=30)
    assert len(cites) == 30 and cites[0].paper.id == "s2:344e7fb2000d9063cbc9deb550e46946bafe3c90"


def test_link_intents_contexts_and_influence(papers_server, shared_fixtures):
    item = json.loads((shared_fixtures / "semanticscholar" / "citation_item_with_contexts_intents.json").read_text())
    body = json.dumps({"data": [item]}).encode()
    papers_server.route("/graph/v1/paper/arXiv:2402.03300/citations", Recorded(200, body))
    (link,) = get_links("arxiv:2402.03300", "citations")
    assert link.is_influential is True and link.intents == ["result", "background", "methodology"]
    assert link.contexts[0].startswith("RP is implemented by fixing the release position")
    assert link.paper.doi == "10.1109/lra.2022.3229266" and link.paper.id == "doi:10.1109/lra.2022.3229266"


def test_recommendations(papers_server, shared_fixtures):
    papers_server.route(
        "/recommendations/v1/papers/forpaper/DOI:10.2139/ssrn.2250500",
        recorded(shared_fixtures, "recommendations_forpaper.json"),
    )
    papers = recommend_s2("10.2139/ssrn.2250500", limit=5)
    assert papers[0].title.startswith("Report shows slight improvement on grantmaker diversity")
    assert len(papers) == 5


@pytest.mark.parametrize(
    ("name", "status", "message"),
    [
        ("error_404_paper_not_found.json", 404, r"no paper '0000.00001' \(Paper with id 0 not found\); fix: use an"),
        ("error_404_paper_doi_not_found.json", 404, r"Paper with id DOI:10.1101/2024.04.01.587366 not found"),
        ("error_400_unrecognized_fields.json", 400, r"rejected .* \(400: Unrecognized or unsupported fields: "),
        ("error_403_forbidden.json", 403, r"refused access \(403 Forbidden\); fix: check that S2_API_KEY"),
    ],
)
def test_error_bodies_become_clear_messages(papers_server, shared_fixtures, name, status, message):
    papers_server.route("/graph/v1/paper/arXiv:0000.00001", recorded(shared_fixtures, name, status))
    with pytest.raises(ToolError, match=message):
        get_s2_paper("0000.00001")
    assert len(papers_server.requests) == 1  # 4xx are not retried


def test_own_world_details_and_api_key_header(papers_server, own_fixtures, monkeypatch):
    world = json.loads((own_fixtures / "papers" / "s2_graph_world.json").read_text())
    papers_server.route("/graph/v1/paper/arXiv:2402.03300", Recorded(200, json.dumps(world["paper_A.json"]).encode()))
    monkeypatch.setenv("S2_API_KEY", "test-key")
    paper = get_s2_paper("arxiv:2402.03300")
    assert paper.id == "arxiv:2402.03300" and paper.s2_id == "a" * 40 and paper.citation_count == 900
    assert papers_server.requests[0].headers["x-api-key"] == "test-key"


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (404, b'{"error":"Paper with id arXiv:2402.99999 not found"}\n', r"has no paper 'arxiv:2402.99999' \(Paper"),
        (400, b'{"error":"Unrecognized or unsupported fields: [bogus]"}\n', r"\(400: Unrecognized or unsupported"),
        (403, b'{"message":"Forbidden"}', r"refused access \(403 Forbidden\)"),
    ],
)
def test_error_shapes_from_own_bodies(papers_server, status, body, message):
    """The same S2 error shapes, written here so a clone without ../shared still checks them."""
    papers_server.route("/graph/v1/paper/arXiv:2402.99999", Recorded(status, body))
    with pytest.raises(ToolError, match=message):
        get_s2_paper("arxiv:2402.99999")


def test_works_when_called_inside_a_running_event_loop(papers_server, own_fixtures):
    """Agents call tools from async code; the package's coroutines then run on a helper thread."""
    import asyncio

    world = json.loads((own_fixtures / "papers" / "s2_graph_world.json").read_text())
    papers_server.route("/graph/v1/paper/arXiv:2402.03300", Recorded(200, json.dumps(world["paper_A.json"]).encode()))

    async def agent_turn():
        return get_s2_paper("2402.03300")

    assert asyncio.run(agent_turn()).s2_id == "a" * 40
