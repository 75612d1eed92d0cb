"""Load raw rows from a local file, a dataset folder or a Hub dataset, with the revision that was read.

A source can be a file (JSONL/JSON, parquet, CSV), a folder written by ``Dataset.save_to_disk`` (a
``DatasetDict`` gives the named split), a folder laid out like a Hub repo (data files plus an optional README.md
whose YAML ``configs:`` name them: read by ``datasets.load_dataset(folder, config, split=...)``), or a Hub id.
Files are identified by the sha256 of their bytes, folders by a digest of their files, Hub datasets by the commit
sha (resolved before loading when the Hub is reachable, so the card pins exactly what was read).

``POSTTRAIN_DATASETS_MIRROR=/dir`` makes every Hub id ``owner/name`` that exists as the folder ``/dir/owner/name``
load from there instead of the Hub (an offline mirror; also used by the Hub benchmarks).

>>> rows, revision = load_rows(path="data/train.jsonl")            # revision "sha256:1f2e…"
>>> rows, revision = load_rows(path="data/saved", split="train")   # a save_to_disk folder
>>> rows, revision = load_rows(hub="openai/gsm8k", config="main", split="train")
"""

import hashlib
import os
from pathlib import Path
from typing import Any

from posttrain.tools.errors import ConfigError, ToolError


FILE_KINDS = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv"}
MIRROR_ENV = "POSTTRAIN_DATASETS_MIRROR"
_SAVED_MARKERS = ("dataset_dict.json", "state.json")  # what save_to_disk writes (DatasetDict / Dataset)


def file_revision(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()[:16]


def folder_revision(folder: Path) -> str:
    """A digest of every file's relative path and bytes (the folder's content, not its mtime)."""
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file() and ".cache" not in p.parts):
        digest.update(str(file.relative_to(folder)).encode() + file_revision(file).encode())
    return "sha256:" + digest.hexdigest()[:16]


def mirror_folder(dataset_id: str) -> Path | None:
    """The local mirror folder of a Hub id when ``POSTTRAIN_DATASETS_MIRROR`` is set and holds it, else None."""
    root = os.environ.get(MIRROR_ENV)
    if not root:
        return None
    folder = Path(root).expanduser() / dataset_id
    return folder if folder.is_dir() else None


def _load_file(path: Path) -> list[dict[str, Any]]:
    from datasets import load_dataset

    kind = FILE_KINDS.get(path.suffix.lower())
    if kind is None:
        raise ConfigError(
            f"cannot read {path.name}: unknown extension; fix: use .jsonl, .json, .parquet or .csv (or a folder)"
        )
    if not path.is_file():
        raise ConfigError(f"data file {path} does not exist; fix: check the path (relative to the spec file)")
    try:
        return load_dataset(kind, data_files=str(path), split="train").to_list()
    except Exception as exc:  # datasets raises many types (ArrowInvalid, DatasetGenerationError...) for bad files
        raise ToolError(
            f"could not parse {path} as {kind}: {type(exc).__name__}: {str(exc)[:300]}; "
            "check that each line/row is a complete record"
        ) from exc


def _load_saved(folder: Path, split: str) -> list[dict[str, Any]]:
    from datasets import DatasetDict, load_from_disk

    try:
        saved = load_from_disk(str(folder))
    except Exception as exc:  # a corrupt or foreign folder: FileNotFoundError, ArrowInvalid...
        raise ToolError(
            f"could not read the saved dataset {folder}: {type(exc).__name__}: {str(exc)[:300]}; "
            "fix: point at the folder save_to_disk wrote"
        ) from exc
    if isinstance(saved, DatasetDict):
        if split not in saved:
            raise ConfigError(
                f"saved dataset {folder} has splits {sorted(saved)}, not {split!r}; fix: pick one with @<split>"
            )
        saved = saved[split]
    return saved.to_list()


def _load_repo_folder(folder: Path, config: str | None, split: str, what: str) -> list[dict[str, Any]]:
    from datasets import load_dataset

    try:
        return load_dataset(str(folder), config, split=split).to_list()
    except Exception as exc:  # no data files, unknown config or split: the library's message names it
        raise ToolError(
            f"could not load {what} ({config or 'default'}/{split}): {type(exc).__name__}: {str(exc)[:300]}; "
            "fix: check the config and split (README.md `configs:`) or the data file names"
        ) from exc


def load_local(path: Path, *, config: str | None = None, split: str = "train") -> tuple[list[dict[str, Any]], str]:
    """Rows and revision of a local file, a save_to_disk folder or a Hub-layout folder."""
    if path.is_dir():
        if any((path / marker).is_file() for marker in _SAVED_MARKERS):
            return _load_saved(path, split), folder_revision(path)
        return _load_repo_folder(path, config, split, f"folder {path}"), folder_revision(path)
    if not path.exists():
        raise ConfigError(f"data file {path} does not exist; fix: check the path (relative to the spec file)")
    return _load_file(path), file_revision(path)


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
    """Rows as dicts plus a revision string; exactly one of ``path`` (file or folder) or ``hub`` must be given."""
    if (path is None) == (hub is None):
        raise ConfigError("give exactly one of path (local file or folder) or hub (dataset id) for a source")
    if path is not None:
        return load_local(Path(path).expanduser(), config=config, split=split)
    mirror = mirror_folder(hub)
    if mirror is not None:
        return _load_repo_folder(mirror, config, split, f"{hub} from the mirror {mirror}"), f"{hub}@mirror:{mirror}"
    from datasets import load_dataset

    pinned = _resolve_hub_revision(hub, revision)
    try:
        dataset = load_dataset(hub, config, split=split, revision=pinned)
    except Exception as exc:  # offline, gated, missing config: all end here with the library's own message
        raise ToolError(
            f"could not load {hub} ({config or 'default'}/{split}) from the Hub: "
            f"{type(exc).__name__}: {str(exc)[:300]}; check the id, config and split with "
            f"`posttrain datasets inspect`, set HF_TOKEN for gated data, {MIRROR_ENV} for a local mirror, "
            "or use a local file"
        ) from exc
    return dataset.to_list(), f"{hub}@{pinned or 'main (unpinned)'}"


def count_local_rows(refs: list[str]) -> int | None:
    """Rows the local references hold together (files and folders on disk), without building anything; None when
    any reference is not local (a Hub id: its size is known only after loading)."""
    total = 0
    for ref in refs:
        path = Path(ref).expanduser()
        if not path.exists():
            return None
        if path.is_file() and path.suffix == ".jsonl":  # one row a line: counted without parsing
            with path.open("rb") as handle:
                total += sum(1 for line in handle if line.strip())
            continue
        try:
            rows, _ = load_local(path)
        except Exception:  # noqa: BLE001 - a file that does not read is reported by the build, not by a count
            return None
        total += len(rows)
    return total
