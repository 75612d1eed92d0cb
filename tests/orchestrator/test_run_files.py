"""state.json and summary.json as typed, versioned models: an older file is migrated, a newer or damaged one is refused
in one line (exit 2, no traceback) by every command that reads it; the ledger's queries (best before an iteration,
recording a score with its paired test) and the one wording of a paired test."""

import json
from pathlib import Path

import pytest

from posttrain.orchestrator.cli import main
from posttrain.run.ledger import IterationRecord, Ledger, Score
from posttrain.run.run_summary import SUMMARY_VERSION, read_summary
from posttrain.run.state import STATE_VERSION, RunState, read_state
from posttrain.tools.errors import ConfigError
from posttrain.tools.evaluation.compare import Comparison
from posttrain.tools.evaluation.report import ItemRecord, build_report, write_report


CONFIG = {"goal": "Teach the base model a Caesar shift", "benchmark": "caesar", "run_dir": "runs/x"}

# summary.json as posttrain wrote it before run files carried a version: no `version`, `steering`, `brain_usage` or
# `objective`, and an iteration without `ablation`.
SUMMARY_V0 = {
    "goal": "Teach the base model a Caesar shift", "status": "max_iterations", "reason": None, "benchmark": "caesar",
    "base_model": "tiny", "brain": "offline", "target": None, "train_data": [],
    "baseline": {"score": 0.1, "n": 50, "ci95": [0.04, 0.21]},
    "best": {"score": 0.4, "iteration": 1, "checkpoint": "runs/x/artifacts/1/train-sft/checkpoint"},
    "elapsed_s": 93.5,
    "iterations": [
        {"index": 0, "phase": "done", "plan": None, "decision": "", "dissent": [], "scores": {"caesar": 0.1},
         "ci95": None, "comparison": None, "data": None, "training": None, "findings": [], "decoding": None,
         "blocked": None, "techniques": [], "duration_s": 12.0},
        {"index": 1, "phase": "done",
         "plan": {"method": "sft", "max_steps": 40, "learning_rate": 0.003, "n_train": 500},
         "decision": "SFT on generated pairs", "dissent": ["RFT first"], "scores": {"caesar": 0.4},
         "ci95": [0.27, 0.54], "comparison": None, "data": {"search": None, "dataset": "500 rows", "path": None},
         "training": {"method": "sft", "status": "succeeded", "checkpoint": None, "error": None, "steps": 40},
         "findings": [], "decoding": None, "blocked": None, "techniques": [], "duration_s": 70.1},
    ],
}


def _state(**extra) -> dict:
    return {"version": STATE_VERSION, "config": CONFIG, "base_model_path": "/models/tiny", "ledger": {},
            "work_team": None, "transcript_lines": 0, "event_lines": 0, "elapsed_s": 5.0, "status": "stopped",
            "reason": None, **extra}


def _run(tmp_path: Path, state: dict | None = None, summary: dict | None = None) -> Path:
    run = tmp_path / "runs" / "20261128T071050Z-caesar"
    run.mkdir(parents=True)
    (run / "transcript.jsonl").write_text("")
    if state is not None:
        (run / "state.json").write_text(json.dumps(state))
    if summary is not None:
        (run / "summary.json").write_text(json.dumps(summary))
    return run


def _one_line_exit_2(capsys, argv: list[str], *needles: str) -> str:
    assert main(argv) == 2, argv
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err
    return err


# -- versions -------------------------------------------------------------------------------------------------------
def test_state_round_trips_through_its_model(tmp_path):
    state = RunState.model_validate(_state(work_team={"agents": {"Trainer": {"messages": [{"at": "2026"}]}}}))
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state.to_json()))
    again = read_state(path)
    assert again == state and again.version == STATE_VERSION and again.config.goal == CONFIG["goal"]
    assert json.loads(path.read_text())["work_team"] == state.work_team  # AgentChat's state as it made it


def test_a_state_without_a_version_is_read_as_version_1(tmp_path):
    old = _state()
    del old["version"]
    (tmp_path / "state.json").write_text(json.dumps(old))
    state = read_state(tmp_path / "state.json")
    assert state.version == STATE_VERSION and state.status == "stopped" and state.process is None


def test_an_old_summary_is_migrated(tmp_path):
    (tmp_path / "summary.json").write_text(json.dumps(SUMMARY_V0))
    summary = read_summary(tmp_path / "summary.json")
    assert summary.version == SUMMARY_VERSION and summary.steering == [] and summary.brain_usage is None
    assert summary.best.iteration == 1 and summary.iteration(1).score == 0.4
    assert summary.iteration(1).plan.method == "sft" and summary.iteration(1).training.steps == 40


@pytest.mark.parametrize("name, reader", [("state.json", read_state), ("summary.json", read_summary)])
def test_a_future_version_is_refused_naming_the_fix(tmp_path, name, reader):
    (tmp_path / name).write_text(json.dumps({**(_state() if name == "state.json" else SUMMARY_V0), "version": 99}))
    with pytest.raises(ConfigError, match=r"version 99, written by a newer posttrain.*fix: upgrade posttrain"):
        reader(tmp_path / name)


@pytest.mark.parametrize("text, message", [
    ('{"version": 1, "config": ', "is corrupt"),
    ('[1, 2]', "holds a JSON list, not an object"),
    ('{"version": "2"}', "has version '2', not a whole number"),
    (json.dumps(_state(ledger={"baseline": {"score": "high"}})), "ledger.baseline"),
])
def test_a_damaged_state_is_refused_in_one_line(tmp_path, text, message):
    (tmp_path / "state.json").write_text(text)
    with pytest.raises(ConfigError, match=message) as caught:
        read_state(tmp_path / "state.json")
    assert "\n" not in str(caught.value) and "fix:" in str(caught.value)


