"""Resolve a spec's automatic settings (the fields left at None) for the device it runs on, with a reason for each.

One pure function per method: given the spec, the model's size and the device facts, it returns the choices. On
CUDA they are the fast path measured in bench/ (packing with per-document masking, Liger's layer kernels, bf16,
the best attention kernel, no gradient checkpointing unless memory needs it, a micro-batch from the card's memory;
GRPO with bf16 weights, vLLM colocated or transformers' continuous batching, and big generation rounds). On CPU
they are the CPU defaults the tiny recipes were measured with, unchanged. Explicit spec values always win::

    resolved = resolve_sft(spec, size, DeviceFacts.detect(use_gpu=True))
    resolved.micro_batch, resolved.packing, resolved.reasons["attn_implementation"]

The choices are written into the run's spec.json (key "resolved"), so a user sees what ran.
"""

import math
from typing import Literal

from pydantic import BaseModel, Field

from posttrain.tools.errors import ConfigError
from posttrain.tools.training.device import DeviceFacts
from posttrain.tools.training.memory_fit import GB, HEADROOM, plan_fit
from posttrain.tools.training.sizing import ModelSize


CPU_SFT_BATCH = 64  # the tiny char model's measured recipe (bench/task_lr_sweep.py)
# An automatic CUDA batch stops at this many tokens per optimizer step: the measured fast path ran 16 × 2048 =
# 32k-token steps; beyond ~64k a step mostly costs updates (fewer of them per epoch) for little more throughput.
AUTO_TOKENS_PER_STEP = 65_536
# Optimizer steps one GRPO generation round feeds on CUDA: a round of 4 steps' completions keeps the sampler's
# batch big (the measured fast path: 256 completions per round over 4 steps); later steps of the round are
# corrected by TRL's importance ratio.
CUDA_STEPS_PER_GENERATION = 4
# Prompt tokens assumed per GRPO row when sizing memory (prompts are not tokenized before the trainer starts).
GRPO_PROMPT_TOKENS = 256
FLASH_ATTENTION_MIN_CAPABILITY = (8, 0)
# Sequences whose KV cache vLLM's share is sized for; it schedules a bigger round in waves.
VLLM_CONCURRENT_SEQUENCES = 256

Rollout = Literal["vllm", "continuous_batching", "generate"]


class Resolved(BaseModel):
    """The settings a run actually uses, and why (`reasons`, one line per decided setting)."""

    device: str = Field(description="'cpu' or the card's name.")
    workers: int = Field(1, description="Data-parallel training processes.")
    micro_batch: int = Field(description="Rows per forward/backward on each worker (per_device_train_batch_size).")
    grad_accum: int = Field(1, description="Micro-batches per optimizer step.")
    probe_start: int | None = Field(None, description="Measure the largest micro-batch ≤ this on the card before "
                                                       "training (None: no probe).")
    packing: bool = Field(False, description="SFT: BFD packing, padding-free rows with per-document masking.")
    attn_implementation: str | None = Field(None, description="Attention kernel; None = the model's default.")
    pad_to_multiple_of: int | None = Field(None, description="Flattened batch length (one compiled FlexAttention).")
    liger: bool = Field(False, description="Liger's layer kernels (RMSNorm, SwiGLU, RoPE).")
    bf16: bool = Field(False, description="bf16 mixed precision.")
    bf16_weights: bool = Field(False, description="Load the weights in bf16 (GRPO's fast path; LoRA's frozen base).")
    gradient_checkpointing: bool = Field(False, description="Recompute activations in the backward pass.")
    lora: bool = Field(False, description="Train a LoRA adapter (asked for, or the memory plan's choice).")
    fsdp: bool = Field(False, description="Shard the model over the workers (it does not fit one card).")
    dataloader_workers: int = Field(0, description="Processes collating batches beside the training loop.")
    rollout: Rollout | None = Field(None, description="GRPO: the generation engine.")
    vllm_gpu_memory_utilization: float | None = Field(None, description="GRPO with vLLM: its share of the card.")
    generation_batch_size: int | None = Field(None, description="GRPO: completions per generation round.")
    reasons: dict[str, str] = Field(default_factory=dict, description="Setting → why it has its value.")


