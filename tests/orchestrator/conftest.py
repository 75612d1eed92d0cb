"""Fixtures shared by the orchestrator tests: one real offline run for the whole session."""

from pathlib import Path

import pytest


OFFLINE_RUN_GOAL = "Teach the base model a Caesar shift"


@pytest.fixture(scope="session")
def offline_run(tmp_path_factory) -> Path:
    """One real offline run (tiny model, Ray, TRL, Trackio): ~2 min on 2 CPUs, made once per session and shared by
    the slow tests that read a finished run (report, status, transcript export, Trackio team logging, console
    replay). Tests must not modify it: copy what they change."""
    from posttrain.orchestrator.cli import main

    run_dir = tmp_path_factory.mktemp("offline-run") / "20261128T071050Z-teach-the-base-model-a-caesar-shift"
    code = main(["run", OFFLINE_RUN_GOAL, "--max-iterations", "1", "--playbook-scale", "0.1", "--run-dir",
                 str(run_dir)])
    assert code == 0, (run_dir / "summary.json").read_text() if (run_dir / "summary.json").exists() else code
    return run_dir
