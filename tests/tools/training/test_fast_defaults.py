"""The device decisions (fast_defaults, memory_fit) on made-up device facts: CPU unchanged, CUDA on the fast path,
explicit spec values kept, a model that does not fit gets a plan (or a one-line error), and the choices map onto
real TRL config fields."""

import dataclasses

import pytest

from posttrain.tools.errors import ConfigError
from posttrain.tools.training import GRPOSpec, LoraSpec, RewardSpec, SFTSpec
from posttrain.tools.training.base_config import common_trl_kwargs
from posttrain.tools.training.device import DeviceFacts
from posttrain.tools.training.fast_defaults import resolve_grpo, resolve_sft
from posttrain.tools.training.memory_fit import plan_fit, row_gb, state_gb
from posttrain.tools.training.sizing import size_from_config


H100 = DeviceFacts(cuda=True, name="NVIDIA H100 80GB HBM3", capability=(9, 0), total_memory_gb=85.0,
                   free_memory_gb=84.0, gpu_count=1, bf16=True, flex_attention=True, packages=["liger_kernel"])
BENCH_335M = size_from_config({"hidden_size": 1024, "num_hidden_layers": 24, "vocab_size": 32768,
                               "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 64})
QWEN_8B = size_from_config({"hidden_size": 4096, "num_hidden_layers": 36, "vocab_size": 151936,
                            "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128})
SFT = dict(base_model="m", dataset="d.jsonl")
GRPO = dict(base_model="m", dataset="d.jsonl", rewards=[RewardSpec(name="exact_match")])


def test_cpu_defaults_are_the_tiny_recipes_unchanged(tmp_path):
    sft = resolve_sft(SFTSpec(**SFT), None, DeviceFacts.cpu())
    assert (sft.micro_batch, sft.grad_accum, sft.packing, sft.liger, sft.bf16, sft.gradient_checkpointing) == (
        64, 1, False, False, False, False)
    config = SFTSpec(**SFT).to_trl(tmp_path, project="p", run_name="r", use_gpu=False)
    assert (config.per_device_train_batch_size, config.packing, config.gradient_checkpointing) == (64, False, False)
    assert config.model_init_kwargs is None and not config.use_liger_kernel
    grpo = GRPOSpec(**GRPO).to_trl(tmp_path, project="p", run_name="r", use_gpu=False)
    assert (grpo.per_device_train_batch_size, grpo.generation_batch_size, grpo.use_vllm) == (128, 128, False)
    assert not grpo.use_transformers_continuous_batching


def test_cuda_sft_takes_the_fast_path_with_a_reason_for_each_choice():
    resolved = resolve_sft(SFTSpec(**SFT, max_length=2048), BENCH_335M, H100)
    assert resolved.packing and resolved.liger and resolved.bf16 and not resolved.gradient_checkpointing
    assert resolved.attn_implementation == "flex_attention"  # flash_attn absent from H100's packages
    assert resolved.micro_batch == 32 and resolved.probe_start == 32  # 64k-token cap; the probe then measures
    assert resolved.pad_to_multiple_of == 32 * 2048
    assert {"packing", "liger", "attn_implementation", "micro_batch", "memory_plan"} <= set(resolved.reasons)
    with_flash = H100.model_copy(update={"packages": ["liger_kernel", "flash_attn"]})
    assert resolve_sft(SFTSpec(**SFT, max_length=2048), BENCH_335M, with_flash).attn_implementation == \
        "flash_attention_2"
    measured = resolve_sft(SFTSpec(**SFT, max_length=2048), BENCH_335M, H100, probed_micro_batch=16)
    assert (measured.micro_batch, measured.probe_start) == (16, None) and "probe" in measured.reasons["micro_batch"]


def test_explicit_spec_values_win_and_a_batch_is_split_into_micro_batches_that_fit():
    spec = SFTSpec(**SFT, max_length=2048, batch_size=48, packing=False, liger=False, gradient_checkpointing=True,
                   attn_implementation="sdpa")
    resolved = resolve_sft(spec, BENCH_335M, H100, probed_micro_batch=16)
    assert (resolved.micro_batch, resolved.grad_accum) == (16, 3)
    assert not resolved.packing and not resolved.liger and resolved.gradient_checkpointing
    assert resolved.attn_implementation == "sdpa" and resolved.pad_to_multiple_of is None
    assert resolved.reasons["liger"] == "set in the spec (False)"


def test_memory_estimate_matches_the_measured_fast_path_and_plans_what_does_not_fit():
    # bench/README: 335M, 16 packed rows of 2048, no checkpointing -> 42.0 GB peak on the H100
    estimate = state_gb(BENCH_335M, lora=False, bf16_weights=False) + 16 * row_gb(
        BENCH_335M, 2048, checkpointing=False, fused_loss=True)
    assert 30 < estimate < 50
    plan = plan_fit(QWEN_8B, 70.0, lora=False, bf16_weights=False, fused_loss=True, row_tokens=2048)
    assert plan.lora and not plan.fsdp and "LoRA" in plan.reasons[-1]
    sharded = plan_fit(QWEN_8B, 70.0, lora=False, bf16_weights=False, fused_loss=True, row_tokens=2048, workers=4)
    assert sharded.fsdp and not sharded.lora
    resolved = resolve_sft(SFTSpec(**SFT, max_length=2048), QWEN_8B, H100.model_copy(update={"free_memory_gb": 40}))
    assert resolved.lora and resolved.bf16_weights and "LoRA" in resolved.reasons["lora"]
    with pytest.raises(ConfigError, match="even with LoRA.*fix: lower max_length"):
        plan_fit(QWEN_8B, 10.0, lora=True, bf16_weights=False, fused_loss=True, row_tokens=8192)


def test_cuda_grpo_rollouts_vllm_when_installed_else_continuous_batching():
    spec = GRPOSpec(**GRPO, max_completion_length=256)
    paged = resolve_grpo(spec, BENCH_335M, H100)
    assert paged.rollout == "continuous_batching" and paged.bf16_weights and paged.vllm_gpu_memory_utilization is None
    assert (paged.micro_batch, paged.generation_batch_size) == (128, 512)  # 4 steps per generation round
    with_vllm = resolve_grpo(spec, BENCH_335M, H100.model_copy(update={"packages": ["vllm"]}))
    assert with_vllm.rollout == "vllm" and 0.1 <= with_vllm.vllm_gpu_memory_utilization <= 0.2
    big = resolve_grpo(spec, QWEN_8B, H100.model_copy(update={"packages": ["vllm"]}))
    assert big.vllm_gpu_memory_utilization > with_vllm.vllm_gpu_memory_utilization
    assert big.lora and "LoRA" in big.reasons["lora"]  # full bf16 GRPO state (63 GB) does not fit beside vLLM
    assert resolve_grpo(spec.model_copy(update={"paged_generation": False}), BENCH_335M, H100).rollout == "generate"
    with pytest.raises(ConfigError, match="needs a CUDA GPU"):
        resolve_grpo(spec.model_copy(update={"use_vllm": True}), None, DeviceFacts.cpu())


def test_cuda_choices_map_onto_real_trl_config_fields(tmp_path):
    from trl import GRPOConfig, SFTConfig

    sft = resolve_sft(SFTSpec(**SFT, max_length=2048, lora=LoraSpec()), BENCH_335M, H100)
    kwargs = common_trl_kwargs(SFTSpec(**SFT), tmp_path, project="p", run_name="r", use_gpu=True, resolved=sft)
    assert kwargs["model_init_kwargs"] == {"attn_implementation": "flex_attention", "dtype": "bfloat16"}
    assert kwargs["use_liger_kernel"] and kwargs["bf16"] and kwargs["per_device_train_batch_size"] == 32
    assert set(kwargs) <= {f.name for f in dataclasses.fields(SFTConfig)}
    grpo = resolve_grpo(GRPOSpec(**GRPO, num_workers=2), BENCH_335M, H100)
    kwargs = common_trl_kwargs(GRPOSpec(**GRPO), tmp_path, project="p", run_name="r", use_gpu=True, resolved=grpo)
    assert kwargs["per_device_train_batch_size"] == 64 and kwargs["ddp_find_unused_parameters"] is False
    assert set(kwargs) | {"use_transformers_continuous_batching", "generation_batch_size"} <= {
        f.name for f in dataclasses.fields(GRPOConfig)}


def test_workers_must_split_the_batch_and_match_the_gpus():
    assert SFTSpec(**SFT, num_gpus=2).num_workers == 2
    with pytest.raises(ValueError, match="does not split over 2 workers"):
        SFTSpec(**SFT, batch_size=15, num_workers=2)
    with pytest.raises(ValueError, match="one worker per GPU"):
        GRPOSpec(**GRPO, num_gpus=2, num_workers=4)
    with pytest.raises(ValueError, match="need num_gpus=2"):
        SFTSpec(**SFT, num_gpus=1, num_workers=2)
    assert SFTSpec(**SFT, num_gpus=0, num_workers=2).gpus_per_worker == 0
    with pytest.raises(ValueError, match="does not split over 3 workers"):
        GRPOSpec(**GRPO, num_workers=3, prompts_per_step=2, num_generations=4)
