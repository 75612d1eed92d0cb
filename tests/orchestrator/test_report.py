"""`posttrain report RUN`: the HTML report of a real offline run — every iteration section, the SVG charts, the
transcript explorer, nothing fetched from the network — measured for size and time, and loaded in headless
Chromium (Debian's `chromium`; skipped with a reason when it is not installed) for desktop and narrow screenshots."""

import json
import re
import shutil
import struct
import subprocess
import time
from pathlib import Path

import pytest

from posttrain.orchestrator.cli import main
from posttrain.orchestrator.report import build_report, write_report
from posttrain.orchestrator.report.render import flipped_items
from posttrain.orchestrator.report.svg import line_chart, score_chart, timeline_chart


EXTERNAL = re.compile(r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//"""
                      r"""|url\(\s*["']?\s*(?:https?:)?//|//cdn|<link\b|<script\b[^>]*\bsrc""", re.IGNORECASE)
MAX_BYTES = 2 * 1024 * 1024


def assert_self_contained(html: str) -> None:
    found = EXTERNAL.findall(html)
    assert not found, f"external references: {found[:5]}"
    # the only URLs in the file are the SVG namespace (an identifier, never fetched) and text from the run
    for match in re.finditer(r"""(?:src|href)\s*=\s*["']([^"']*)""", html):
        assert match.group(1).startswith("#"), match.group(0)


# -- fast: the pieces, on data made by hand ------------------------------------------------------------------------
def test_charts_are_inline_svg() -> None:
    chart = score_chart([{"iteration": 0, "score": 0.1, "ci95": (0.05, 0.15), "method": "baseline"},
                         {"iteration": 1, "score": 0.6, "ci95": (0.5, 0.7), "method": "sft", "best": True},
                         {"iteration": 2, "score": 0.55, "ci95": None, "method": "grpo"}], baseline=0.1, target=0.8)
    assert chart.startswith("<svg") and chart.count('class="ci"') == 6 and "target 0.800" in chart
    assert "m-sft best" in chart and ">GRPO<" in chart and "baseline 0.100" in chart
    curve = line_chart([(float(i), 1.0 / (i + 1)) for i in range(5000)], "loss")
    assert curve.count(" L") < 320  # downsampled: a long run does not bloat the file
    assert "<svg" in timeline_chart([{"label": "baseline", "start": 0, "end": 3}], 3.0)
    assert line_chart([], "kl") == ""


def test_flipped_items_pair_by_id() -> None:
    before = {"records": [{"id": "a", "correct": False, "completion": "x"}, {"id": "b", "correct": True},
                          {"id": "c", "correct": True}]}
    now = {"records": [{"id": "a", "correct": True, "completion": "y"}, {"id": "b", "correct": False},
                       {"id": "c", "correct": True}, {"id": "d", "correct": True}]}
    fixed, broken = flipped_items(now, before)
    assert [(o["completion"], n["completion"]) for o, n in fixed] == [("x", "y")]
    assert [n["id"] for _, n in broken] == ["b"]


def test_report_of_a_run_with_only_a_transcript(tmp_path: Path) -> None:
    """A run killed before its first checkpoint (no state.json) still gets a page."""
    run = tmp_path / "run"
    run.mkdir()
    line = {"source": "user", "content": "Iteration 0 <b>", "type": "TextMessage", "iteration": 0, "phase": "work",
            "created_at": "2026-11-28T05:23:50Z"}
    (run / "transcript.jsonl").write_text(json.dumps(line) + "\n" + '{"torn')
    html = build_report(run)
    assert "Iteration 0 &lt;b&gt;" in html and "Iteration 0 <b>" not in html and 'id="explorer"' in html
    assert_self_contained(html)


