"""Runs addressed like the `hf` CLI (path, id, prefix, `latest`) through the real CLI; `posttrain status` on a real
run, finished and as a second process sees it while it is going; the team's results read back from Trackio; and the
Markdown export's header, results tables and relative links."""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from posttrain.orchestrator.cli import main
from posttrain.run.liveness import this_process
from tests.orchestrator.test_transcript import write_sample


def make_runs(root: Path) -> dict[str, Path]:
    """Three small runs written by the real transcript writer, started one after another."""
    runs = {}
    for name in ("20261101T090000Z-teach-addition", "20261102T090000Z-teach-caesar", "20261103T090000Z-teach-caesar"):
        runs[name] = write_sample(root / name).root
        time.sleep(0.01)  # distinct start times (the first event's timestamp)
    return runs


def test_runs_are_addressed_by_path_id_prefix_and_latest(tmp_path: Path, capsys, monkeypatch) -> None:
    runs = make_runs(tmp_path / "runs")
    root = ["--runs-root", str(tmp_path / "runs")]
    for ref, expected in (("20261101T090000Z-teach-addition", "20261101T090000Z-teach-addition"),
                          ("20261102", "20261102T090000Z-teach-caesar"),
                          ("teach-add", "20261101T090000Z-teach-addition"),
                          ("latest", "20261103T090000Z-teach-caesar"),
                          (str(runs["20261102T090000Z-teach-caesar"]), "20261102T090000Z-teach-caesar")):
        assert main(["status", ref, *root, "--json"]) == 0, ref
        assert json.loads(capsys.readouterr().out)["run"] == expected, ref
        assert main(["transcript", "show", ref, *root, "--agent", "Evaluator"]) == 0
        assert "p=0.01" in capsys.readouterr().out
    out = tmp_path / "latest.md"
    assert main(["transcript", "export", "latest", *root, "-o", str(out)]) == 0
    assert "`20261103T090000Z-teach-caesar`" in out.read_text()
    assert main(["report", "2026110", *root]) == 2  # ambiguous: one line, exit 2, candidates named
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "ambiguous" in err and "3 runs match" in err
    assert "20261103T090000Z-teach-caesar" in err and "pass more of the name" in err
    assert main(["resume", "nope", *root]) == 2
    err = capsys.readouterr().err.strip()
    assert "no run matches 'nope'" in err and "20261101T090000Z-teach-addition" in err
    monkeypatch.chdir(tmp_path)  # `dashboard` looks under ./runs
    assert main(["dashboard", "teach-caesar", "--no-browser"]) == 2
    assert "ambiguous under runs: 2 runs match" in capsys.readouterr().err


