"""The run's base model before anything is loaded: resolved from what the user named (a Hub id, a folder, a .gguf
file, 'tiny'), built inside the run when it is ours to build, and sized from its config for --dry-run."""

import re
from pathlib import Path

from posttrain.tools.errors import ConfigError


def resolve_base_model(name: str, *, download: bool = True) -> str | None:
    """'tiny' or a GGUF file → None (built inside the run dir by `materialize_base_model`); a local path → itself; a
    Hub id → its local snapshot (with `download=False`, as --dry-run asks: the id itself, nothing fetched)."""
    from posttrain.tools.gguf_import import check_gguf_support, parse_gguf_ref

    if name == "tiny":
        return None
    if parse_gguf_ref(name) is not None:  # an existing .gguf (a missing one is a ConfigError there)
        check_gguf_support()
        return None
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").exists():
            raise ConfigError(f"base model {name} has no config.json; point --base-model at a saved model directory")
        return str(path.resolve())
    if name.startswith((".", "/", "~")) or not re.fullmatch(r"[\w.-]+/[\w.-]+", name):
        raise ConfigError(f"base model path {name} does not exist; pass an existing directory, a .gguf file, a "
                          "Hub id (org/name) or 'tiny'")
    if not download:
        return name
    try:
        from huggingface_hub import snapshot_download

        return snapshot_download(name, allow_patterns=["*.json", "*.safetensors", "*.model", "*.txt", "*.jinja"])
    except Exception as exc:  # offline, gated, missing repo: one line, with the fix
        raise ConfigError(f"cannot fetch base model {name!r} from the Hub ({type(exc).__name__}); download it first "
                          "(`hf download`) and pass the local path, or check the id") from exc


def materialize_base_model(name: str, folder: Path) -> Path:
    """Build the base model inside the run: the tiny model, or a GGUF file dequantized once into an ordinary folder
    (both idempotent, so a resumed run reuses them)."""
    from posttrain.tools.gguf_import import dequantize_gguf
    from posttrain.tools.tiny_model import build_tiny_model

    return build_tiny_model(folder) if name == "tiny" else dequantize_gguf(name, folder)


def size_without_loading(name: str):
    """The base model's size for --dry-run: the tiny model's from its config class, a folder's or a cached Hub id's
    from config.json, otherwise model_size's default (a large pretrained model)."""
    from posttrain.tools.tiny_model import CHARACTERS, SPECIAL_TOKENS, TinyModelConfig
    from posttrain.tools.training.sizing import model_size, size_from_config

    if name == "tiny":
        tiny = TinyModelConfig()
        return size_from_config({"hidden_size": tiny.hidden_size, "num_hidden_layers": tiny.num_layers,
                                 "vocab_size": len(SPECIAL_TOKENS) + len(CHARACTERS),
                                 "max_position_embeddings": tiny.max_positions, "posttrain_random_init": True})
    path = Path(name).expanduser()
    if path.is_dir():
        return model_size(path)
    from posttrain.tools.gguf_import import gguf_config, parse_gguf_ref

    gguf = parse_gguf_ref(name)
    if gguf is not None:
        return size_from_config(gguf_config(gguf))
    try:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(name, "config.json")
        return model_size(Path(cached).parent if isinstance(cached, str) else "/nonexistent")
    except Exception:  # noqa: BLE001 - an id the cache cannot parse reads as unknown
        return model_size("/nonexistent")
