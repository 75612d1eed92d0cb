"""Read a training set (or a reference file) for the contamination check, refusing what it cannot judge.

A file that the check would silently misread is a ConfigError naming the line and the fix: bytes that are not
UTF-8, a row that is not a JSON object, a ``--field`` no row has, a row with no text, no rows at all. A JSON
array is accepted whatever the file's suffix (``.json`` or ``.jsonl``), and JSONL line numbers are real line
numbers (blank lines counted), so a reported row can be found with ``sed -n Np``::

    train = load_train_set("data/train.jsonl", fields=["question"])
    train.texts, train.lines          # ["...", ...], [1, 2, 4, ...]
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from posttrain.tools.errors import ConfigError
from posttrain.tools.evaluation.contamination.text import row_text, tokenize


@dataclass
class TrainSet:
    """Training rows flattened to text, with where each came from (line numbers for JSONL, else None)."""

    texts: list[str]
    lines: list[int | None]
    source: str


def decode_utf8(path: Path) -> str:
    """The file's text; bytes that are not UTF-8 are a ConfigError naming the line."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}:{line}: byte 0x{data[exc.start]:02x} is not UTF-8; "
                          "fix: re-save the file as UTF-8") from None


def read_json_rows(path: Path) -> list[tuple[int | None, Any]]:
    """(line number or None, parsed row) for a JSON array or JSONL file; blank lines are skipped but counted."""
    text = decode_utf8(path)
    if text.lstrip().startswith("["):
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{exc.lineno}: the JSON array does not parse ({exc.msg}); "
                              "fix: one valid JSON array, or one JSON object per line") from None
        return [(None, row) for row in rows]
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                out.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path}:{number}: not valid JSON ({exc.msg}); fix: one JSON object per line, "
                                  "or the whole file as one JSON array") from None
    return out


def _read_local(path: Path) -> list[tuple[int | None, Any]]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return [(None, row) for row in pq.read_table(path).to_pylist()]
    return read_json_rows(path)


_OTHER_SPLITS = {"test", "validation", "valid", "eval", "dev"}


def _split_files(folder: Path, split: str) -> list[Path]:
    """Data files of one split in a folder: ``x-test.parquet`` is the test split, unmarked files are train."""
    import re

    files = sorted(f for f in folder.iterdir() if f.suffix in (".parquet", ".jsonl", ".json") and f.is_file())
    marked = {f: re.split(r"[-_.]", f.stem.lower())[-1] for f in files}
    chosen = [f for f in files if (marked[f] == split) or (split == "train" and marked[f] not in _OTHER_SPLITS)]
    if not chosen:
        raise ConfigError(f"{folder} has no .parquet/.jsonl/.json files for split '{split}'; fix: check the folder")
    return chosen


def _hub_rows(dataset: str, split: str) -> list[tuple[int | None, Any]]:
    try:
        from datasets import load_dataset

        return [(None, row) for row in load_dataset(dataset, split=split)]
    except Exception as exc:  # offline, unknown id, gated, missing split: all end here
        from posttrain.tools.errors import ToolError

        raise ToolError(
            f"could not load dataset '{dataset}' (split {split}): {type(exc).__name__}: {str(exc)[:300]}; "
            "give a local .jsonl/.parquet path, or check the Hub id and network"
        ) from exc


def _where(source: str, line: int | None, index: int) -> str:
    return f"{source}:{line}" if line is not None else f"{source} row {index + 1}"


def _texts(rows: list[tuple[int | None, Any]], source: str, keep: list[str] | None) -> list[str]:
    if keep and not any(isinstance(row, dict) and any(k in row for k in keep) for _, row in rows):
        seen = sorted({k for _, row in rows[:100] if isinstance(row, dict) for k in row})
        raise ConfigError(f"no row of {source} has the field {' or '.join(keep)} (fields: {', '.join(seen)}); "
                          "fix: name a field the rows have, or leave --field out to check all text")
    texts = []
    for index, (line, row) in enumerate(rows):
        if not isinstance(row, dict):
            kind = {int: "a number", float: "a number", str: "a string", list: "a list", bool: "a boolean"}.get(
                type(row), "null")
            raise ConfigError(f"{_where(source, line, index)}: the row is {kind}, not a JSON object; "
                              "fix: one object per row, e.g. {\"text\": ...}")
        texts.append(row_text({k: row[k] for k in keep if k in row} if keep else row))
    empty = _first_empty(texts)
    if empty is not None:
        what = f"no text in {' or '.join(keep)}" if keep else "no text"
        raise ConfigError(f"{_where(source, rows[empty][0], empty)}: the row has {what}; fix: drop empty rows "
                          "(the check cannot say whether they are clean)")
    return texts


def _first_empty(texts: list[str]) -> int | None:
    """Index of the first text with no words (one vectorised pass, not one call per row)."""
    import numpy as np

    _, rows = tokenize(texts)
    counts = np.bincount(rows.to_numpy(zero_copy_only=False), minlength=len(texts))
    empty = np.flatnonzero(counts == 0)
    return int(empty[0]) if len(empty) else None


def load_train_set(dataset: str, *, split: str = "train", fields: Iterable[str] | None = None) -> TrainSet:
    """A local JSONL/JSON/parquet file, a folder of them (``x-test.parquet`` = split test, unmarked = train), or
    a Hub dataset id, flattened to text (``fields`` to restrict). Bad input is ConfigError naming the line."""
    keep = list(fields) if fields else None
    path = Path(dataset).expanduser()
    if path.is_file():
        rows = _read_local(path)
    elif path.is_dir():
        rows = [row for file in _split_files(path, split) for row in _read_local(file)]
    elif dataset.endswith((".jsonl", ".json", ".parquet")) or dataset.startswith((".", "/", "~")):
        raise ConfigError(f"dataset file {path} does not exist; fix: check the path")
    else:
        rows = _hub_rows(dataset, split)
    if not rows:
        raise ConfigError(f"{dataset} has no rows; fix: check the file (an empty training set is not clean "
                          "data, it is no data)")
    return TrainSet(texts=_texts(rows, str(dataset), keep), lines=[line for line, _ in rows], source=str(dataset))


def load_train_texts(dataset: str, *, split: str = "train", fields: Iterable[str] | None = None) -> list[str]:
    """The texts of ``load_train_set`` (same inputs, same errors)."""
    return load_train_set(dataset, split=split, fields=fields).texts
