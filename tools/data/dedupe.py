"""Exact and near-duplicate detection over text rows: normalised exact match, then MinHash LSH on word shingles.

Near duplicates are pairs whose shingle sets have Jaccard similarity ≥ ``threshold`` (verified exactly after LSH
proposes candidates), so paraphrase-level copies ("What is 2+2?" / "what is 2 + 2 ?") are caught while rows that
merely share a template are not.

>>> groups = find_duplicates(["a b c d", "A b c d!", "x y z"])
>>> groups.exact, groups.near      # ([1], [])  — row 1 is an exact duplicate after normalisation
"""

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field


_PRIME = (1 << 31) - 1
_NUM_PERM = 64
_BANDS = 16  # 16 bands × 4 rows: pairs with Jaccard ≥ 0.8 are proposed with probability > 0.99


@dataclass
class Duplicates:
    """Indices to drop: later copies of an earlier row (the first occurrence is kept)."""

    exact: list[int] = field(default_factory=list)
    near: list[int] = field(default_factory=list)


def normalise(text: str) -> str:
    """Lowercase, drop punctuation and collapse whitespace, so trivial formatting differences compare equal."""
    return " ".join(re.findall(r"\w+", text.lower()))


def shingles(text: str, k: int = 3) -> set[str]:
    """Word k-grams of the normalised text (character 5-grams for texts shorter than k words)."""
    words = normalise(text).split()
    if len(words) >= k:
        return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}
    joined = " ".join(words)
    return {joined[i : i + 5] for i in range(max(1, len(joined) - 4))}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def _minhash(shingle_set: set[str]) -> tuple[int, ...]:
    import numpy as np

    base = np.array(
        [int.from_bytes(hashlib.blake2b(s.encode(), digest_size=4).digest(), "little") % _PRIME for s in shingle_set],
        dtype=np.int64,
    )
    # (a*x + b) mod p with fixed a, b < 2**31 (no int64 overflow); deterministic across processes, unlike hash()
    perms = np.arange(1, _NUM_PERM + 1, dtype=np.int64)
    a, b = (perms * 48271) % _PRIME, (perms * 16807 + 11) % _PRIME
    return tuple(((a[:, None] * base[None, :] + b[:, None]) % _PRIME).min(axis=1).tolist())


def find_duplicates(texts: list[str], *, near: bool = True, threshold: float = 0.85) -> Duplicates:
    """Return the indices of exact (after normalisation) and near duplicates of earlier texts."""
    result = Duplicates()
    first_seen: dict[str, int] = {}
    unique: list[int] = []
    for i, text in enumerate(texts):
        key = normalise(text)
        if key in first_seen:
            result.exact.append(i)
        else:
            first_seen[key] = i
            unique.append(i)
    if not near:
        return result
    sets = {i: shingles(texts[i]) for i in unique}
    buckets: dict[tuple, list[int]] = defaultdict(list)
    rows_per_band = _NUM_PERM // _BANDS
    dropped: set[int] = set()
    for i in unique:
        signature = _minhash(sets[i])
        candidates = set()
        for band in range(_BANDS):
            key = (band, *signature[band * rows_per_band : (band + 1) * rows_per_band])
            candidates.update(buckets[key])
            buckets[key].append(i)
        if any(j not in dropped and jaccard(sets[i], sets[j]) >= threshold for j in candidates):
            dropped.add(i)
    result.near = sorted(dropped)
    return result
