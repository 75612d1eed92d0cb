"""Speed of the Librarian's tools on loopback fixtures: search (network vs cache), graph, recipe card, catalogue.

    python bench/papers_bench.py

Serves tests/fixtures/papers from a local HTTP server (no internet), so the numbers measure posttrain's own
overhead (package clients, parsing, cache), not the remote APIs.
"""

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIXTURES = ROOT / "tests" / "fixtures" / "papers"


def timed(fn, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    from tests.conftest import LoopbackServer, Recorded

    server = LoopbackServer()
    server.thread.start()
    cache = tempfile.mkdtemp()
    os.environ.update({
        "POSTTRAIN_CACHE_DIR": cache, "POSTTRAIN_OFFLINE": "0", "POSTTRAIN_ARXIV_DELAY_S": "0",
        "POSTTRAIN_ARXIV_API_URL": f"{server.url}/api/query", "POSTTRAIN_S2_API_URL": server.url,
        "POSTTRAIN_ARXIV_HTML_URL": f"{server.url}/html", "HF_ENDPOINT": server.url,
    })
    world = json.loads((FIXTURES / "s2_graph_world.json").read_text())
    server.route("/api/query", Recorded(200, (FIXTURES / "arxiv_search_grpo.atom.xml").read_bytes()))
    s2_search = {"total": 1, "offset": 0, "data": [world["paper_A.json"]]}
    server.route("/graph/v1/paper/search", Recorded(200, json.dumps(s2_search).encode()))
    server.route("/api/papers/search", Recorded(200, (FIXTURES / "hf_papers_search_grpo.json").read_bytes()))
    server.route("/graph/v1/paper/arXiv:2402.03300", Recorded(200, json.dumps(world["paper_A.json"]).encode()))
    for kind in ("references", "citations"):
        body = json.dumps(world[f"A_{kind}.json"]).encode()
        server.route(f"/graph/v1/paper/arXiv:2402.03300/{kind}", Recorded(200, body))
    server.route("/html/2402.03300", Recorded(200, (FIXTURES / "arxiv_html_2402.03300_abridged.html").read_bytes()))

    from posttrain.tools.papers import citation_graph, recipe_card, search_papers, technique_catalogue

    def fresh_search():
        for path in Path(cache).rglob("*.json"):
            path.unlink()
        search_papers("GRPO math", limit=10)

    rows = [("search_papers, 3 sources, network (loopback)", timed(fresh_search))]
    search_papers("GRPO math", limit=10)
    rows.append(("search_papers, 3 sources, cache replay", timed(lambda: search_papers("GRPO math", limit=10))))
    rows.append(("citation_graph depth 1, 6 nodes (cached)", timed(lambda: citation_graph(["2402.03300"], depth=1))))
    rows.append(("recipe_card by rules, abridged HTML (cached)", timed(lambda: recipe_card("2402.03300"))))
    rows.append(("technique_catalogue ranking", timed(lambda: technique_catalogue("GSM8K RL"), 50)))
    for name, seconds in rows:
        print(f"{name}: {seconds * 1000:.1f} ms (median)")  # noqa: T201 - a bench script reports on stdout
    server.httpd.shutdown()


if __name__ == "__main__":
    main()
