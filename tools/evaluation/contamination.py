"""N-gram decontamination: which eval items appear (lightly reformatted) in a training set, and in which rows.

Text is normalised (Unicode NFKC, lower case, words of letters/digits only, so punctuation, spacing and case
changes do not hide a copy) and cut into word n-grams. An eval item shorter than n words is matched as a whole.
Eval n-grams go into a hash table; the training side is hashed with a vectorised rolling hash (numpy), so 100k
training rows against 1k eval items take seconds, not a pairwise comparison. Every hash hit is then checked
word by word, so a hash collision cannot create a false positive::

    report = check_contamination(["Q: What is 12 + 30?  ..."], bench.eval_items(), n=8)
    report.contaminated_eval_ids, report.contaminated_train_rows, report.rate
"""

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, Field

from posttrain.tools.errors import ConfigError
from posttrain.tools.evaluation.benchmark import Item


_SPLIT = r"[^\pL\pN]+"  # RE2 syntax (Arrow): anything that is not a letter or a digit separates words
_BASE = 1_000_003  # odd multiplier of the polynomial hash (arithmetic is mod 2**64 via uint64 wrap-around)


class ContaminationMatch(BaseModel):
    """One eval item found in one training row."""

    eval_id: str = Field(description="Id of the contaminated eval item.")
    train_row: int = Field(description="Index of the training row containing it.")
    ngram: str = Field(description="The shared normalised n-gram (truncated to 200 characters).")


class ContaminationReport(BaseModel):
    """Result of an n-gram overlap check between a training set and a benchmark's eval items."""

    benchmark: str | None = Field(None, description="Benchmark name when known.")
    ngram: int = Field(description="n used for the word n-grams.")
    n_eval: int = Field(description="Number of eval items checked.")
    n_train: int = Field(description="Number of training rows checked.")
    contaminated_eval_ids: list[str] = Field(description="Eval items sharing an n-gram with the training set.")
    contaminated_train_rows: list[int] = Field(description="Training row indices that contain an eval n-gram.")
    rate: float = Field(description="Share of eval items that are contaminated (0-1).")
    examples: list[ContaminationMatch] = Field(default_factory=list, description="Up to 20 matches, for review.")
    template_ngrams: int = Field(0, description="Eval n-grams ignored as template text (in too many items).")


def _tokenize(texts: Sequence[str]):
    """(words, row of each word) for many texts at once, vectorised in Arrow: NFKC, lower case, split, drop empties."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = pc.utf8_lower(pc.utf8_normalize(pa.array(list(texts), type=pa.large_string()), "NFKC"))
    lists = pc.split_pattern_regex(array, _SPLIT)
    words, rows = pc.list_flatten(lists), pc.list_parent_indices(lists)
    keep = pc.greater(pc.utf8_length(words), 0)
    return pc.filter(words, keep), pc.filter(rows, keep)


def normalize_words(text: str) -> list[str]:
    """Lower-cased NFKC words of letters and digits; everything else separates words (as the checker sees text)."""
    return _tokenize([text])[0].to_pylist()


def _hash_words(ids: Sequence[int]) -> int:
    value = 0
    for token in ids:
        value = (value * _BASE + token) % 2**64
    return value


def _window_hashes(ids, length: int):
    """Polynomial hash of every window of ``length`` ids (uint64, wraps like ``_hash_words``)."""
    import numpy as np

    count = max(len(ids) - length + 1, 0)  # a corpus shorter than the window has no window at all
    hashes = np.zeros(count, dtype=np.uint64)
    base = np.uint64(_BASE)
    for k in range(length):
        hashes = hashes * base + ids[k : k + count]
    return hashes


def eval_text(item: Item) -> str:
    """The part of an eval item that must not leak: the raw question (``meta["question"]``) when the benchmark
    keeps it apart from its prompt template, else the whole prompt."""
    return str(item.meta.get("question") or item.prompt)


def _template_limit(n_items: int) -> int:
    """An n-gram found in more eval items than this is template text (an instruction every prompt repeats)."""
    return max(3, n_items // 50)


def _eval_index(eval_items: Sequence[Item], n: int):
    """Vocabulary of eval words, per window length the hash → [(eval index, word ids)] table, and the number
    of template n-grams left out (shared by too many items to say anything about one of them)."""
    words, rows = _tokenize([eval_text(item) for item in eval_items])
    vocab: dict[str, int] = {}
    per_item: list[list[int]] = [[] for _ in eval_items]
    for word, row in zip(words.to_pylist(), rows.to_pylist(), strict=True):
        per_item[row].append(vocab.setdefault(word, len(vocab) + 1))
    tables: dict[int, dict[int, list[tuple[int, tuple[int, ...]]]]] = {}
    for index, ids in enumerate(per_item):
        length = min(n, len(ids))
        for start in range(len(ids) - length + 1 if length else 0):
            gram = tuple(ids[start : start + length])
            entries = tables.setdefault(length, {}).setdefault(_hash_words(gram), [])
            if not entries or entries[-1] != (index, gram):  # an n-gram repeated inside one item counts once
                entries.append((index, gram))
    limit, dropped = _template_limit(len(eval_items)), 0
    for table in tables.values():
        for key in [key for key, entries in table.items() if len({i for i, _ in entries}) > limit]:
            del table[key]
            dropped += 1
    return vocab, tables, dropped


def _train_corpus(train_texts: Sequence[str], vocab: dict[str, int]):
    """One uint64 id array for all training rows, rows separated by 0, and the row of every position (-1 = gap).

    A word absent from the eval set is also 0, so a window containing a 0 never equals an eval window (those
    hold only ids >= 1) and no window can join two rows.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    words, rows = _tokenize(train_texts)
    known = pc.index_in(words, value_set=pa.array(list(vocab), type=pa.large_string()))
    ids = pc.fill_null(known, -1).to_numpy(zero_copy_only=False).astype(np.int64) + 1  # vocab ids start at 1
    rows = rows.to_numpy(zero_copy_only=False).astype(np.int64)
    positions = np.arange(len(ids), dtype=np.int64) + rows + 1  # one separator slot before each row
    corpus = np.zeros(len(ids) + len(train_texts) + 1, dtype=np.uint64)
    row_of = np.full(len(corpus), -1, dtype=np.int64)
    corpus[positions], row_of[positions] = ids.astype(np.uint64), rows
    return corpus, row_of


