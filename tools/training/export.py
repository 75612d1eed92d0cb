"""Load a run's tokenizer and write its final checkpoint: LoRA merged in, tokenizer beside it, plain from_pretrained.

    path = export_checkpoint(trainer.model, tokenizer, out_dir / "checkpoint")
    AutoModelForCausalLM.from_pretrained(path)    # no peft needed
"""

from pathlib import Path


def load_tokenizer(base_model: str, *, padding_side: str | None = None):
    """The base model's tokenizer, with a pad token (falls back to eos) and the requested padding side."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if padding_side:
        tokenizer.padding_side = padding_side
    return tokenizer


def export_checkpoint(model, tokenizer, out: Path) -> Path:
    """Save `model` (merging a peft adapter first) and `tokenizer` to `out`; returns `out`."""
    if hasattr(model, "merge_and_unload"):  # a PeftModel: fold the adapter into the base weights
        model = model.merge_and_unload()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