def test_absent_files_read_as_none(tmp_path):
    assert read_state(tmp_path / "state.json") is None and read_summary(tmp_path / "summary.json") is None


# -- the commands, on an old and a future file ----------------------------------------------------------------------
def test_commands_read_a_run_with_an_old_summary(tmp_path, capsys):
    run = _run(tmp_path, summary=SUMMARY_V0)
    root = ["--runs-root", str(run.parent)]
    assert main(["transcript", "list", *root, "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["status"], row["baseline"], row["best"], row["iterations"]) == ("max_iterations", 0.1, 0.4, 2)
    assert main(["status", str(run), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert (status["baseline"], status["best"], status["best_iteration"]) == (0.1, 0.4, 1)
    assert status["goal"] == SUMMARY_V0["goal"] and status["elapsed_s"] == 93.5
    out = tmp_path / "report.html"
    assert main(["report", str(run), "-o", str(out)]) == 0
    html = out.read_text()
    assert 'id="iteration-1"' in html and "SFT on generated pairs" in html and "0.400" in html


@pytest.mark.parametrize("name", ["state.json", "summary.json"])
def test_every_reader_refuses_a_future_file_in_one_line(tmp_path, capsys, name):
    future = {**(_state() if name == "state.json" else SUMMARY_V0), "version": STATE_VERSION + 1}
    run = _run(tmp_path, state=_state() if name == "summary.json" else future,
               summary=future if name == "summary.json" else SUMMARY_V0)
    for argv in (["status", str(run)], ["report", str(run), "-o", str(tmp_path / "r.html")],
                 ["transcript", "export", str(run), "-o", str(tmp_path / "t.md")]):
        _one_line_exit_2(capsys, argv, name, "newer posttrain")
    if name == "state.json":
        _one_line_exit_2(capsys, ["resume", str(run)], name, "newer posttrain")
    assert main(["transcript", "list", "--runs-root", str(run.parent), "--json"]) == 0  # one bad run hides no other
    listed = json.loads(capsys.readouterr().out)[0]["status"]
    assert listed == ("unreadable" if name == "summary.json" else "max_iterations")  # the list reads the summary


# -- the ledger's queries -------------------------------------------------------------------------------------------
def _report(tmp_path: Path, name: str, right: set[str], ids=tuple(str(i) for i in range(20))) -> Score:
    records = [ItemRecord(id=i, prompt=f"{i}=", completion="x", extracted="x", gold="x", correct=i in right)
               for i in ids]
    report = build_report(benchmark="arithmetic", spec="arithmetic", model=name, records=records,
                          backend="transformers", duration_s=1.0, path=tmp_path / name / "arithmetic.json",
                          timings={}, settings={})
    write_report(report, records)
    return Score(score=report.score, n=report.n, ci95=tuple(report.ci95), report=report.path)


def test_best_before_an_iteration_and_record_score(tmp_path):
    ids = [str(i) for i in range(20)]
    ledger = Ledger(baseline=_report(tmp_path, "base", set(ids[:2])))
    assert ledger.best() == (ledger.baseline, 0)
    first, second = IterationRecord(index=1), IterationRecord(index=2)
    ledger.iterations += [IterationRecord(index=0), first, second]
    versus = ledger.record_score(first, _report(tmp_path, "one", set(ids[:12])))
    assert first.evaluation.score == 0.6 and first.comparison is versus.comparison
    assert versus.iteration == 0 and versus.comparison.diff == pytest.approx(0.5)
    assert versus.describe().startswith("vs best (baseline, 0.100): Δ +0.500 (95% CI ")
    # iteration 2 scores below iteration 1: it is paired with iteration 1, the best before it
    versus = ledger.record_score(second, _report(tmp_path, "two", set(ids[:8])))
    assert versus.iteration == 1 and versus.comparison.diff == pytest.approx(-0.2)
    assert ledger.best() == (first.evaluation, 1) and ledger.best(before=2) == (first.evaluation, 1)
    assert ledger.best(before=1) == (ledger.baseline, 0)
    # scored again (a resumed evaluation), iteration 2 is still paired with the best before it, not with itself
    again = ledger.record_score(second, _report(tmp_path, "two-again", set(ids[:16])))
    assert again.iteration == 1 and ledger.best() == (second.evaluation, 2)


def test_record_score_without_a_baseline_pairs_with_nothing(tmp_path):
    ledger = Ledger(iterations=[IterationRecord(index=1)])
    assert ledger.record_score(ledger.current, _report(tmp_path, "one", {"1"})) is None
    assert ledger.current.evaluation is not None and ledger.current.comparison is None


def test_one_wording_of_a_paired_test():
    c = Comparison(n_pairs=50, baseline_score=0.1, candidate_score=0.23, diff=0.13, ci95=(0.05, 0.21),
                   p_value=0.0042, significant=True, method="mcnemar")
    assert c.describe() == "Δ +0.130 (95% CI +0.050…+0.210, p=0.0042, significant at 0.05)"
    assert c.brief() == "Δ +0.130, p=0.0042"
    flat = c.model_copy(update={"diff": -0.01, "p_value": 0.8, "significant": False})
    assert flat.describe().endswith("p=0.8, not significant at 0.05)")