def resolve_sft(spec, size: ModelSize | None, facts: DeviceFacts, probed_micro_batch: int | None = None) -> Resolved:
    """Settings of an `SFTSpec` on `facts`' device; `probed_micro_batch` is the batch probe's measurement."""
    workers = spec.num_workers
    if not facts.cuda:
        batch = spec.batch_size or CPU_SFT_BATCH
        micro = _per_worker(batch, workers, "batch_size")
        return Resolved(device="cpu", workers=workers, micro_batch=micro, packing=bool(spec.packing),
                        gradient_checkpointing=bool(spec.gradient_checkpointing), lora=spec.lora is not None,
                        reasons={"micro_batch": f"CPU: batch_size {batch} split over {workers} worker(s)",
                                 "packing": "CPU: as the spec says (off unless packing=True)"})
    reasons: dict[str, str] = {}
    packing = _choose(spec.packing, spec.max_length >= 32, reasons, "packing",
                      "CUDA: BFD packing into padding-free rows, documents masked from each other",
                      "max_length < 32 leaves nothing to pack")
    liger = _choose(spec.liger, facts.has("liger_kernel"), reasons, "liger",
                    "liger_kernel is installed (the gpu extra)", "liger_kernel is not installed (pip install "
                    "'posttrain[gpu]')")
    attn = _attention(spec.attn_implementation, facts, packing, reasons)
    plan = _plan(spec, size, facts, row_tokens=spec.max_length, bf16_weights=False, reasons=reasons)
    micro, accum, probe_start = _sft_batch(spec, plan.micro_batch, probed_micro_batch, workers, reasons)
    pad_to = micro * spec.max_length if attn == "flex_attention" and packing else None
    if pad_to:
        reasons["pad_to_multiple_of"] = "FlexAttention compiles once per shape: every flattened batch is padded " \
                                        f"to micro_batch × max_length = {pad_to} tokens"
    return Resolved(device=facts.name, workers=workers, micro_batch=micro, grad_accum=accum, probe_start=probe_start,
                    packing=packing, attn_implementation=attn, pad_to_multiple_of=pad_to, liger=liger,
                    bf16=facts.bf16, bf16_weights=plan.lora, gradient_checkpointing=plan.checkpointing,
                    lora=plan.lora, fsdp=plan.fsdp, dataloader_workers=2, reasons={
                        **reasons, "bf16": "bf16 autocast" if facts.bf16 else "the card has no bf16",
                        "dataloader_workers": "2 processes collate packed batches beside the GPU loop"})


def resolve_grpo(spec, size: ModelSize | None, facts: DeviceFacts) -> Resolved:
    """Settings of a `GRPOSpec` on `facts`' device: rollout engine, precision, batch split, generation rounds."""
    workers = spec.num_workers
    per_worker = _per_worker(spec.completions_per_step, workers, "prompts_per_step × num_generations")
    if not facts.cuda:
        if spec.use_vllm:
            raise ConfigError("use_vllm=True needs a CUDA GPU; set use_vllm=None (or false) for CPU runs")
        paged = bool(spec.paged_generation)  # asked for explicitly: it runs on CPU too, slowly
        return Resolved(device="cpu", workers=workers, micro_batch=per_worker, lora=spec.lora is not None,
                        gradient_checkpointing=bool(spec.gradient_checkpointing),
                        rollout="continuous_batching" if paged else "generate",
                        generation_batch_size=_generation_batch(spec, spec.steps_per_generation or 1),
                        reasons={"rollout": "CPU: transformers " + ("continuous batching (set in the spec)" if paged
                                                                    else "generate"), "micro_batch":
                                 f"{spec.completions_per_step} completions per step over {workers} worker(s)"})
    reasons: dict[str, str] = {}
    rollout = _rollout(spec, facts, reasons)
    liger = _choose(spec.liger, facts.has("liger_kernel"), reasons, "liger",
                    "liger_kernel is installed (layer kernels; TRL's fused LM head does the loss)",
                    "liger_kernel is not installed")
    attn = _attention(spec.attn_implementation, facts, False, reasons)
    vllm_share = _vllm_share(spec, size, facts) if rollout == "vllm" else None
    if vllm_share is not None:
        reasons["vllm_gpu_memory_utilization"] = f"{vllm_share:.2f} of the card: bf16 weights + the KV cache of " \
                                                 "one generation round + 2 GB, from the model's size"
    row_tokens = GRPO_PROMPT_TOKENS + spec.max_completion_length
    plan = _plan(spec, size, facts, row_tokens=row_tokens, bf16_weights=True, reasons=reasons,
                 reserved_gb=(vllm_share or 0.0) * facts.total_memory_gb)
    micro = _largest_divisor_at_most(per_worker, plan.micro_batch)
    if micro < per_worker:
        reasons["micro_batch"] = f"{per_worker} completions per worker do not fit at once (estimate: " \
                                 f"{plan.micro_batch} rows of {row_tokens} tokens): {micro} × {per_worker // micro}"
    rounds = spec.steps_per_generation or CUDA_STEPS_PER_GENERATION
    if spec.steps_per_generation is None:
        reasons["steps_per_generation"] = f"one generation round of {rounds} steps' completions: big sampler batches"
    return Resolved(device=facts.name, workers=workers, micro_batch=micro, grad_accum=per_worker // micro,
                    attn_implementation=attn, liger=liger, bf16=facts.bf16, bf16_weights=facts.bf16,
                    gradient_checkpointing=plan.checkpointing, lora=plan.lora, fsdp=plan.fsdp, rollout=rollout,
                    vllm_gpu_memory_utilization=vllm_share, generation_batch_size=_generation_batch(spec, rounds),
                    reasons={**reasons, "bf16_weights": "GRPO samples and trains in bf16: rollouts are where its "
                             "time goes" if facts.bf16 else "the card has no bf16: fp32 weights"})


