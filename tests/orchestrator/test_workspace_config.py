"""Run config parsing and the workspace's safety rules."""

import pytest

from posttrain.run.config import RunConfig, parse_duration, slugify
from posttrain.run.workspace import RunWorkspace, write_json_atomic
from posttrain.tools.errors import ConfigError


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("30m", 1800), ("1.5h", 5400), ("2h30m", 9000), ("45", 45)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["soon", "5x", "", "-3m", "m"])
def test_bad_durations(text):
    with pytest.raises(ConfigError, match="time-budget"):
        parse_duration(text)


def test_config_round_trip(tmp_path):
    cfg = RunConfig(goal="  Teach addition ", benchmark="arithmetic", run_dir=str(tmp_path), time_budget="10m", agents=["a.b:c"])
    again = RunConfig.model_validate(cfg.model_dump())
    assert again == cfg and again.goal == "Teach addition" and again.time_budget_s == 600
    assert slugify("Teach the base model 3-digit addition!") == "teach-the-base-model-3-digit-addition"


def test_workspace_refuses_to_overwrite_a_run(tmp_path):
    workspace = RunWorkspace.create(tmp_path / "run")
    config = {"goal": "Teach addition", "benchmark": "arithmetic", "run_dir": str(workspace.root)}
    write_json_atomic(workspace.state_path, {"version": 1, "config": config, "base_model_path": "m",
                                             "status": "running"})
    with pytest.raises(ConfigError, match="already holds a run"):
        RunWorkspace.create(tmp_path / "run")
    assert workspace.load_state().status == "running"
    assert not list(workspace.root.glob(".*.tmp")), "atomic writes leave no temp files"
