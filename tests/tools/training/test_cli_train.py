"""`posttrain train sft|grpo|dpo` and `posttrain dashboard` through the real CLI entry point, and the dashboard tool."""

import json
from pathlib import Path

import httpx
import pytest

from posttrain.orchestrator.cli import main


DATA = Path(__file__).resolve().parents[2] / "fixtures" / "training"


def test_train_sft_json_runs_and_reports(ray_cluster, tiny_model_path, sft_data, tmp_path, capsys):
    config = tmp_path / "sft.yaml"
    config.write_text("learning_rate: 0.003\nlogging_steps: 5\nbatch_size: 32\n")
    code = main(["train", "sft", "--base-model", str(tiny_model_path), "--dataset", sft_data, "--config", str(config),
                 "--out", str(tmp_path / "runs" / "cli-sft"), "--max-steps", "10", "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "succeeded" and result["project"] == "runs" and result["run_name"] == "cli-sft"
    assert result["summary"]["steps"] == 10 and (tmp_path / "runs" / "cli-sft" / "checkpoint" / "config.json").exists()


def test_train_bad_input_exits_2(tiny_model_path, tmp_path, capsys):
    assert main(["train", "sft", "--dataset", str(tmp_path / "x.jsonl")]) == 2
    assert "--base-model" in capsys.readouterr().err
    assert main(["train", "grpo", "--base-model", str(tiny_model_path), "--dataset", "d.jsonl"]) == 2
    assert "benchmark" in capsys.readouterr().err
    assert main(["dashboard", str(tmp_path / "missing")]) == 2


def test_dashboard_serves_the_project(tmp_path):
    import trackio

    from posttrain.tools.errors import ToolError
    from posttrain.tools.training import dashboard, read_tracked_metrics

    trackio.init(project="t-dash", name="r1", auto_log_cpu=False, auto_log_gpu=False)
    for step in range(3):
        trackio.log({"train/loss": 1.0 / (step + 1)}, step=step)
    trackio.finish()
    assert [row["train/loss"] for row in read_tracked_metrics("t-dash", "r1")] == pytest.approx([1, 0.5, 1 / 3])
    with pytest.raises(ToolError, match="runs there: \\['r1'\\]"):
        read_tracked_metrics("t-dash", "nope")
    handle = dashboard("t-dash", open_browser=False)
    try:
        assert httpx.get(handle.url, timeout=10).status_code == 200
    finally:
        handle.close()


def _preference_rows(n: int) -> list[dict]:
    """User preference data on the Caesar task: the right shift chosen, a wrong one (the prompt itself) rejected."""
    rows = [json.loads(line) for line in (DATA / "sft_caesar.jsonl").read_text().splitlines()[:n]]
    return [{"prompt": r["prompt"], "chosen": r["completion"], "rejected": r["prompt"].rstrip(">")} for r in rows]


def test_train_dpo_on_user_preference_pairs(ray_cluster, tiny_model_path, tmp_path, capsys):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(json.dumps(row) + "\n" for row in _preference_rows(64)))
    config = tmp_path / "dpo.yaml"
    config.write_text("learning_rate: 0.001\nlogging_steps: 2\nbatch_size: 8\nmax_length: 32\n")
    code = main(["train", "dpo", "--base-model", str(tiny_model_path), "--dataset", str(pairs), "--config",
                 str(config), "--out", str(tmp_path / "runs" / "cli-dpo"), "--max-steps", "6", "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["method"] == "dpo" and result["status"] == "succeeded" and result["summary"]["steps"] == 6
    assert result["spec"]["nll_alpha"] == 1.0 and result["spec"]["beta"] == 0.1  # Iterative RPO's loss by default
    metrics = [json.loads(line) for line in (tmp_path / "runs" / "cli-dpo" / "metrics.jsonl").read_text().splitlines()]
    assert any("rewards/margins" in row for row in metrics)  # TRL's DPOTrainer ran and logged its preference metrics
    assert (tmp_path / "runs" / "cli-dpo" / "checkpoint" / "config.json").exists()


def test_train_dpo_bad_data_exits_2(tiny_model_path, tmp_path, capsys):
    rows = tmp_path / "sft.jsonl"
    rows.write_text(json.dumps({"prompt": "a>", "completion": "b"}) + "\n")
    assert main(["train", "dpo", "--base-model", str(tiny_model_path), "--dataset", str(rows)]) == 2
    err = capsys.readouterr().err
    assert "DPO dataset" in err and "prompt+chosen+rejected" in err and "Traceback" not in err
    assert main(["train", "dpo", "--base-model", str(tiny_model_path), "--dataset", str(rows), "--config",
                 str(tmp_path / "none.yaml")]) == 2