def _choose(asked: bool | None, auto: bool, reasons: dict, name: str, why_on: str, why_off: str) -> bool:
    if asked is not None:
        reasons[name] = f"set in the spec ({asked})"
        return asked
    reasons[name] = why_on if auto else why_off
    return auto


def _attention(asked: str | None, facts: DeviceFacts, packing: bool, reasons: dict) -> str | None:
    """flash_attention_2 when installed on Ampere+, else FlexAttention (per-document masks without an s² mask),
    else SDPA."""
    if asked:
        reasons["attn_implementation"] = "set in the spec"
        return asked
    if facts.has("flash_attn") and (facts.capability or (0, 0)) >= FLASH_ATTENTION_MIN_CAPABILITY:
        reasons["attn_implementation"] = "flash_attn is installed: varlen kernels over the packed documents"
        return "flash_attention_2"
    if packing and facts.flex_attention:
        reasons["attn_implementation"] = "FlexAttention: per-document masking without a dense mask (flash_attn " \
                                         "is not installed)"
        return "flex_attention"
    reasons["attn_implementation"] = "SDPA (flash_attn is not installed)"
    return "sdpa"


def _rollout(spec, facts: DeviceFacts, reasons: dict) -> Rollout:
    if spec.use_vllm and facts.vllm_note:
        raise ConfigError(f"use_vllm=True: {facts.vllm_note}; fix: set use_vllm=None (transformers rollouts) or "
                          f"install a vLLM in that range")
    if spec.use_vllm or (spec.use_vllm is None and facts.has("vllm") and spec.paged_generation is not True):
        reasons["rollout"] = "vLLM colocated in the training process" + (
            " (set in the spec)" if spec.use_vllm else " (vllm is installed)")
        return "vllm"
    if spec.paged_generation is False:
        reasons["rollout"] = "transformers generate (paged_generation=False in the spec)"
        return "generate"
    reasons["rollout"] = "transformers continuous batching (paged KV cache, CUDA graphs)" + (
        "" if spec.paged_generation else f": {facts.vllm_note or 'vllm is not installed'}")
    return "continuous_batching"


def _vllm_share(spec, size: ModelSize | None, facts: DeviceFacts) -> float:
    """vLLM's share of the card: bf16 weights, the KV cache of one round's completions (up to 256 at a time), 2 GB
    of runtime; rounded
    up to 0.05, between 0.1 and 0.7 so training keeps the rest."""
    if size is None:
        return 0.3  # TRL's default share
    sequences = min(VLLM_CONCURRENT_SEQUENCES,
                    _generation_batch(spec, spec.steps_per_generation or CUDA_STEPS_PER_GENERATION))
    tokens = sequences * (GRPO_PROMPT_TOKENS + spec.max_completion_length)
    kv_bytes = 2 * size.layers * (size.kv_width or size.hidden) * 2 * tokens  # keys and values, bf16
    need_gb = (size.parameters * 2 + kv_bytes) / GB + 2.0
    return min(0.7, max(0.1, math.ceil(need_gb / facts.total_memory_gb * 20) / 20))


def _generation_batch(spec, rounds: int) -> int:
    return spec.completions_per_step * rounds


