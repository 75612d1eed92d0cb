"""Reward functions on real strings, spec validation, the TRL mapping and dataset checks."""

import json

import pytest
from pydantic import ValidationError

from posttrain.tools.errors import ConfigError
from posttrain.tools.training import GRPOSpec, LoraSpec, RewardSpec, SFTSpec
from posttrain.tools.training.data_loading import check_dataset, load_train_dataset
from posttrain.tools.training.rewards import build_reward_funcs


def _one(name: str, **params):
    return build_reward_funcs([RewardSpec(name=name, params=params)], benchmark="caesar")[0]


def test_rewards_score_real_completions():
    assert _one("exact_match")(completions=[" rangf", "range"], answer=["rangf", "rangf"]) == [1.0, 0.0]
    assert _one("numeric_match")(completions=["0579", "5790", "it is 579"], answer=["579"] * 3) == [1.0, 0.0, 1.0]
    assert _one("choice_letter")(completions=["(B)", "Answer: C", "B."], answer=["B", "B", "B"]) == [1.0, 0.0, 1.0]
    assert _one("format", pattern="[a-z]{5}")(completions=["rangf", "rang f"]) == [1.0, 0.0]
    assert _one("length_penalty", max_tokens=2)(completions=["", ""], completion_ids=[[1, 2], [1, 2, 3]]) == [0, -0.5]
    chat = [[{"role": "assistant", "content": "rangf"}]]
    assert _one("exact_match")(completions=chat, answer=["rangf"]) == [1.0]


def test_benchmark_reward_uses_the_evaluator_scorer():
    reward = _one("benchmark")
    assert reward(prompts=["qzmfe>", "qzmfe>"], completions=["rangf", "range"], answer=["rangf", "rangf"]) == [1, 0]


def test_bad_reward_params_are_config_errors():
    with pytest.raises(ConfigError, match="pattern"):
        _one("format")
    with pytest.raises(ConfigError, match="does not compile"):
        _one("format", pattern="(")


def test_spec_validators_state_the_fix():
    with pytest.raises(ValidationError, match="benchmark="):
        GRPOSpec(base_model="m", dataset="d.jsonl")
    with pytest.raises(ValidationError, match="eval_benchmark"):
        SFTSpec(base_model="m", dataset="d.jsonl", eval_every=10)
    with pytest.raises(ValidationError, match="num_generations"):
        GRPOSpec(base_model="m", dataset="d.jsonl", benchmark="caesar", num_generations=1)
    with pytest.raises(ValidationError):
        SFTSpec(base_model="m", dataset="d.jsonl", max_stepz=3)  # typos are rejected, not ignored


def test_specs_map_onto_trl_configs(tmp_path):
    sft = SFTSpec(base_model="m", dataset="d.jsonl", max_steps=200, warmup_ratio=0.1, lora=LoraSpec(r=4),
                  trl_overrides={"weight_decay": 0.1}).to_trl(tmp_path, project="p", run_name="r", use_gpu=False)
    assert (sft.per_device_train_batch_size, sft.warmup_steps, sft.weight_decay) == (64, 20, 0.1)
    assert sft.report_to == ["trackio"] and sft.project == "p" and sft.use_cpu and not sft.gradient_checkpointing
    grpo = GRPOSpec(base_model="m", dataset="d.jsonl", benchmark="caesar",
                    rewards=[RewardSpec(name="benchmark"), RewardSpec(name="length_penalty", weight=0.1)]
                    ).to_trl(tmp_path, project="p", run_name="r", use_gpu=False, use_vllm=False)
    assert (grpo.per_device_train_batch_size, grpo.num_generations, grpo.reward_weights) == (128, 16, [1.0, 0.1])
    assert grpo.loss_type == "dapo" and grpo.beta == 0.0


def test_dataset_checks_and_loading(tmp_path, sft_data, messages_data):
    check_dataset(sft_data, "sft")
    check_dataset(messages_data, "sft")
    check_dataset("someone/some-dataset", "grpo")  # a Hub id is checked when it is loaded
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"question": "x"}) + "\n")
    with pytest.raises(ConfigError, match="needs prompt and answer"):
        check_dataset(str(bad), "grpo")
    with pytest.raises(ConfigError, match="no .jsonl/.parquet"):
        check_dataset(str(tmp_path / "empty"), "sft") if (tmp_path / "empty").mkdir() is None else None
    load_train_dataset(sft_data).to_parquet(tmp_path / "data.parquet")
    check_dataset(str(tmp_path / "data.parquet"), "sft")
    assert load_train_dataset(str(tmp_path / "data.parquet")).num_rows == 256
    with pytest.raises(ConfigError, match="cannot load Hub dataset"):
        load_train_dataset("someone/not-here")


def test_packed_rows_do_not_attend_across_documents(tiny_model_path):
    """What SFTSpec(packing=True) relies on: TRL's padding-free rows carry position_ids (use_cache=False), and
    transformers turns them into a block-diagonal mask, so a packed document sees only itself."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_path, attn_implementation="sdpa").train()
    first, second = torch.randint(5, 60, (1, 7)), torch.randint(5, 60, (1, 5))
    packed = model(input_ids=torch.cat([first, second], 1), use_cache=False,
                   position_ids=torch.cat([torch.arange(7), torch.arange(5)])[None]).logits
    alone = model(input_ids=second, use_cache=False).logits
    assert torch.allclose(packed[:, 7:], alone, atol=1e-4)


def test_packing_spec_trains(tiny_model_path, sft_data, tmp_path):
    from posttrain.tools.training.result import read_metrics_file
    from posttrain.tools.training.sft import train_sft

    spec = SFTSpec(base_model=str(tiny_model_path), dataset=sft_data, packing=True, batch_size=4, max_length=64,
                   max_steps=5, logging_steps=5)
    train_sft(spec, tmp_path, project="t-pack", run_name="pack", use_gpu=False)
    assert read_metrics_file(tmp_path / "metrics.jsonl")[0]["loss"] > 0


def test_conversational_rows_train_on_assistant_turns(tiny_model_path, messages_data, tmp_path):
    from posttrain.tools.training.result import read_metrics_file
    from posttrain.tools.training.sft import train_sft

    spec = SFTSpec(base_model=str(tiny_model_path), dataset=messages_data, batch_size=8, max_steps=4, logging_steps=2)
    outcome = train_sft(spec, tmp_path, project="t-chat", run_name="chat", use_gpu=False)
    rows = read_metrics_file(tmp_path / "metrics.jsonl")
    assert [r["step"] for r in rows if "loss" in r] == [2, 4] and (tmp_path / "checkpoint" / "config.json").exists()
    assert outcome.checkpoint.endswith("checkpoint")
