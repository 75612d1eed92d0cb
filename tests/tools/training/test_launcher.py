"""run_training end to end on the local Ray cluster with the tiny model: tracking, export, cancel, crash, bad input."""

import json
import os
import threading
import time
from pathlib import Path

import pytest

from posttrain.tools.errors import ConfigError
from posttrain.tools.training import (
    GRPOSpec,
    LoraSpec,
    RewardSpec,
    SFTSpec,
    list_tracked_runs,
    read_tracked_metrics,
    run_training,
)


def test_sft_runs_on_ray_tracks_streams_and_exports(ray_cluster, tiny_model_path, sft_data, tmp_path):
    seen = []
    spec = SFTSpec(base_model=str(tiny_model_path), dataset=sft_data, max_steps=30, logging_steps=5)
    result = run_training(spec, tmp_path / "sft", project="t-launch", run_name="sft",
                          progress=lambda task, done, total=None, **info: seen.append((task, done, info)))

    assert result.status == "succeeded", result.error
    assert [row["step"] for row in result.metrics if "loss" in row] == [5, 10, 15, 20, 25, 30]
    assert result.summary["last_loss"] < result.summary["first_loss"] / 2
    assert any(task == "train sft" and "loss" in info for task, _, info in seen)
    assert Path(result.log_path).stat().st_size > 0
    recorded = json.loads((tmp_path / "sft" / "spec.json").read_text())["resolved"]  # the worker's device choices
    assert recorded == result.spec["resolved"] and recorded["device"] == "cpu" and recorded["micro_batch"] == 64
    assert "micro_batch" in recorded["reasons"]
    tracked = [row for row in read_tracked_metrics("t-launch", "sft") if "train/loss" in row]
    assert [row["train/loss"] for row in tracked] == pytest.approx([row["loss"] for row in result.metrics
                                                                    if "loss" in row])

    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(result.checkpoint)
    tokenizer = AutoTokenizer.from_pretrained(result.checkpoint)
    assert model.config.hidden_size == 128 and tokenizer.decode(tokenizer("ab>")["input_ids"]) == "ab>"


def test_lora_grpo_merges_adapter_on_export(ray_cluster, tiny_model_path, grpo_data, tmp_path):
    spec = GRPOSpec(base_model=str(tiny_model_path), dataset=grpo_data, rewards=[RewardSpec(name="length_penalty",
                    params={"max_tokens": 2})], max_steps=3, logging_steps=1, num_generations=4, prompts_per_step=2,
                    max_completion_length=4, lora=LoraSpec(r=4, alpha=8))
    result = run_training(spec, tmp_path / "grpo", project="t-launch", run_name="grpo-lora")

    assert result.status == "succeeded", result.error
    assert "last_reward" in result.summary and result.summary["steps"] == 3
    checkpoint = Path(result.checkpoint)
    assert not (checkpoint / "adapter_config.json").exists()
    from transformers import AutoModelForCausalLM

    AutoModelForCausalLM.from_pretrained(checkpoint)  # plain load, no peft
    assert "grpo-lora" in list_tracked_runs("t-launch")


def test_cancel_kills_the_task_and_leaves_no_process(ray_cluster, tiny_model_path, sft_data, tmp_path):
    cancel = threading.Event()

    def progress(task, done, total=None, **info):
        cancel.set()  # first metrics row: the run is really training

    spec = SFTSpec(base_model=str(tiny_model_path), dataset=sft_data, max_steps=100_000, logging_steps=1)
    result = run_training(spec, tmp_path / "c", project="t-launch", run_name="cancel", progress=progress,
                          cancel=cancel)

    assert result.status == "cancelled" and "cancelled" in result.error
    assert result.checkpoint is None and result.metrics
    pid = int((tmp_path / "c" / "worker.pid").read_text())
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "zombie" not in status.read_text()


def test_crash_out_of_memory_is_a_failed_result_with_finding(ray_cluster, tiny_model_path, sft_data, tmp_path):
    spec = SFTSpec(base_model=str(tiny_model_path), dataset=sft_data, max_steps=5, max_memory_gb=0.5)
    result = run_training(spec, tmp_path / "oom", project="t-launch", run_name="oom")

    assert result.status == "failed" and result.checkpoint is None
    assert result.findings[0].kind == "out_of_memory", result.error
    assert "Traceback" in Path(result.log_path).read_text()


def test_bad_input_raises_config_error_before_ray(tiny_model_path, grpo_data, tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        run_training(SFTSpec(base_model=str(tiny_model_path), dataset=str(tmp_path / "nope.jsonl")), tmp_path,
                     project="p", run_name="r")
    with pytest.raises(ConfigError, match="needs prompt\\+completion"):
        run_training(SFTSpec(base_model=str(tiny_model_path), dataset=grpo_data), tmp_path, project="p",
                     run_name="r")
    with pytest.raises(ConfigError, match="no config.json"):
        run_training(SFTSpec(base_model=str(tmp_path), dataset=grpo_data), tmp_path, project="p", run_name="r")
