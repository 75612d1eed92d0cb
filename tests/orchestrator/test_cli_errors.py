"""Every bad input: one line naming the problem and the fix, exit code 2, no traceback, nothing half-created."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from posttrain.orchestrator.cli import main


PLUGINS = Path(__file__).parents[1] / "fixtures" / "plugins"
GOAL = "Teach the base model 3-digit addition"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(args, capsys):
    code = main(args)
    err = capsys.readouterr().err.strip()
    return code, err


@pytest.mark.parametrize(
    "extra, expected",
    [
        (["--benchmark", "no_such_bench"], "no_such_bench"),
        (["--base-model", "./no/such/model"], "does not exist"),
        (["--brain", "openai:gpt-x"], "OPENAI_API_KEY"),
        (["--brain", "vllm:m@http://127.0.0.1:{port}"], "unreachable"),
        (["--brain", "telepathy:x"], "unknown --brain"),
        (["--time-budget", "soon"], "--time-budget"),
        (["--agent", f"{PLUGINS}/broken_import.py:build"], "failed to import"),
        (["--agent", f"{PLUGINS}/bad_plugins.py:raises"], "factory raised"),
        (["--agent", f"{PLUGINS}/bad_plugins.py:wrong_type"], "not a posttrain.agents.specialist.Specialist"),
        (["--agent", "no.such.module:factory"], "failed to import"),
        (["--agent", "not_an_entry_point"], "no entry point"),
    ],
)
def test_bad_run_input_is_one_line_exit_2(tmp_path, capsys, monkeypatch, extra, expected):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    extra = [e.replace("{port}", str(closed_port())) for e in extra]
    run_dir = tmp_path / "run"
    code, err = run_cli(["run", GOAL, "--run-dir", str(run_dir), *extra], capsys)
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("error: ")
    assert expected in err
    assert not run_dir.exists(), "a rejected command must not create the run directory"


def test_run_dir_not_writable(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    code, err = run_cli(["run", GOAL, "--run-dir", str(blocker / "run")], capsys)
    assert code == 2 and "not writable" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("command", [["resume"], ["transcript", "show"]])
def test_missing_run_dir(tmp_path, capsys, command):
    code, err = run_cli([*command, str(tmp_path / "nope")], capsys)
    assert code == 2 and "does not exist" in err and len(err.splitlines()) == 1


def test_no_traceback_in_a_real_process(tmp_path):
    env = {**os.environ, "POSTTRAIN_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-m", "posttrain.orchestrator.cli", "run", GOAL, "--benchmark", "nope",
                           "--run-dir", str(tmp_path / "r")], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def test_help_imports_nothing_heavy():
    """`posttrain --help` stays fast because no ML stack is imported to build the CLI."""
    code = ("import sys; from posttrain.orchestrator.cli import build_app; build_app(); "
            "heavy = [m for m in ('torch', 'transformers', 'trl', 'ray', 'datasets', 'autogen_agentchat') "
            "if m in sys.modules]; print(','.join(heavy))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == ""
