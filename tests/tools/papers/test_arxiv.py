"""arXiv through the arxiv package, served from recorded (shared) and own Atom feeds on loopback."""

import xml.etree.ElementTree as ET

import pytest

from posttrain.tools.errors import ToolError
from posttrain.tools.papers.arxiv_source import build_query, get_arxiv_papers, search_arxiv
from tests.conftest import Recorded


ATOM = "{http://www.w3.org/2005/Atom}"


def expected_entries(feed: bytes) -> list[dict]:
    """Independent reading of a feed with ElementTree, to check the parse field by field."""
    entries = []
    for entry in ET.fromstring(feed).iter(f"{ATOM}entry"):
        short = entry.find(f"{ATOM}id").text.split("arxiv.org/abs/")[-1]
        entries.append({
            "id": "arxiv:" + short.rsplit("v", 1)[0],
            "title": " ".join(entry.find(f"{ATOM}title").text.split()),
            "authors": [a.find(f"{ATOM}name").text for a in entry.iter(f"{ATOM}author")],
            "year": int(entry.find(f"{ATOM}published").text[:4]),
            "abstract": " ".join(entry.find(f"{ATOM}summary").text.split()),
        })
    return entries


def as_dicts(papers) -> list[dict]:
    return [p.model_dump(include={"id", "title", "authors", "year", "abstract"}) for p in papers]


def test_search_parses_own_feed_exactly_and_honours_the_base_url(papers_server, own_fixtures):
    feed = (own_fixtures / "papers" / "arxiv_search_grpo.atom.xml").read_bytes()
    papers_server.route("/api/query", Recorded(200, feed))
    papers = search_arxiv("GRPO math", limit=5, categories=["cs.CL", "cs.LG"])
    assert as_dicts(papers) == expected_entries(feed)
    assert papers[0].title == "DeepSeekMath: Pushing the Limits of Mathematical Reasoning in Open Language Models"
    assert papers[1].doi == "10.48550/arxiv.2503.14476" and papers[1].url == "https://arxiv.org/abs/2503.14476"
    (request,) = papers_server.requests  # the package really used our endpoint
    assert request.query["search_query"] == "(all:GRPO AND all:math) AND (cat:cs.CL OR cat:cs.LG)"
    assert request.query["start"] == "0"


def test_search_parses_recorded_feed_exactly(papers_server, shared_fixtures):
    feed = (shared_fixtures / "arxiv" / "query_search_testing_start0_max10.atom.xml").read_bytes()
    papers_server.route("/api/query", Recorded(200, feed))
    assert as_dicts(search_arxiv("testing", limit=10)) == expected_entries(feed)


def test_paging_walks_the_recorded_pages(papers_server, shared_fixtures):
    pages = {
        "0": (shared_fixtures / "arxiv" / "query_search_testing_start0_max10.atom.xml").read_bytes(),
        "10": (shared_fixtures / "arxiv" / "query_search_testing_start10_max10.atom.xml").read_bytes(),
    }
    papers_server.route("/api/query", lambda request: Recorded(200, pages[request.query["start"]]))
    papers = search_arxiv("testing", limit=15, page_size=10)
    expected = expected_entries(pages["0"]) + expected_entries(pages["10"])
    assert as_dicts(papers) == expected[:15]
    assert [r.query["start"] for r in papers_server.requests] == ["0", "10"]
    assert all(r.query["max_results"] == "10" for r in papers_server.requests)


def test_id_lookups(papers_server, shared_fixtures):
    recorded = shared_fixtures / "arxiv"
    answers = {
        "1605.08386": "query_id_list_single_1605.08386.atom.xml",
        "0808.05394,1707.08567": "query_id_list_two_ids_one_missing.atom.xml",
        "0000.0000": "query_id_list_not_found_empty_feed.atom.xml",
        "astro-ph/0601001": "query_id_list_old_style_astro-ph_0601001.atom.xml",
        "2104.12255": "query_id_list_versioned_2104.12255v1.atom.xml",
    }
    papers_server.route(
        "/api/query", lambda request: Recorded(200, (recorded / answers[request.query["id_list"]]).read_bytes())
    )
    (single,), missing = get_arxiv_papers(["1605.08386"])
    assert single.id == "arxiv:1605.08386" and missing == []
    assert as_dicts([single]) == expected_entries((recorded / answers["1605.08386"]).read_bytes())
    found, missing = get_arxiv_papers(["0808.05394", "1707.08567"])
    assert [p.id for p in found] == ["arxiv:1707.08567"] and missing == ["0808.05394"]
    assert get_arxiv_papers(["0000.0000"]) == ([], ["0000.0000"])
    (old,), _ = get_arxiv_papers(["astro-ph/0601001"])
    assert old.id == "arxiv:astro-ph/0601001" and old.year == 2006
    (versioned,), _ = get_arxiv_papers(["2104.12255v1"])
    assert versioned.title == "0"  # the recorded edge case: a paper titled "0"


def test_error_feed_becomes_a_clear_message(papers_server, shared_fixtures):
    body = (shared_fixtures / "arxiv" / "query_error_400_malformed_id.atom.xml").read_bytes()
    papers_server.route("/api/query", Recorded(400, body))
    with pytest.raises(ToolError, match="arXiv rejected the request: incorrect id format for abc; fix: use an arXiv"):
        search_arxiv("id:abc", limit=1)


def test_bad_id_syntax_is_refused_before_any_request(papers_server):
    with pytest.raises(ToolError, match="'abc' is not an arXiv id"):
        get_arxiv_papers(["abc"])
    assert papers_server.requests == []


def test_query_builder():
    assert build_query("ti:GRPO AND cat:cs.LG") == "ti:GRPO AND cat:cs.LG"
    assert build_query('"direct preference"', field="ti") == "ti:direct AND ti:preference"