def _plan(spec, size: ModelSize | None, facts: DeviceFacts, *, row_tokens: int, bf16_weights: bool, reasons: dict,
          reserved_gb: float = 0.0):
    from posttrain.tools.training.memory_fit import FitPlan

    if size is None:  # no config to size from: trust the spec, measure the batch
        reasons["memory_plan"] = "model size unknown: no plan, the batch probe measures"
        return FitPlan(lora=spec.lora is not None, checkpointing=bool(spec.gradient_checkpointing),
                       micro_batch=64, state_gb=0.0, row_gb=0.0)
    plan = plan_fit(size, facts.free_memory_gb * HEADROOM, lora=spec.lora is not None, bf16_weights=bf16_weights,
                    fused_loss=True, row_tokens=row_tokens, workers=spec.num_workers,
                    checkpointing=spec.gradient_checkpointing, reserved_gb=reserved_gb)
    summary = f"{size.describe()}: state ≈ {plan.state_gb:.1f} GB, one row ≈ {plan.row_gb * 1000:.0f} MB, " \
              f"{facts.free_memory_gb:.1f} GB free"
    reasons["memory_plan"] = summary + ("; " + "; ".join(plan.reasons) if plan.reasons else "; fits as asked")
    reasons["gradient_checkpointing"] = "set in the spec" if spec.gradient_checkpointing is not None else (
        "memory needs it" if plan.checkpointing else "not needed: the activations fit")
    if plan.lora and spec.lora is None:
        reasons["lora"] = f"full fine-tuning does not fit: LoRA (r=16) instead; learning_rate stays " \
                          f"{spec.learning_rate:g} (LoRA usually wants ~2e-4)"
    return plan


def _sft_batch(spec, estimate: int, probed: int | None, workers: int, reasons: dict) -> tuple[int, int, int | None]:
    """(micro-batch, accumulation, where the probe should start or None). Auto batch: the largest micro-batch
    that fits, capped at AUTO_TOKENS_PER_STEP; an explicit batch_size is kept and split into micro-batches that fit."""
    fits = probed or estimate
    source = "measured by the batch probe" if probed else "estimated from free memory"
    if spec.batch_size is None:
        cap = max(1, AUTO_TOKENS_PER_STEP // spec.max_length // workers)
        micro = max(1, min(fits, cap))
        reasons["micro_batch"] = f"auto: {micro} rows of {spec.max_length} tokens per worker ({source}: {fits}; " \
                                 f"cap {AUTO_TOKENS_PER_STEP} tokens per step)"
        return micro, 1, cap if probed is None else None
    per_worker = _per_worker(spec.batch_size, workers, "batch_size")
    micro = _largest_divisor_at_most(per_worker, fits)
    accum = per_worker // micro
    reasons["micro_batch"] = f"batch_size {spec.batch_size} kept: {micro} rows × {accum} accumulation × " \
                             f"{workers} worker(s) ({source}: {fits} rows fit)"
    return micro, accum, per_worker if probed is None else None


def _per_worker(total: int, workers: int, what: str) -> int:
    if total % workers:
        raise ConfigError(f"{what} = {total} does not split over num_workers = {workers}; make it a multiple")
    return total // workers


def _largest_divisor_at_most(n: int, limit: int) -> int:
    return max(d for d in range(1, min(n, max(1, limit)) + 1) if n % d == 0)


def resolve_dpo(spec, size: ModelSize | None, facts: DeviceFacts) -> Resolved:
    """Settings of a `DPOSpec`: each pair is two rows (chosen, rejected) through the policy and the reference."""
    workers = spec.num_workers
    per_worker = _per_worker(spec.batch_size, workers, "batch_size")
    if not facts.cuda:
        return Resolved(device="cpu", workers=workers, micro_batch=per_worker, lora=spec.lora is not None,
                        gradient_checkpointing=bool(spec.gradient_checkpointing),
                        reasons={"micro_batch": f"CPU: batch_size {spec.batch_size} over {workers} worker(s)"})
    reasons: dict[str, str] = {}
    attn = _attention(spec.attn_implementation, facts, False, reasons)
    plan = _plan(spec, size, facts, row_tokens=2 * spec.max_length, bf16_weights=False, reasons=reasons)
    micro = _largest_divisor_at_most(per_worker, plan.micro_batch)
    reasons["micro_batch"] = f"{micro} pairs × {per_worker // micro} accumulation × {workers} worker(s)"
    return Resolved(device=facts.name, workers=workers, micro_batch=micro, grad_accum=per_worker // micro,
                    attn_implementation=attn, bf16=facts.bf16, gradient_checkpointing=plan.checkpointing,
                    lora=plan.lora, fsdp=plan.fsdp, reasons=reasons)
