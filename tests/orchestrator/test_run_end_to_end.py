"""The whole team offline, for real: tiny model, Ray, TRL, Trackio, debates — killed with SIGKILL during
iteration 2 and resumed. Checks the transcript has every message exactly once and nothing finished is redone."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest


EXAMPLE = str(Path(__file__).parents[2] / "examples" / "statistician.py") + ":build_statistician"
SPECIALISTS = {"Librarian", "DataEngineer", "Trainer", "Evaluator", "Statistician"}


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "posttrain.orchestrator.cli", *args]


def transcript(run_dir: Path) -> list[dict]:
    path = run_dir / "transcript.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def tool_calls(lines: list[dict], name: str, iteration: int) -> int:
    return sum(1 for line in lines if line["type"] == "ToolCallRequestEvent" and line["iteration"] == iteration
               for call in line["content"] if call["name"] == name)


def wait_for(predicate, proc, timeout_s: float) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            pytest.fail(f"run exited early with code {proc.returncode}")
        time.sleep(0.5)
    pytest.fail("timed out waiting for the run to reach iteration 2's training")


@pytest.fixture(autouse=True)
def no_ray_in_this_process():
    """The run under test starts its own Ray cluster; a cluster left by earlier in-process tests must not be shared
    with it (killing the run's processes would take that cluster's raylet, and with it this driver, down)."""
    import ray

    ray.shutdown()
    yield


@pytest.mark.slow
def test_offline_run_killed_in_iteration_2_then_resumed(tmp_path):
    run_dir = tmp_path / "run"
    env = {**os.environ, "POSTTRAIN_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "TRACKIO_DIR": str(tmp_path / "trackio")}
    env.pop("RAY_ADDRESS", None)
    # 2-digit addition, not Caesar: Caesar reaches a perfect score in iteration 1 and ends the run (goal_met)
    args = ["run", "Teach the base model 2-digit addition", "--max-iterations", "2",
            "--playbook-scale", "0.1", "--run-dir", str(run_dir), "--agent", EXAMPLE]
    with (tmp_path / "first.log").open("w") as log:
        proc = subprocess.Popen(cli(*args), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: tool_calls(transcript(run_dir), "launch_training", 2) == 1, proc, timeout_s=900)
        time.sleep(1.0)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    before = transcript(run_dir)
    assert json.loads((run_dir / "state.json").read_text())["status"] == "running"

    # plug-ins run only when named on this command line too (resume never imports code named in state.json)
    resumed = subprocess.run(cli("resume", str(run_dir), "--agent", EXAMPLE), env=env, capture_output=True,
                             text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    after = transcript(run_dir)

    # Nothing duplicated: every message id once; finished work (baseline, iteration 1) not redone.
    ids = Counter(line["id"] for line in after)
    assert max(ids.values()) == 1
    assert tool_calls(after, "evaluate_checkpoint", 0) == 1
    assert tool_calls(after, "launch_training", 1) == 1
    assert tool_calls(after, "launch_training", 2) == 1
    # Nothing lost: the messages after the last checkpoint were archived, the rest is unchanged.
    archived = (run_dir / "transcript.aborted.jsonl").read_text().splitlines()
    kept = [line for line in before if line["id"] in ids]
    assert len(kept) + len(archived) == len(before) and after[: len(kept)] == kept

    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "max_iterations"
    assert [it["index"] for it in summary["iterations"]] == [0, 1, 2]
    assert summary["best"]["score"] > summary["baseline"]["score"]
    for k in (1, 2):
        speakers = {line["source"] for line in after if line["iteration"] == k and line["phase"] == "debate"
                    and line["type"] == "TextMessage"}
        assert SPECIALISTS <= speakers, f"iteration {k} debate missing {SPECIALISTS - speakers}"
        assert summary["iterations"][k]["decision"]
        assert tool_calls(after, "check_power", k) == 1, "the plug-in is delegated to in every iteration"
    librarian = [line["content"] for line in after if line["source"] == "Librarian" and line["type"] == "TextMessage"]
    assert any("arxiv:" in text for text in librarian), "the Librarian cites papers by id"
    shown = subprocess.run(cli("transcript", "show", str(run_dir), "--debate-only", "--iteration", "2"),
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0 and "Statistician" in shown.stdout and "iteration 1 ·" not in shown.stdout


def tool_results(lines: list[dict], name: str, iteration: int) -> int:
    return sum(1 for line in lines if line["type"] == "ToolCallExecutionEvent" and line["iteration"] == iteration
               for result in line["content"] if result["name"] == name)


def trained_in_state(run_dir: Path) -> bool:
    """Whether the run's last checkpoint (state.json) holds iteration 1's finished training."""
    try:
        iterations = json.loads((run_dir / "state.json").read_text())["ledger"]["iterations"]
    except (OSError, ValueError, KeyError):
        return False
    training = iterations[1].get("training") if len(iterations) > 1 else None
    return bool(training) and training["status"] == "succeeded"


@pytest.mark.slow
def test_killed_after_training_resumes_without_training_again(tmp_path):
    """A finished work step is checkpointed at once: killed once training is done (evaluation next or under way),
    `resume` evaluates the checkpoint it has instead of spending the training again."""
    run_dir = tmp_path / "run"
    env = {**os.environ, "POSTTRAIN_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "TRACKIO_DIR": str(tmp_path / "trackio")}
    env.pop("RAY_ADDRESS", None)
    args = ["run", "Teach the base model a Caesar shift", "--max-iterations", "1", "--playbook-scale", "0.1",
            "--run-dir", str(run_dir)]
    with (tmp_path / "first.log").open("w") as log:
        proc = subprocess.Popen(cli(*args), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        # the kill lands right after the step checkpoint (state.json is written atomically after the tool's result
        # reaches the transcript): waiting for the transcript line alone could kill between the two
        wait_for(lambda: trained_in_state(run_dir), proc, timeout_s=900)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert tool_results(transcript(run_dir), "launch_training", 1) == 1

    resumed = subprocess.run(cli("resume", str(run_dir)), env=env, capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    after = transcript(run_dir)
    assert tool_calls(after, "launch_training", 1) == 1, "training was not redone"
    assert tool_calls(after, "evaluate_checkpoint", 1) >= 1
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] in ("max_iterations", "goal_met") and summary["iterations"][1]["scores"]
    assert max(Counter(line["id"] for line in after).values()) == 1
