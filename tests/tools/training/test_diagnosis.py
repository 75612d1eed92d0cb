"""Each diagnosis provoked for real on the tiny model (in-process TRL runs), plus the pure rules on known numbers."""

import json
from pathlib import Path

import pytest

from posttrain.tools.training import GRPOSpec, RewardSpec, SFTSpec, diagnose
from posttrain.tools.training.result import read_metrics_file


def _train(spec, out: Path) -> list[dict]:
    from posttrain.tools.training.grpo import train_grpo
    from posttrain.tools.training.sft import train_sft

    out.mkdir(parents=True, exist_ok=True)
    trainer = train_sft if spec.method == "sft" else train_grpo
    trainer(spec, out, project="t-diag", run_name=out.name, use_gpu=False)
    return read_metrics_file(out / "metrics.jsonl")


def _kinds(metrics: list[dict], **kw) -> dict[str, str]:
    return {f.kind: f.evidence for f in diagnose(metrics, **kw)}


def test_zero_learning_rate_is_no_learning(tiny_model_path, sft_data, tmp_path):
    metrics = _train(SFTSpec(base_model=str(tiny_model_path), dataset=sft_data, max_steps=20, logging_steps=5,
                             learning_rate=0.0), tmp_path / "lr0")
    assert "loss stayed flat" in _kinds(metrics)["no_learning"]


def test_absurd_learning_rate_is_loss_divergence(tiny_model_path, sft_data, tmp_path):
    metrics = _train(SFTSpec(base_model=str(tiny_model_path), dataset=sft_data, max_steps=20, logging_steps=2,
                             learning_rate=5.0, warmup_ratio=0.0), tmp_path / "lr5")
    assert "loss" in _kinds(metrics)["loss_divergence"]


def test_constant_reward_is_reward_collapse(tiny_model_path, grpo_data, tmp_path):
    never = RewardSpec(name="format", params={"pattern": "NEVER"})
    metrics = _train(GRPOSpec(base_model=str(tiny_model_path), dataset=grpo_data, rewards=[never], max_steps=4,
                              logging_steps=1, num_generations=4, prompts_per_step=4, max_completion_length=4),
                     tmp_path / "const")
    findings = {f.kind: f for f in diagnose(metrics)}
    assert findings["reward_collapse"].severity == "error"
    assert "frac_reward_zero_std 1.00" in findings["reward_collapse"].evidence


def test_hot_rl_is_kl_blowup_and_entropy_collapse(tiny_model_path, grpo_data, tmp_path):
    short = RewardSpec(name="length_penalty", params={"max_tokens": 1})
    metrics = _train(GRPOSpec(base_model=str(tiny_model_path), dataset=grpo_data, rewards=[short], max_steps=10,
                              logging_steps=1, num_generations=8, prompts_per_step=4, max_completion_length=6,
                              beta=0.1, learning_rate=3e-2), tmp_path / "hot")
    kinds = _kinds(metrics)
    assert "kl reached" in kinds["kl_blowup"] and "entropy fell" in kinds["entropy_collapse"]


@pytest.mark.slow
def test_bad_labels_after_good_sft_is_overfitting(tiny_model_path, tmp_path):
    from posttrain.tools.evaluation import get_benchmark

    bench = get_benchmark("caesar")

    def rows(noise: float, seed: int) -> str:
        path = tmp_path / f"noise{noise}.jsonl"
        items = bench.train_items(2000, seed=seed, teacher_noise=noise)
        path.write_text("".join(json.dumps({"prompt": i.prompt, "completion": i.answer}) + "\n" for i in items))
        return str(path)

    good = tmp_path / "good"
    _train(SFTSpec(base_model=str(tiny_model_path), dataset=rows(0.0, 0), max_steps=100, logging_steps=20), good)
    metrics = _train(SFTSpec(base_model=str(good / "checkpoint"), dataset=rows(1.0, 1), max_steps=30,
                             logging_steps=10, learning_rate=1e-3, warmup_ratio=0.0, eval_benchmark="caesar",
                             eval_every=10, eval_limit=100), tmp_path / "bad")
    assert "eval score fell" in _kinds(metrics)["overfitting"]


def test_rules_on_known_numbers():
    assert "nan" in _kinds([{"step": 1, "loss": 2.0}, {"step": 2, "loss": "nan"}])["loss_divergence"]
    plateau = [{"step": s, "eval_score": v} for s, v in [(0, 0.0), (100, 0.31), (200, 0.33), (300, 0.32), (400, 0.32)]]
    assert "stopped improving" in _kinds(plateau)["plateau"]
    stalled = _kinds([], eval_scores=[0.05, 0.08, 0.08, 0.08])
    assert "stalled low" in stalled["plateau"]
    solved = diagnose([{"step": s, "reward": 1.0, "reward_std": 0.0, "frac_reward_zero_std": 1.0} for s in (1, 2, 3)])
    assert solved[0].kind == "reward_collapse" and solved[0].severity == "info"
    assert diagnose([{"step": s, "loss": 3.0 - 0.2 * s} for s in range(1, 6)]) == []


def test_errors_become_findings():
    cuda = "OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB"
    assert diagnose([], error=cuda)[0].kind == "out_of_memory"
    assert diagnose([], error="RuntimeError: DefaultCPUAllocator: can't allocate memory")[0].kind == "out_of_memory"
    at_import = ("ImportError: /usr/lib/python3.11/site-packages/numpy/random/_common.cpython-311-x86_64-linux-gnu.so: "
                 "cannot map zero-fill pages")  # the memory limit bit while a worker imported trl
    assert diagnose([], error=at_import)[0].kind == "out_of_memory"
    crash = diagnose([], error="KeyError: 'completion'")[0]
    assert crash.kind == "crash" and "train.log" in crash.fix