def check_contamination(train_texts: Sequence[str], eval_items: Sequence[Item], *, n: int = 8) -> ContaminationReport:
    """Find eval items whose prompt shares a word n-gram (default n=8; 8-13 is usual) with any training text.

    Training texts are whole rows (prompt + answer, or a chat flattened to text). Eval text is the raw question
    (``meta["question"]``) when the benchmark stores it, else the prompt; n-grams shared by more than
    max(3, 2%) of the eval items are instruction boilerplate and ignored. Returns the contaminated eval ids
    (eval order), the training rows that contain them (sorted), the contaminated share of the eval set and a
    few example matches. Items shorter than n words must appear whole.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not 1 <= n <= 64:
        raise ConfigError(f"ngram n must be between 1 and 64 (8-13 is usual), got {n}")
    vocab, tables, template_ngrams = _eval_index(eval_items, n)
    corpus, row_of = _train_corpus(train_texts, vocab)
    words = {v: k for k, v in vocab.items()}
    eval_hit, train_hit, examples = set(), set(), []
    for length, table in tables.items():
        hashes = _window_hashes(corpus, length)
        keys = pa.array(np.fromiter(table.keys(), dtype=np.uint64, count=len(table)))
        hits = pc.is_in(pa.array(hashes), value_set=keys).to_numpy(zero_copy_only=False)
        for position in np.nonzero(hits)[0].tolist():
            window = tuple(corpus[position : position + length].tolist())
            row = int(row_of[position])
            for index, gram in table[int(hashes[position])]:
                if gram != window:  # hash collision: not a real match
                    continue
                eval_hit.add(index)
                train_hit.add(row)
                if len(examples) < 20:
                    text = " ".join(words[token] for token in gram)[:200]
                    examples.append(ContaminationMatch(eval_id=eval_items[index].id, train_row=row, ngram=text))
    contaminated = [eval_items[i].id for i in sorted(eval_hit)]
    return ContaminationReport(
        ngram=n, n_eval=len(eval_items), n_train=len(train_texts), contaminated_eval_ids=contaminated,
        contaminated_train_rows=sorted(train_hit), rate=len(eval_hit) / len(eval_items) if eval_items else 0.0,
        examples=examples, template_ngrams=template_ngrams,
    )


def row_text(row: Any) -> str:
    """Flatten one dataset row to text: every string value, recursively (chat ``messages`` included)."""
    if isinstance(row, str):
        return row
    if isinstance(row, dict):
        return "\n".join(row_text(value) for value in row.values())
    if isinstance(row, list | tuple):
        return "\n".join(row_text(value) for value in row)
    return ""


def _read_local(path) -> list[dict[str, Any]]:
    import json

    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json" and text.lstrip().startswith("["):
        return json.loads(text)
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path}:{number} is not valid JSON; fix: one JSON object per line") from exc
    return rows


_OTHER_SPLITS = {"test", "validation", "valid", "eval", "dev"}


def _split_files(folder, split: str) -> list:
    """Data files of one split in a folder: ``x-test.parquet`` is the test split, unmarked files are train."""
    import re

    files = sorted(f for f in folder.iterdir() if f.suffix in (".parquet", ".jsonl", ".json") and f.is_file())
    marked = {f: re.split(r"[-_.]", f.stem.lower())[-1] for f in files}
    chosen = [f for f in files if (marked[f] == split) or (split == "train" and marked[f] not in _OTHER_SPLITS)]
    if not chosen:
        raise ConfigError(f"{folder} has no .parquet/.jsonl/.json files for split '{split}'; fix: check the folder")
    return chosen


def load_train_texts(dataset: str, *, split: str = "train", fields: Iterable[str] | None = None) -> list[str]:
    """Rows of a local JSONL/JSON/parquet file, a folder of such files (``x-test.parquet`` = split test, unmarked
    files = train), or a Hub dataset id, flattened to text (``fields`` to restrict). Bad paths are ConfigError;
    an unreachable or unknown Hub id is ToolError."""
    from pathlib import Path

    keep = list(fields) if fields else None
    path = Path(dataset).expanduser()
    if path.is_file():
        rows = _read_local(path)
    elif path.is_dir():
        rows = [row for file in _split_files(path, split) for row in _read_local(file)]
    elif dataset.endswith((".jsonl", ".json", ".parquet")) or dataset.startswith((".", "/", "~")):
        raise ConfigError(f"dataset file {path} does not exist; fix: check the path")
    else:
        try:
            from datasets import load_dataset

            rows = load_dataset(dataset, split=split)
        except Exception as exc:  # offline, unknown id, gated, missing split: all end here
            from posttrain.tools.errors import ToolError

            raise ToolError(
                f"could not load dataset '{dataset}' (split {split}): {type(exc).__name__}: {str(exc)[:300]}; "
                "give a local .jsonl/.parquet path, or check the Hub id and network"
            ) from exc
    return [row_text({k: row[k] for k in keep if k in row} if keep else row) for row in rows]
