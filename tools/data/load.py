"""Load raw rows from a local file (JSONL/JSON, parquet, CSV) or a Hub dataset, with the revision that was read.

Local files are identified by the sha256 of their bytes; Hub datasets by the commit sha, resolved before loading
when the Hub is reachable so the card pins exactly what was read.

>>> rows, revision = load_rows(path="data/train.jsonl")            # revision "sha256:1f2e…"
>>> rows, revision = load_rows(hub="openai/gsm8k", config="main", split="train")
"""

import hashlib
from pathlib import Path
from typing import Any

from posttrain.tools.errors import ConfigError, ToolError


FILE_KINDS = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv"}


def file_revision(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()[:16]


def _load_local(path: Path) -> list[dict[str, Any]]:
    from datasets import load_dataset

    kind = FILE_KINDS.get(path.suffix.lower())
    if kind is None:
        raise ConfigError(f"cannot read {path.name}: unknown extension; fix: use .jsonl, .json, .parquet or .csv")
    if not path.is_file():
        raise ConfigError(f"data file {path} does not exist; fix: check the path (relative to the spec file)")
    try:
        return load_dataset(kind, data_files=str(path), split="train").to_list()
    except Exception as exc:  # datasets raises many types (ArrowInvalid, DatasetGenerationError...) for bad files
        raise ToolError(
            f"could not parse {path} as {kind}: {type(exc).__name__}: {str(exc)[:300]}; "
            "check that each line/row is a complete record"
        ) from exc


def _resolve_hub_revision(dataset: str, revision: str | None) -> str | None:
    from posttrain.tools.hub.search import hub_api, offline_reason

    if revision or offline_reason():
        return revision
    try:
        return hub_api().dataset_info(dataset, revision=revision).sha
    except Exception:  # unresolvable: load_dataset below reports the real problem
        return revision


def load_rows(
    *,
    path: str | Path | None = None,
    hub: str | None = None,
    config: str | None = None,
    split: str = "train",
    revision: str | None = None,
) -> tuple[list[dict[str, Any]], str]:
    """Rows as dicts plus a revision string; exactly one of ``path`` or ``hub`` must be given."""
    if (path is None) == (hub is None):
        raise ConfigError("give exactly one of path (local file) or hub (dataset id) for a source")
    if path is not None:
        local = Path(path)
        return _load_local(local), file_revision(local) if local.is_file() else "missing"
    from datasets import load_dataset

    pinned = _resolve_hub_revision(hub, revision)
    try:
        dataset = load_dataset(hub, config, split=split, revision=pinned)
    except Exception as exc:  # offline, gated, missing config: all end here with the library's own message
        raise ToolError(
            f"could not load {hub} ({config or 'default'}/{split}) from the Hub: "
            f"{type(exc).__name__}: {str(exc)[:300]}; check the id, config and split with "
            "`posttrain datasets inspect`, set HF_TOKEN for gated data, or use a local file"
        ) from exc
    return dataset.to_list(), f"{hub}@{pinned or 'main (unpinned)'}"
