"""examples/posttrainbench/solve.sh in a container: it runs `posttrain ptb` and installs or fetches nothing.

Stand-ins on PATH record every call: `posttrain`, and the installers and downloaders a script could reach for
(pip, uv, curl, wget, apt-get); the PATH holds only them and the shell's basics."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest


SOLVE = Path(__file__).parents[2] / "examples" / "posttrainbench" / "solve.sh"
WATCHED = ("posttrain", "pip", "pip3", "uv", "curl", "wget", "apt-get", "conda")


def _bin_with(tmp_path: Path, names: tuple[str, ...]) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "printf", "cat", "dirname"):  # what the script itself needs
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    for name in names:
        stub = bin_dir / name
        stub.write_text(f'#!/bin/bash\necho "{name} $*" >> "{tmp_path}/calls.log"\nexit 0\n')
        stub.chmod(0o755)
    return bin_dir


def _solve(tmp_path: Path, bin_dir: Path) -> subprocess.CompletedProcess:
    task = tmp_path / "task"
    task.mkdir()
    (task / "timer.sh").write_text("echo 9:00\n")
    env = {"PATH": str(bin_dir), "PROMPT": "Train Qwen3-1.7B-Base for gsm8k", "HOME": str(tmp_path)}
    return subprocess.run([shutil.which("bash"), str(SOLVE)], cwd=task, env=env, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_solve_runs_posttrain_ptb_and_installs_nothing(tmp_path):
    done = _solve(tmp_path, _bin_with(tmp_path, WATCHED))
    assert done.returncode == 0, done.stderr
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert len(calls) == 1 and calls[0].startswith("posttrain ptb --prompt-file "), calls
    assert "--timer timer.sh" in calls[0] and f"--run-dir {tmp_path / 'task' / 'posttrain_run'}" in calls[0]
    assert (tmp_path / "task" / "posttrain_task.txt").read_text() == "Train Qwen3-1.7B-Base for gsm8k\n"


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_solve_without_posttrain_says_to_install_it_and_does_not(tmp_path):
    done = _solve(tmp_path, _bin_with(tmp_path, tuple(n for n in WATCHED if n != "posttrain")))
    assert done.returncode == 2 and "posttrain is not installed" in done.stderr
    assert not os.path.exists(tmp_path / "calls.log")  # no pip, no download was tried
