"""Citation graph over a small fixture world of S2 references/citations: nodes, edges, dedupe, ranking, export."""

import json

import pytest

from posttrain.tools.papers import citation_graph
from tests.conftest import Recorded


GOAL = "group relative policy optimization reinforcement learning for math reasoning"
LOOKUP = {"A": "arXiv:2402.03300", "B": "arXiv:1707.06347", "C": "arXiv:2110.14168", "D": "DOI:10.1000/xyz123",
          "E": "arXiv:2503.14476", "F": "arXiv:2401.00001", "G": "arXiv:1502.05477"}


@pytest.fixture
def world(papers_server, own_fixtures):
    files = json.loads((own_fixtures / "papers" / "s2_graph_world.json").read_text())
    papers_server.route(f"/graph/v1/paper/{LOOKUP['A']}", Recorded(200, json.dumps(files["paper_A.json"]).encode()))
    for name, lookup in LOOKUP.items():
        for kind in ("references", "citations"):
            body = files.get(f"{name}_{kind}.json", files["empty.json"])
            papers_server.route(f"/graph/v1/paper/{lookup}/{kind}", Recorded(200, json.dumps(body).encode()))
    return papers_server


def test_traversal_nodes_edges_and_ranking(world):
    graph = citation_graph(["2402.03300v3"], depth=2, goal=GOAL)
    assert graph.errors == [] and not graph.truncated and graph.seeds == ["arxiv:2402.03300"]
    depths = {n.paper.id: n.depth for n in graph.nodes}
    assert depths == {"arxiv:2402.03300": 0, "arxiv:1707.06347": 1, "arxiv:2110.14168": 1, "doi:10.1000/xyz123": 1,
                      "arxiv:2503.14476": 1, "arxiv:2401.00001": 1, "arxiv:1502.05477": 2}
    edges = {(e.citing, e.cited): e for e in graph.edges}
    assert set(edges) == {
        ("arxiv:2402.03300", "arxiv:1707.06347"), ("arxiv:2402.03300", "arxiv:2110.14168"),
        ("arxiv:2402.03300", "doi:10.1000/xyz123"), ("arxiv:2503.14476", "arxiv:2402.03300"),
        ("arxiv:2401.00001", "arxiv:2402.03300"), ("arxiv:1707.06347", "arxiv:1502.05477"),
        ("arxiv:2503.14476", "arxiv:1707.06347"), ("arxiv:2503.14476", "arxiv:2110.14168"),
    }  # B's "cited by A" came back by S2 id and was merged into the seed, not added twice
    dapo_cites_seed = edges[("arxiv:2503.14476", "arxiv:2402.03300")]
    assert dapo_cites_seed.is_influential and dapo_cites_seed.intents == ["methodology", "result"]
    assert dapo_cites_seed.contexts == ["We start from GRPO (Shao et al., 2024)."]
    ranking = [item.paper_id for item in graph.reading_list]
    assert ranking == ["arxiv:2503.14476", "arxiv:1707.06347", "arxiv:2110.14168", "arxiv:1502.05477",
                       "arxiv:2401.00001", "doi:10.1000/xyz123"]
    top = graph.reading_list[0]
    assert top.why.startswith("matches the goal on ")
    assert "cites seed arxiv:2402.03300 (influentially, methodology/result)" in top.why and top.why.endswith("2025")
    # the whole graph is reached in 1 + 2 requests per expanded node (seed, then B..F)
    assert len(world.requests) == 1 + 2 * 6


def test_node_budget_truncates_and_stops_expanding(world):
    graph = citation_graph(["arxiv:2402.03300"], depth=2, max_nodes=4, goal=GOAL)
    assert graph.truncated and len(graph.nodes) == 4
    assert {n.paper.id for n in graph.nodes} == {"arxiv:2402.03300", "arxiv:1707.06347", "arxiv:2110.14168",
                                                "doi:10.1000/xyz123"}
    assert len(world.requests) == 1 + 2  # only the seed was expanded


def test_exports_round_trip(world, tmp_path):
    import networkx as nx

    graph = citation_graph(["arxiv:2402.03300"], depth=1, goal=GOAL)
    path = tmp_path / "g.graphml"
    graph.write_graphml(path)
    loaded = nx.read_graphml(path)
    assert set(loaded.nodes) == {n.paper.id for n in graph.nodes}
    assert set(loaded.edges) == {(e.citing, e.cited) for e in graph.edges}
    assert loaded.nodes["arxiv:2503.14476"]["title"].startswith("DAPO: An Open-Source LLM Reinforcement Learning")
    assert type(graph).model_validate_json(graph.model_dump_json()) == graph


def test_lookup_failures_go_to_errors(papers_server, shared_fixtures):
    body = (shared_fixtures / "semanticscholar" / "error_404_paper_not_found.json").read_bytes()
    papers_server.route("/graph/v1/paper/arXiv:2402.03300", Recorded(404, body))
    graph = citation_graph(["arxiv:2402.03300", "not-an-id"], depth=1)
    assert graph.seeds == ["arxiv:2402.03300"]  # kept as a placeholder titled from the catalogue
    assert graph.nodes[0].paper.title.startswith("DeepSeekMath")
    assert graph.errors[0].startswith("Semantic Scholar has no paper 'arxiv:2402.03300' (Paper with id 0 not found)")
    assert "'not-an-id' is not a paper id" in graph.errors[1]
    assert graph.errors[2].startswith("Semantic Scholar has no references of 'arxiv:2402.03300'")


def test_reading_list_text(world):
    text = citation_graph(["arxiv:2402.03300"], depth=1, goal=GOAL).to_text(top=2)
    assert text.splitlines()[0].startswith("1. arxiv:2503.14476 (2025) DAPO:")
    assert len(text.splitlines()) == 2