# -- slow: a real offline run (`offline_run`, made once per session in tests/orchestrator/conftest.py) -------------
def transcript_lines(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "transcript.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_report_of_a_real_run(offline_run: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "report.html"
    assert main(["report", str(offline_run), "-o", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    html = out.read_text()
    assert_self_contained(html)
    assert len(html.encode()) < MAX_BYTES
    summary = json.loads((offline_run / "summary.json").read_text())
    for it in summary["iterations"]:
        assert f'id="iteration-{it["index"]}"' in html
    section = html.split('id="iteration-1"')[1].split("</section>")[0]
    for heading in ("Debate", "Plan", "Data", "Training", "Evaluation"):
        assert f"<h3>{heading}</h3>" in section, heading
    for needle in ("Decision", "plan-diff", "Sample rows", "Curves (train-sft", "Findings", "paired test vs previous "
                   "best", "Wrong → right vs baseline"):
        assert needle in section, needle
    assert html.count('class="chart score-chart"') == 1 and 'class="chart timeline-chart"' in html
    assert section.count('class="chart line-chart"') >= 2  # loss and learning rate at least
    assert re.search(r'<g class="point m-sft[^"]*" data-iteration="1">', html)
    assert summary["goal"] in html and "95% CI" in html
    # the explorer: every transcript line, with the filters' attributes, tool calls folded
    lines = transcript_lines(offline_run)
    assert html.count('<div class="msg ') == len(lines)
    assert {f'data-agent="{line["source"]}"' for line in lines} <= set(re.findall(r'data-agent="[^"]*"', html))
    assert 'data-filter="agent"' in html and 'data-filter="iteration"' in html and 'data-filter="phase"' in html
    calls = sum(len(line["content"]) for line in lines if line["type"] == "ToolCallRequestEvent")
    assert html.count("<details><summary>→ ") == calls
    # the run's own report.html is the same page
    assert write_report(offline_run) == offline_run / "report.html"


@pytest.mark.slow
def test_three_iteration_report_is_fast_and_small(offline_run: Path, tmp_path: Path, record_property) -> None:
    """A 3-iteration run (iteration 1 repeated as 2 and 3, artifacts and transcript included) renders in under a
    second and stays under 2 MB."""
    run = tmp_path / "run3"
    shutil.copytree(offline_run, run, ignore=shutil.ignore_patterns("checkpoint", "base-model", "trainer"))
    state = json.loads((run / "state.json").read_text())
    first = next(it for it in state["ledger"]["iterations"] if it["index"] == 1)
    lines = transcript_lines(run)
    extra = []
    for index in (2, 3):
        shutil.copytree(run / "artifacts" / "1", run / "artifacts" / str(index))
        clone = json.loads(json.dumps(first).replace("/artifacts/1/", f"/artifacts/{index}/"))
        clone["index"] = index
        state["ledger"]["iterations"].append(clone)
        extra += [{**line, "iteration": index} for line in lines if line["iteration"] == 1]
    (run / "state.json").write_text(json.dumps(state))
    with (run / "transcript.jsonl").open("a") as handle:
        handle.writelines(json.dumps(line) + "\n" for line in extra)
    started = time.perf_counter()
    html = build_report(run)
    elapsed = time.perf_counter() - started
    size = len(html.encode())
    record_property("report_3_iterations_s", round(elapsed, 3))
    record_property("report_3_iterations_bytes", size)
    assert 'id="iteration-3"' in html and html.count('class="chart line-chart"') >= 6
    assert elapsed < 1.0, f"{elapsed:.2f} s"
    assert size < MAX_BYTES, size


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-default-apps", "--disable-extensions"]


@pytest.mark.slow
def test_report_in_headless_chromium(offline_run: Path, tmp_path_factory) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium); the headless check is skipped")
    shots = tmp_path_factory.mktemp("screenshots")
    page = write_report(offline_run, shots / "report.html")
    url = page.resolve().as_uri()
    for name, size in (("desktop", "1280,2000"), ("narrow", "420,2000")):
        png, netlog = shots / f"report-{name}.png", shots / f"netlog-{name}.json"
        subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={shots / 'profile'}",
                        f"--log-net-log={netlog}", f"--screenshot={png}", f"--window-size={size}", url],
                       capture_output=True, timeout=120, check=False)
        assert png.exists(), f"no {name} screenshot"
        assert png_size(png) == tuple(int(v) for v in size.split(","))
        assert png.stat().st_size > 20_000, f"{name} screenshot looks blank ({png.stat().st_size} bytes)"
        # no request left the page: the page's own requests are the ones in the file:// network partition
        events = json.loads(netlog.read_text()).get("events", []) if netlog.exists() else []
        left = {ev["params"]["url"] for ev in events if isinstance(ev.get("params"), dict)
                and "file://" in str(ev["params"].get("network_isolation_key", ""))
                and not str(ev["params"].get("url", "file:")).startswith(("file:", "data:"))}
        assert not left, f"the page requested {left}"
    # the script ran (the explorer counts its messages) and every iteration section is in the rendered DOM
    dom = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={shots / 'profile'}", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120, check=False).stdout
    n = len(transcript_lines(offline_run))
    assert f'id="x-count" class="muted">{n} of {n} messages' in dom
    assert 'id="iteration-0"' in dom and 'id="iteration-1"' in dom and dom.count("<svg") >= 4
