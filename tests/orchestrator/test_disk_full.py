"""A full disk through the real CLI, on a small tmpfs mounted in a private mount namespace (`unshare -rm`, no root
needed): one line that says what to do, exit 1, no traceback, no minute-long hang, and where the run got far enough
to have them, `summary.json` and `state.json` that say `failed`."""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest


GOAL = "Teach the base model 2-digit addition"


def can_mount_tmpfs() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
                           capture_output=True, check=False)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(not can_mount_tmpfs(), reason="needs `unshare -rm` and tmpfs mounts "
                                                               "(user namespaces) to make a small disk")


def run_on_small_disk(tmp_path: Path, size_bytes: int, *args: str) -> tuple[int, str, float, Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    run_dir = disk / "run"
    cli = " ".join([sys.executable, "-m", "posttrain.orchestrator.cli", "run", f"'{GOAL}'", "--run-dir", str(run_dir),
                    *args])
    script = (f"mount -t tmpfs -o size={size_bytes} tmpfs {disk} && {cli}; code=$?; "
              f"cp -r {run_dir} {tmp_path}/kept 2>/dev/null; exit $code")  # the tmpfs goes with the namespace
    start = time.monotonic()
    done = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=600,
                          env={**__import__("os").environ, "PYTHONUNBUFFERED": "1"}, check=False)
    return done.returncode, done.stdout + done.stderr, time.monotonic() - start, tmp_path / "kept"


def test_a_disk_too_small_for_the_base_model_is_one_line_and_exit_1(tmp_path):
    code, output, took, _ = run_on_small_disk(tmp_path, 512 * 1024, "--max-iterations", "1")
    assert code == 1, output[-2000:]
    assert "Traceback" not in output, output[-2000:]
    assert "error: the disk is full" in output and "posttrain resume" in output, output[-2000:]
    assert took < 60, f"took {took:.0f} s"


@pytest.mark.slow
def test_a_disk_that_fills_during_training_fails_the_run_with_true_statuses(tmp_path, tiny_model_path):
    model_bytes = sum(f.stat().st_size for f in Path(tiny_model_path).rglob("*") if f.is_file())
    # room for the base model and the run's small files, not for a second copy of the weights (the checkpoint)
    code, output, took, kept = run_on_small_disk(tmp_path, model_bytes + 1024 * 1024, "--max-iterations", "1",
                                                 "--playbook-scale", "0.02")
    assert code == 1, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert "the disk is full" in output, output[-3000:]
    for name in ("summary.json", "state.json"):
        record = json.loads((kept / name).read_text())
        assert record["status"] == "failed", (name, record.get("status"))
    assert "disk is full" in json.loads((kept / "summary.json").read_text())["reason"]
    print(f"disk full during training: run failed and exited in {took:.0f} s in all")  # noqa: T201
