"""`posttrain papers search|graph|card` through main(), against the loopback server."""

import json

from posttrain.orchestrator.cli import main
from tests.conftest import Recorded


def test_search_json_and_table(papers_server, own_fixtures, capsys):
    feed = (own_fixtures / "papers" / "arxiv_search_grpo.atom.xml").read_bytes()
    papers_server.route("/api/query", Recorded(200, feed))
    assert main(["papers", "search", "GRPO math", "--source", "arxiv", "--limit", "5", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert [p["id"] for p in hits["papers"]] == ["arxiv:2402.03300", "arxiv:2503.14476"]
    assert main(["papers", "search", "GRPO math", "--source", "arxiv", "--limit", "5"]) == 0
    assert "arxiv:2503.14476" in capsys.readouterr().out
    assert len(papers_server.requests) == 1  # the table run was answered from the cache


def test_bad_input_exits_2(capsys):
    assert main(["papers", "search", "x", "--source", "google"]) == 2
    assert main(["papers", "search", "x", "--limit", "0"]) == 2
    assert main(["papers", "graph", "not-an-id"]) == 2
    assert main(["papers", "graph", "2402.03300", "--json", "--graphml", "g.graphml"]) == 2
    assert main(["papers", "graph", "2402.03300", "--depth", "9"]) == 2
    err = capsys.readouterr().err
    assert "error: unknown --source 'google'; fix: use one of arxiv, s2, hf, all" in err
    assert "'not-an-id' is not a paper id" in err


def test_graph_graphml_and_card_json(papers_server, own_fixtures, tmp_path, capsys):
    world = json.loads((own_fixtures / "papers" / "s2_graph_world.json").read_text())
    papers_server.route("/graph/v1/paper/arXiv:2402.03300", Recorded(200, json.dumps(world["paper_A.json"]).encode()))
    papers_server.route("/graph/v1/paper/arXiv:2402.03300/references",
                        Recorded(200, json.dumps(world["A_references.json"]).encode()))
    papers_server.route("/graph/v1/paper/arXiv:2402.03300/citations",
                        Recorded(200, json.dumps(world["A_citations.json"]).encode()))
    out = tmp_path / "g.graphml"
    assert main(["papers", "graph", "2402.03300", "--depth", "1", "--graphml", str(out), "--goal", "RL math"]) == 0
    assert out.read_text().startswith("<?xml") and "arxiv:1707.06347" in out.read_text()
    captured = capsys.readouterr()
    assert "DAPO" in captured.out and "wrote" in captured.err

    feed = (own_fixtures / "papers" / "arxiv_search_grpo.atom.xml").read_bytes()
    papers_server.route("/api/query", Recorded(200, feed))
    html = (own_fixtures / "papers" / "arxiv_html_2402.03300_abridged.html").read_bytes()
    papers_server.route("/html/2402.03300", Recorded(200, html))
    assert main(["papers", "card", "arxiv:2402.03300", "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["method"]["value"] == "GRPO" and card["results"][0]["benchmark"] == "GSM8K"
    assert main(["papers", "card", "arxiv:2402.03300"]) == 0
    assert "hyperparameter learning_rate: 1e-6" in capsys.readouterr().out
