"""Find and load a run's dataset: local .jsonl/.parquet (file or folder) or a Hub id, with its columns checked.

SFT rows are ``prompt``/``completion`` (raw strings, no chat template), ``messages`` (chat template applied, loss on
assistant turns) or ``text``; GRPO rows are ``prompt``/``answer`` plus any extra columns the rewards use; DPO rows are
``prompt``/``chosen``/``rejected`` or Hub-style ``chosen``/``rejected`` conversations (`posttrain.tools.methods`)::

    check_dataset("runs/x/sft.jsonl", "sft")      # cheap: reads the first row / the parquet schema only
    ds = load_train_dataset("runs/x/sft.jsonl")   # datasets.Dataset
"""

import json
from pathlib import Path

from posttrain.tools.errors import ConfigError


SUFFIXES = {".jsonl": "json", ".json": "json", ".parquet": "parquet"}


def local_files(ref: str) -> list[Path] | None:
    """The data files behind a local reference; None when the reference is not a local path (a Hub id)."""
    path = Path(ref).expanduser()
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES)
        if not files:
            raise ConfigError(f"dataset folder {ref} holds no .jsonl/.parquet files; point --dataset at a data file")
        return files
    if path.exists():
        if path.suffix not in SUFFIXES:
            raise ConfigError(f"dataset {ref} is not .jsonl/.json/.parquet; convert it or pass a Hub id")
        return [path]
    if path.suffix in SUFFIXES or ref.startswith((".", "/", "~")):
        raise ConfigError(f"dataset {ref} does not exist; check the path or build it with `posttrain data ...`")
    return None


def _first_columns(file: Path) -> set[str]:
    if file.suffix == ".parquet":
        import pyarrow.parquet as pq

        return set(pq.read_schema(file).names)
    with file.open() as handle:
        line = handle.readline().strip()
    if not line:
        raise ConfigError(f"dataset {file} is empty; write at least one row")
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"dataset {file} line 1 is not JSON ({exc.msg}); write one JSON object per line") from exc
    return set(row)


def check_dataset(ref: str, method: str) -> None:
    """Raise ConfigError when a local dataset is missing or lacks the columns `method` needs (Hub ids pass)."""
    files = local_files(ref)
    if files is None:
        return
    from posttrain.tools.methods import get_format, get_method

    entry = get_method(method)
    fmt, columns = get_format(entry.train_format), _first_columns(files[0])
    if not fmt.fits(columns):
        raise ConfigError(f"{entry.title} dataset {ref} has columns {sorted(columns)}; it needs {fmt.need}")


def load_train_dataset(ref: str):
    """Load the training split as a `datasets.Dataset` (local files, or the Hub 'train' split)."""
    from datasets import load_dataset

    files = local_files(ref)
    if files is None:
        try:
            return load_dataset(ref, split="train")
        except Exception as exc:  # offline, unknown repo, gated: all mean "this id cannot be used here"
            raise ConfigError(f"cannot load Hub dataset {ref!r} ({type(exc).__name__}); pass a local file") from exc
    builder = SUFFIXES[files[0].suffix]
    return load_dataset(builder, data_files=[str(f) for f in files], split="train")
