"""Runs in a row leave nothing behind: no process (found by an environment mark every process of a run inherits),
no open file, and disk growth bounded by what the runs are meant to keep. `bench/soak.py --runs 20` is the full soak;
its committed result is in bench/results/."""

import importlib.util
from pathlib import Path

import pytest


def load_soak():
    path = Path(__file__).resolve().parents[2] / "bench" / "soak.py"
    spec = importlib.util.spec_from_file_location("soak", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_training_runs_in_a_row_leave_no_process_or_open_file(tmp_path):
    soak = load_soak()
    result = soak.soak("train", runs=2, workdir=tmp_path / "soak")
    assert result.failed_runs == 0, [r.exit_code for r in result.runs]
    assert all(r.peak_processes >= 3 for r in result.runs), "the mark must reach the run's Ray processes"
    assert result.leftover_processes == 0 and result.leftover_open_files == 0, [r.leftover_processes
                                                                                for r in result.runs]
    per_run = result.per_run_disk_bytes()
    assert per_run["ray session logs"] < 5 * 2**20, per_run  # Ray's logs of a 3-step run: well under 5 MiB
    assert per_run["run folders"] < 50 * 2**20, per_run  # the tiny checkpoint and its metrics