def test_the_console_script_says_ambiguous_on_one_line_exit_2(tmp_path: Path) -> None:
    make_runs(tmp_path / "runs")
    done = subprocess.run([sys.executable, "-m", "posttrain.orchestrator.cli", "transcript", "show", "teach-caesar"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60, env=os.environ.copy())
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert re.search(r"ambiguous under runs: 2 runs match \(20261103\S+, 20261102\S+\)", done.stderr)


def test_transcript_list_json_and_full_ids(tmp_path: Path, capsys, monkeypatch) -> None:
    runs = make_runs(tmp_path / "runs")
    assert main(["transcript", "list", "--runs-root", str(tmp_path / "runs"), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in listed] == list(runs) and listed[0]["path"] == str(runs[listed[0]["id"]])
    assert {"status", "goal", "baseline", "best", "iterations", "started"} <= set(listed[0])
    monkeypatch.setenv("COLUMNS", "80")  # narrow: each id is still printed whole, on its own line
    assert main(["transcript", "list", "--runs-root", str(tmp_path / "runs")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(name in lines for name in runs) and all(len(line) <= 80 for line in lines)


# -- slow: the real offline run (tests/orchestrator/conftest.py) -----------------------------------------------------
def copy_run(run: Path, to: Path) -> Path:
    shutil.copytree(run, to, ignore=shutil.ignore_patterns("checkpoint", "base-model", "*.parquet"))
    return to


def while_running(run: Path, to: Path, task: str = "train sft") -> tuple[Path, dict]:
    """The run's files as a second process sees them mid-training: events.jsonl up to a progress event in the
    middle of `task`, state.json at its checkpoint then (status running), times shifted so that event is at most 1 s old."""
    live = copy_run(run, to)
    lines = (run / "events.jsonl").read_text().splitlines(keepends=True)
    # a progress event with steps done and steps left (rate and ETA both defined), the middle one of those
    progress = [i for i, line in enumerate(lines) if (e := json.loads(line)).get("task") == task
                and 0 < e["completed"] < (e.get("total") or 0)]
    assert progress, f"the run's events hold no {task} progress between its first and last step"
    cut = progress[len(progress) // 2]
    first, at_cut = json.loads(lines[progress[0]]), json.loads(lines[cut])
    # the event's age: 1 s, or a quarter of the time its own rate leaves when steps are faster than that, so the
    # ETA counted down from it is still above zero
    rate = (at_cut["completed"] - first["completed"]) / max(at_cut["at"] - first["at"], 1e-9)
    left_s = (at_cut["total"] - at_cut["completed"]) / rate if rate > 0 else 4.0
    shift = time.time() - min(1.0, left_s / 4) - at_cut["at"]
    kept = []
    for line in lines[: cut + 1]:
        event = json.loads(line)
        event["at"] += shift
        kept.append(json.dumps(event) + "\n")
    (live / "events.jsonl").write_text("".join(kept))
    state = json.loads((live / "state.json").read_text())
    state["status"] = "running"
    state["process"] = this_process()  # the run's process is alive: this one
    (live / "state.json").write_text(json.dumps(state))
    return live, json.loads(lines[cut])


@pytest.mark.slow
def test_status_of_a_finished_run(offline_run: Path, capsys) -> None:
    root = ["--runs-root", str(offline_run.parent)]
    assert main(["status", "20261128", *root, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    summary = json.loads((offline_run / "summary.json").read_text())
    assert status["status"] == summary["status"] and status["progress"] == []
    assert [s["iteration"] for s in status["scores"]] == [0, 1]
    assert status["scores"][1]["score"] == summary["iterations"][1]["scores"]["caesar"]
    assert status["best"] == summary["best"]["score"] and status["elapsed_s"] == summary["elapsed_s"]
    assert main(["status", "latest", *root]) == 0
    text = capsys.readouterr().out
    assert offline_run.name in text and "baseline" in text and "train sft" not in text


@pytest.mark.slow
def test_status_while_the_run_is_training(offline_run: Path, tmp_path: Path, capsys) -> None:
    live, event = while_running(offline_run, tmp_path / "runs" / "live-run")
    assert main(["status", "live", "--runs-root", str(tmp_path / "runs"), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["status"] == "running" and status["iteration"] == 1 and status["phase"] == "work"
    [task] = status["progress"]
    assert task["task"] == "train sft" and task["completed"] == event["completed"] and task["total"] == event["total"]
    assert task["rate_per_s"] > 0 and task["eta_s"] > 0  # from the progress events' own timestamps
    expected_eta = (task["total"] - task["completed"]) / task["rate_per_s"]
    assert abs(task["eta_s"] - expected_eta) < 5.0  # counted down from the last event
    assert [s["iteration"] for s in status["scores"]] == [0] and status["last_event_s_ago"] < 60
    assert main(["status", str(live)]) == 0
    text = capsys.readouterr().out
    assert re.search(rf"iter 1 · train sft  step {int(event['completed'])}/{int(event['total'])} · [\d.]+ it/s · "
                     r"ETA \d+:\d\d", text), text
    assert "iteration 1 · work" in text


@pytest.mark.slow
def test_each_iteration_is_logged_to_the_runs_trackio_project(offline_run: Path) -> None:
    from posttrain.tools.training import list_tracked_runs, read_tracked_metrics

    project = offline_run.name
    assert {"team", "iter1-sft"} <= set(list_tracked_runs(project))  # the team beside the training curves
    rows = {row["step"]: row for row in read_tracked_metrics(project, "team")}
    summary = json.loads((offline_run / "summary.json").read_text())
    assert sorted(rows) == [it["index"] for it in summary["iterations"]] == [0, 1]
    first = summary["iterations"][1]
    row = rows[1]
    assert row["team/score"] == first["scores"]["caesar"]
    assert [row["team/ci95_low"], row["team/ci95_high"]] == first["ci95"]
    assert row["team/method"] == "sft" and row["team/decision"] == first["decision"]
    assert row["team/training_status"] == "succeeded" and row["team/delta_vs_best"] == first["comparison"]["diff"]
    assert rows[0]["team/method"] == "baseline" and rows[0]["team/score"] == summary["baseline"]["score"]
    assert row["team/artifact/checkpoint"] == first["training"]["checkpoint"]
    for kind in ("dataset", "checkpoint", "train_log", "eval_report", "folder"):
        assert Path(row[f"team/artifact/{kind}"]).exists(), kind
    table = row["team/iterations"]["_value"]
    assert [r["iteration"] for r in table] == [0, 1] and table[1]["method"] == "sft"
    assert "checkpoint: [`artifacts/1/train-sft/checkpoint`](file://" in row["team/artifacts"]["_value"]
    assert "Trackio project initialized" in (offline_run / "run.log").read_text()  # trackio's banners: not the console


@pytest.mark.slow
def test_markdown_export_has_a_header_results_and_relative_links(offline_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "shared" / "run.md"
    out.parent.mkdir()
    assert main(["transcript", "export", str(offline_run), "-o", str(out)]) == 0
    text = out.read_text()
    summary = json.loads((offline_run / "summary.json").read_text())
    header = text.split("## Iteration 0")[0]
    for field in (f"| goal | {summary['goal']} |", "| brain | offline playbook", "| base model | tiny |",
                  "| config | max_iterations 1", "playbook_scale 0.1", "| wall time | ", "| result | baseline 0.000"):
        assert field in header, field
    section = text.split("## Iteration 1")[1]
    assert "| score | 95% CI | method | decision | training | vs previous best |" in section
    assert re.search(r"\| 1\.000 \| 0\.98\d–1\.000 \| sft \| SFT from the base model", section)
    links = re.findall(r"\[([a-z ]+)\]\(([^)]+)\)", text)
    kinds = {label for label, _ in links}
    assert {"dataset", "checkpoint", "training log", "evaluation report", "all artifacts"} <= kinds
    for _, target in links:
        assert not target.startswith("/") and (out.parent / target).exists(), target  # relative to the file
    assert "`evaluate_checkpoint` returned: Baseline 0.000" in text and "<details>" in text


@pytest.mark.slow
def test_a_run_whose_process_is_gone_is_interrupted_not_running(offline_run: Path, tmp_path: Path, capsys) -> None:
    """state.json says running, but the process it names has exited (kill -9): status says so and how to resume."""
    live, _ = while_running(offline_run, tmp_path / "runs" / "killed-run")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    state = json.loads((live / "state.json").read_text())
    state["process"] = {**state["process"], "pid": gone.pid}
    (live / "state.json").write_text(json.dumps(state))
    assert main(["status", str(live), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["status"] == "interrupted" and "posttrain resume" in status["note"], status

