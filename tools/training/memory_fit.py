"""Will a training run fit on one card? An estimate of its memory, and the plan that makes it fit.

The estimate is deliberately simple (state + activations + logits) so its reasons can be printed; on CUDA the batch
probe (`batch_probe`) then measures the real largest micro-batch. The plan tries, in order: as asked; gradient
checkpointing; FSDP over the run's workers (full fine-tuning on several cards); LoRA; LoRA with checkpointing —
and says why it stopped where it did::

    plan = plan_fit(size, usable_gb=70.0, lora=False, bf16_weights=False, fused_loss=True, row_tokens=2048)
    plan.checkpointing, plan.lora, plan.micro_batch, plan.reasons
"""

from pydantic import BaseModel, Field

from posttrain.tools.errors import ConfigError
from posttrain.tools.training.sizing import ModelSize


GB = 1e9
# Share of the card's free memory a plan may fill: the CUDA context, allocator fragmentation and the optimizer
# step's temporaries live in the rest.
HEADROOM = 0.85
# Bytes kept per parameter. Full fine-tuning with fp32 master weights and bf16 autocast: weight 4 + gradient 4 +
# AdamW's two moments 8. Pure bf16 weights (GRPO's fast path): 2 + 2 + 4 (the moments take the weights' dtype).
# LoRA: the frozen base in bf16 (2) plus an adapter of at most ~2% of the weights trained in fp32 (16 each).
STATE_BYTES = {"full_fp32": 16.0, "full_bf16": 8.0, "lora": 2.0 + 0.02 * 16}
# Activation bytes per token, layer and hidden unit, 16-bit, attention without the s² score matrix (flash/flex
# kernels): ~34 without recomputation (Korthikanti et al. 2022, "Reducing Activation Recomputation", §4.1);
# with gradient checkpointing only each block's input (2) is kept, plus one block recomputed at a time.
ACTIVATION_BYTES, CHECKPOINTED_BYTES = 34.0, 2.0
# Logit bytes per token and vocabulary entry without a fused loss: bf16 logits, their fp32 copy for the loss, the
# fp32 gradient and its bf16 cast. Liger's fused linear cross-entropy never materialises them (chunked).
LOGIT_BYTES = 12.0


def state_gb(size: ModelSize, *, lora: bool, bf16_weights: bool, shards: int = 1) -> float:
    kind = "lora" if lora else ("full_bf16" if bf16_weights else "full_fp32")
    return size.parameters * STATE_BYTES[kind] / shards / GB


def row_gb(size: ModelSize, row_tokens: int, *, checkpointing: bool, fused_loss: bool) -> float:
    """Activation memory of one row of `row_tokens` tokens (forward kept for backward, plus the logits)."""
    per_layer = CHECKPOINTED_BYTES if checkpointing else ACTIVATION_BYTES
    activations = row_tokens * size.hidden * per_layer * size.layers
    if checkpointing:
        activations += row_tokens * size.hidden * ACTIVATION_BYTES  # the one block being recomputed
    logits = 0.0 if fused_loss else row_tokens * size.vocab * LOGIT_BYTES
    return (activations + logits) / GB


class FitPlan(BaseModel):
    """How a run fits: what to switch on, the estimated largest micro-batch, and why."""

    lora: bool = Field(description="Train a LoRA adapter (the plan may switch it on for a full fine-tune).")
    checkpointing: bool = Field(description="Gradient checkpointing (recompute activations in the backward).")
    fsdp: bool = Field(False, description="Shard weights, gradients and optimizer state over the workers.")
    micro_batch: int = Field(ge=1, description="Estimated largest rows per forward/backward.")
    state_gb: float = Field(description="Estimated weights + gradients + optimizer state on one card, GB.")
    row_gb: float = Field(description="Estimated activations + logits of one row, GB.")
    reasons: list[str] = Field(default_factory=list, description="Why each switch was made, in order.")


def plan_fit(size: ModelSize, usable_gb: float, *, lora: bool, bf16_weights: bool, fused_loss: bool,
             row_tokens: int, workers: int = 1, checkpointing: bool | None = None,
             reserved_gb: float = 0.0) -> FitPlan:
    """The first configuration, in the order of the module docstring, whose state and one row fit `usable_gb`
    (minus `reserved_gb`, e.g. vLLM's share). `checkpointing=True/False` pins that choice. Nothing fits →
    ConfigError naming the need, the card and the fixes."""
    budget = usable_gb - reserved_gb
    tries: list[tuple[bool, bool, bool, str]] = [(lora, False, False, "")]
    tries.append((lora, True, False, "gradient checkpointing: activations of one row do not fit without it"))
    if workers > 1 and not lora:
        tries += [(False, False, True, f"FSDP over {workers} workers: full fine-tuning state does not fit one card"),
                  (False, True, True, f"FSDP over {workers} workers and gradient checkpointing")]
    if not lora:
        tries += [(True, False, False, "LoRA: full fine-tuning state does not fit the card"),
                  (True, True, False, "LoRA and gradient checkpointing: even LoRA's activations need it")]
    reasons: list[str] = []
    for use_lora, use_ckpt, fsdp, why in tries:
        if checkpointing is not None and use_ckpt != checkpointing:
            continue
        state = state_gb(size, lora=use_lora, bf16_weights=bf16_weights, shards=workers if fsdp else 1)
        one_row = row_gb(size, row_tokens, checkpointing=use_ckpt, fused_loss=fused_loss)
        if why:
            reasons.append(why)
        if state + one_row <= budget:
            return FitPlan(lora=use_lora, checkpointing=use_ckpt, fsdp=fsdp, state_gb=round(state, 2),
                           row_gb=round(one_row, 3), micro_batch=max(1, int((budget - state) / one_row)),
                           reasons=reasons)
    need = state_gb(size, lora=True, bf16_weights=bf16_weights) + row_gb(size, row_tokens, checkpointing=True,
                                                                          fused_loss=fused_loss)
    raise ConfigError(
        f"{size.describe()} needs about {need:.1f} GB even with LoRA, checkpointing and one row of {row_tokens} "
        f"tokens, but {budget:.1f} GB of the card are usable; fix: lower max_length, use a smaller model, or "
        "train on several GPUs (num_gpus > 1)"
    )
