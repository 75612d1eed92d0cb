"""Stopping a run through the real CLI: one Ctrl-C (SIGINT) or SIGTERM while the Trainer's Ray task runs says
"stopping…", kills the task, saves state as `stopped` and exits 130 within seconds, with no Python traceback, no
native stack dump from Ray and no Ray process left behind; `posttrain resume` then finishes the run."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


GOAL = "Teach the base model a Caesar shift"
STOP_WITHIN_S = 30


def cli(*args: str, run_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "POSTTRAIN_OFFLINE": "1",
           "RAY_USAGE_STATS_ENABLED": "0", "PYTHONUNBUFFERED": "1"}
    env.pop("RAY_ADDRESS", None)  # the run must start (and then stop) its own local cluster
    log = open(run_dir.parent / f"{run_dir.name}-{args[0]}.log", "w")  # noqa: SIM115 - closed with the process
    # a child of a shell without job control inherits SIGINT ignored; a terminal's Ctrl-C reaches a default handler
    return subprocess.Popen([sys.executable, "-m", "posttrain.orchestrator.cli", *args], stdout=log,
                            stderr=subprocess.STDOUT, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def end(proc: subprocess.Popen) -> None:
    """A test that failed midway: stop the run as a user would (twice: forced), so its Ray cluster goes too."""
    for _ in range(2):
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
    if proc.poll() is None:
        proc.kill()


def wait_for_training(run_dir: Path, proc: subprocess.Popen, timeout_s: float = 600) -> None:
    """Until the Trainer's launch_training call is in iteration 1's transcript."""
    wait_for_tool(run_dir, proc, "launch_training", iteration=1, timeout_s=timeout_s)


def ray_children(pid: int) -> list[int]:
    import psutil

    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_one_signal_during_training_stops_quietly_and_resume_finishes(sig, tmp_path):
    import psutil

    run_dir = tmp_path / "run"
    # a smoke-scale run: the signal lands while the Ray worker starts or trains, and resume has less to redo
    proc = cli("run", GOAL, "--max-iterations", "1", "--playbook-scale", "0.1", "--run-dir", str(run_dir),
               run_dir=run_dir)
    try:
        wait_for_training(run_dir, proc)
        time.sleep(2)
        sent = time.monotonic()
        proc.send_signal(sig)
        cluster = set()  # every process the run started (Ray's gcs, raylet, agents, workers), until it exits
        while proc.poll() is None and time.monotonic() - sent < STOP_WITHIN_S + 30:
            cluster.update(ray_children(proc.pid))
            time.sleep(0.2)
        code = proc.wait(timeout=1)
        took = time.monotonic() - sent
    finally:
        end(proc)
    log = (tmp_path / "run-run.log").read_text()
    assert code == 130, log[-3000:]
    assert took < STOP_WITHIN_S, f"took {took:.1f} s to stop"
    print(f"stopped in {took:.1f} s")  # noqa: T201
    assert "stopping" in log
    assert "Traceback" not in log, log[-3000:]
    assert "*** SIG" not in log and "PC: @" not in log, log[-3000:]
    for name in ("summary.json", "state.json"):
        assert json.loads((run_dir / name).read_text())["status"] == "stopped", name
    state = json.loads((run_dir / "state.json").read_text())
    assert state["ledger"]["iterations"][1].get("training") is None  # killed, so resume trains again
    time.sleep(1)
    left = [pid for pid in cluster if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    assert not left, subprocess.run(["ps", "-o", "pid,ppid,args", "-p", ",".join(map(str, left))],
                                    capture_output=True, text=True).stdout

    if sig == signal.SIGTERM:
        return  # what a stop leaves is the same for both signals; resume is checked once, after SIGINT
    resumed = cli("resume", str(run_dir), run_dir=run_dir)
    try:
        # training alone takes 2-15 min on 2 busy CPU cores
        assert resumed.wait(timeout=1800) == 0, (tmp_path / "run-resume.log").read_text()[-3000:]
    finally:
        end(resumed)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] in ("goal_met", "max_iterations")
    assert summary["iterations"][1]["training"]["status"] == "succeeded"


def wait_for_tool(run_dir: Path, proc: subprocess.Popen, tool: str, iteration: int, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    transcript = run_dir / "transcript.jsonl"
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the run ended (exit {proc.returncode}) before {tool} was called"
        if transcript.exists():
            for line in transcript.read_text().splitlines():
                record = json.loads(line) if line.strip() else {}
                if (record.get("type") == "ToolCallRequestEvent" and record.get("iteration") == iteration
                        and any(call.get("name") == tool for call in record.get("content", []))):
                    return
        time.sleep(0.2)
    pytest.fail(f"{tool} was never called")


@pytest.mark.slow
def test_one_signal_during_evaluation_ends_the_evaluation_at_its_next_batch(tmp_path):
    """Through the real CLI: a signal during a long evaluation exits 130 within seconds, with no traceback, and the
    unfinished evaluation is neither written nor recorded, so resume redoes it. (The console script exits without
    waiting for the tool's thread either way; that the tool itself ends at its next progress tick is checked in
    tests/agents/test_stop_request.py, which fails without it.)"""
    task = tmp_path / "task"
    task.mkdir()
    # 20k items the untrained tiny model answers with a full context of noise: minutes of generation on 2 CPUs
    items = [{"question": f"Repeat the word number {i} backwards and then forwards twice", "answer": str(i)}
             for i in range(20_000)]
    (task / "eval.jsonl").write_text("".join(json.dumps(item) + "\n" for item in items))
    (task / "train.jsonl").write_text("".join(json.dumps(item) + "\n" for item in items[:50]))
    run_dir = tmp_path / "run"
    proc = cli("run", "Teach the base model to repeat numbers", "--benchmark", str(task / "eval.jsonl"),
               "--train-data", str(task / "train.jsonl"), "--max-iterations", "1", "--run-dir", str(run_dir),
               run_dir=run_dir)
    try:
        wait_for_tool(run_dir, proc, "evaluate_checkpoint", iteration=0)
        time.sleep(3)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=STOP_WITHIN_S + 30)
        took = time.monotonic() - sent
    finally:
        end(proc)
    log = (tmp_path / "run-run.log").read_text()
    assert code == 130, log[-3000:]
    assert took < 15, f"took {took:.1f} s to stop during evaluation"
    print(f"stopped during evaluation in {took:.1f} s")  # noqa: T201
    assert "Traceback" not in log, log[-3000:]
    assert not list((run_dir / "artifacts").glob("0/eval/*.json")), "the evaluation finished instead of stopping"
    state = json.loads((run_dir / "state.json").read_text())
    assert state["status"] == "stopped"
    assert state["ledger"]["iterations"][0].get("evaluation") is None  # not recorded: resume evaluates again
