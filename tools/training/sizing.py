"""How big a model is, and the training settings that follow from its size — one place, so the Trainer's specs and
the playbook's plans use the same numbers.

Every rule states its principle; none is tuned to one task::

    size = model_size("runs/x/base-model")        # ModelSize(parameters=535_000, hidden=128, pretrained=False)
    sft_batch_size(size), sft_learning_rate(size), uses_lora(size)
"""

import json
from pathlib import Path

from pydantic import BaseModel, Field


# Models below this many parameters are trained in full; above it, LoRA (memory of full fine-tuning grows with the
# parameter count times the optimizer state, LoRA's with the adapter only).
LORA_ABOVE_PARAMETERS = 50_000_000
# The width whose full-fine-tuning learning rate we measured: tiny Qwen3, hidden 128, batch 64, 300 steps — 3e-3 took
# digit sorting, swap-case and word reversal (tasks outside the repo's generators) to 0.96-1.00, while 1e-2 reached
# 0.96 / 0.37 / 0.00 on them (bench/task_lr_sweep.py, bench/README.md). 3-digit addition learns at 3e-3 too, given
# more passes (0.84 in the README run). Rates scale as 1/width (the muP rule for hidden layers).
REFERENCE_WIDTH, REFERENCE_LR = 128, 3e-3
# LoRA's learning rate for pretrained models, from the QLoRA paper's sweeps (2e-4 up to 13B, 1e-4 above).
LORA_LR_SMALL, LORA_LR_LARGE, LORA_LR_SPLIT = 2e-4, 1e-4, 20_000_000_000
# RL from sampled rewards takes steps about 30x smaller than SFT on dense targets (measured on the tiny model: 3e-4
# vs 1e-2; TRL's defaults: 1e-6 for GRPO against 2e-5 for SFT, 20x).
RL_LR_DIVISOR = 30


class ModelSize(BaseModel):
    """What the training rules need to know about a model, read from its config.json."""

    parameters: int = Field(description="Approximate parameter count (12·hidden²·layers + embeddings).")
    hidden: int = Field(description="Width of the residual stream.")
    layers: int = Field(description="Transformer blocks.")
    max_positions: int = Field(description="Longest sequence the model takes.")
    pretrained: bool = Field(description="False for a randomly initialised model (it learns the task from scratch).")
    vocab: int = Field(32_000, description="Vocabulary size (the logits' width).")
    kv_width: int | None = Field(None, description="Key/value heads × head dim (the KV cache per token and layer); "
                                                   "None = hidden.")

    def describe(self) -> str:
        millions = self.parameters / 1e6
        kind = "pretrained" if self.pretrained else "randomly initialised"
        return f"{millions:.2f}M parameters ({self.layers}×{self.hidden}, {self.max_positions} positions, {kind})"


def model_size(model_dir: str | Path) -> ModelSize:
    """Size facts from a model directory's config.json; a missing config reads as a large pretrained model."""
    config_path = Path(model_dir) / "config.json"
    return size_from_config(json.loads(config_path.read_text()) if config_path.exists() else {})


def size_from_config(cfg: dict) -> ModelSize:
    """Size facts from a transformers config as a dict (missing keys read as a large pretrained model)."""
    hidden, layers = int(cfg.get("hidden_size", 4096)), int(cfg.get("num_hidden_layers", 32))
    vocab = int(cfg.get("vocab_size", 32_000))
    parameters = 12 * hidden * hidden * layers + vocab * hidden
    # posttrain's own tiny model marks itself; everything else a user points at is taken as pretrained
    pretrained = not cfg.get("posttrain_random_init", False)
    heads = int(cfg.get("num_attention_heads", 0)) or None
    head_dim = cfg.get("head_dim") or (hidden // heads if heads else None)
    kv_heads = cfg.get("num_key_value_heads") or heads
    kv_width = int(kv_heads * head_dim) if kv_heads and head_dim else None
    return ModelSize(parameters=parameters, hidden=hidden, layers=layers, pretrained=pretrained,
                     max_positions=int(cfg.get("max_position_embeddings", 2048)), vocab=vocab, kv_width=kv_width)


def uses_lora(size: ModelSize) -> bool:
    return size.parameters >= LORA_ABOVE_PARAMETERS


def sft_batch_size(size: ModelSize) -> int:
    """Sequences per optimizer step: 64 for models trained in full on CPU-sized budgets, 8 for LoRA on real models
    (one GPU's memory at 1–2k tokens per sequence)."""
    return 8 if uses_lora(size) else 64


def sft_learning_rate(size: ModelSize) -> float:
    if uses_lora(size):
        return LORA_LR_LARGE if size.parameters >= LORA_LR_SPLIT else LORA_LR_SMALL
    return REFERENCE_LR * REFERENCE_WIDTH / size.hidden


def rl_learning_rate(size: ModelSize) -> float:
    return sft_learning_rate(size) / RL_LR_DIVISOR


def find_model_size(ref: str) -> ModelSize | None:
    """Size of a local model folder or a Hub id whose config is cached; None when no config can be read (the
    device plan then measures instead of estimating)."""
    if (Path(ref).expanduser() / "config.json").exists():
        return model_size(Path(ref).expanduser())
    try:
        from transformers import AutoConfig

        return size_from_config(AutoConfig.from_pretrained(ref).to_dict())
    except Exception:  # noqa: BLE001 - offline and uncached, gated, or not a model: unknown size
        return None
