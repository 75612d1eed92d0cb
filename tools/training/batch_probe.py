"""Find the largest micro-batch that trains on this card: one forward/backward at full length, halving on OOM,
cached per model, card, length and settings (so a model is probed once per card, not once per run).

CUDA only; on CPU the spec's batch is used and this module is never called. The search and the cache take the
"does n rows fit?" question as a function, so they run anywhere::

    micro = probed_micro_batch(spec.base_model, resolved, max_length=2048, upper=32)   # on the GPU, in the worker
    largest_fitting(lambda n: n <= 12, start=32)                                        # -> 8
"""

import json
import os
import time
from collections.abc import Callable
from pathlib import Path


CACHE_FILE = "batch_sizes.json"


def largest_fitting(fits: Callable[[int], bool], start: int) -> int:
    """The first of start, start/2, start/4, ... 1 for which `fits(n)`; 0 when not even one row fits."""
    n = max(1, start)
    while n >= 1:
        if fits(n):
            return n
        n //= 2
    return 0


def cache_path() -> Path:
    """$POSTTRAIN_CACHE/batch_sizes.json, default ~/.cache/posttrain/batch_sizes.json."""
    return Path(os.environ.get("POSTTRAIN_CACHE", "~/.cache/posttrain")).expanduser() / CACHE_FILE


def probe_key(model: str, card: str, max_length: int, settings: dict) -> str:
    """What the answer depends on: the model (its folder resolved), the card, the row length and every setting
    that changes memory (LoRA, checkpointing, kernels, dtype)."""
    where = str(Path(model).expanduser().resolve()) if Path(model).expanduser().exists() else model
    extra = ",".join(f"{k}={settings[k]}" for k in sorted(settings))
    return f"{where}|{card}|{max_length}|{extra}"


def cached_largest_fitting(key: str, fits: Callable[[int], bool], start: int,
                           path: Path | None = None) -> tuple[int, bool]:
    """(largest fitting micro-batch ≤ start, True when it came from the cache). A cached answer below its own
    start was bound by memory, so it serves any start; one equal to its start serves starts up to it."""
    path = path or cache_path()
    entries = _read(path)
    hit = entries.get(key)
    if hit and (hit["micro_batch"] < hit["start"] or start <= hit["start"]):
        return min(hit["micro_batch"], start), True
    found = largest_fitting(fits, start)
    entries = _read(path)  # another run may have written meanwhile
    entries[key] = {"micro_batch": found, "start": start, "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                     time.gmtime())}
    _write(path, entries)
    return found, False


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):  # absent or half-written by a killed run: start over
        return {}


def _write(path: Path, entries: dict) -> None:
    """Atomic: write beside, then rename, so concurrent runs never read half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(entries, indent=1, sort_keys=True))
    tmp.replace(path)


def training_step(model, rows: int, row_tokens: int, vocab: int, device) -> float:
    """One forward/backward of `rows` random rows through TRL's fused LM head (as the trainers compute the loss,
    without materialising the logits); returns the loss. Device-agnostic, so it is checked on CPU too."""
    import torch

    ids = torch.randint(4, vocab, (rows, row_tokens), device=device)
    loss = model(input_ids=ids, labels=ids, fused_lm_head=True, use_cache=False).loss
    loss.backward()
    return float(loss.detach())


def cuda_fits(model, *, row_tokens: int, vocab: int, reserve_bytes: int, bf16: bool) -> Callable[[int], bool]:
    """A `fits(n)` that tries one training step of n rows on the GPU while `reserve_bytes` (the optimizer state
    that does not exist yet, plus headroom) is held; an OOM means no."""
    import torch

    def fits(rows: int) -> bool:
        reserve = None
        try:
            reserve = torch.empty(reserve_bytes, dtype=torch.uint8, device="cuda")
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16):
                training_step(model, rows, row_tokens, vocab, "cuda")
            torch.cuda.synchronize()
            return True
        except torch.cuda.OutOfMemoryError:
            return False
        finally:
            del reserve
            model.zero_grad(set_to_none=True)
            torch.cuda.empty_cache()

    return fits


def probed_micro_batch(base_model: str, resolved, *, max_length: int, upper: int, lora_spec=None) -> tuple[int, bool]:
    """Load the model as the run will (dtype, Liger, checkpointing, LoRA; SDPA, whose memory matches the packed
    kernels'), find the largest micro-batch ≤ `upper` at `max_length`, free the card. Returns (rows, cached)."""
    settings = {"lora": resolved.lora, "ckpt": resolved.gradient_checkpointing, "liger": resolved.liger,
                "bf16_weights": resolved.bf16_weights, "fsdp": resolved.fsdp}
    key = probe_key(base_model, resolved.device, max_length, settings)
    loaded: dict = {}

    def fits(rows: int) -> bool:  # the model is loaded on the first try only: a cache hit never loads it
        if "fits" not in loaded:
            loaded["fits"] = _build_fits(base_model, resolved, max_length, lora_spec)
        return loaded["fits"](rows)

    try:
        return cached_largest_fitting(key, fits, upper)
    finally:
        if loaded:
            import gc

            import torch

            loaded.clear()
            gc.collect()
            torch.cuda.empty_cache()


def _build_fits(base_model, resolved, max_length, lora_spec):
    import torch
    from transformers import AutoModelForCausalLM
    from trl.trainer.utils import add_fused_lm_head

    dtype = torch.bfloat16 if resolved.bf16_weights else torch.float32
    model = AutoModelForCausalLM.from_pretrained(base_model, dtype=dtype, attn_implementation="sdpa").cuda().train()
    if resolved.liger:
        from liger_kernel.transformers import _apply_liger_kernel_to_instance

        _apply_liger_kernel_to_instance(model=model, fused_linear_cross_entropy=False)
    add_fused_lm_head(model)
    if resolved.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    trainable = sum(p.numel() for p in model.parameters())
    if resolved.lora:
        from peft import get_peft_model

        from posttrain.tools.training.base_config import LoraSpec

        model = get_peft_model(model, (lora_spec or LoraSpec()).to_peft())
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    free, total = torch.cuda.mem_get_info()
    # AdamW's moments (+ fp32 gradients) appear at the first step; keep 8% of the card for the step's temporaries
    reserve = int(trainable * 12 + 0.08 * total)
    return cuda_fits(model, row_tokens=max_length, vocab=model.config.get_text_config().vocab_size,
                     reserve_bytes=reserve, bf16=resolved.bf16)
