"""IDF-weighted word 5-gram coverage of each test item's fields by each training row, vectorised.

The judges' measure: per field (question, answer, passage), a test item's score against a training row is the
IDF of the item's 5-grams found in the row ÷ the IDF of all its 5-grams, IDF counted over the test set per field,
so a phrase many test items share (the benchmark's stock sentences) weighs little and a copied item scores 1.
A field shorter than 5 words is one gram of its own length (it must appear whole).

Speed: test grams go into sorted hash tables; every window of every training row is hashed at once (numpy
rolling hash) and looked up with ``searchsorted``. Only (row, item) pairs that hit one of the item's *key* grams
are scored: its rarest grams holding more than ``1 - FLOOR`` of its IDF, so any row covering at least ``FLOOR``
of an item must hit one (the rest hold less than ``FLOOR``), and no pair that could pass is skipped. Hashes are
64-bit polynomial; a collision between a test gram and a training window needs ~1e-7 odds per 10M windows.

    index = GramIndex.build([[question_ids_0, question_ids_1], [answer_ids_0, answer_ids_1]])  # fields x items
    rows, targets, coverage = index.score(corpus, row_of)   # target = field * n_items + item
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


GRAM = 5
FLOOR = 0.5  # coverages below this are never computed (no rule needs them)
_BASE = np.uint64(1_000_003)  # odd multiplier; arithmetic wraps mod 2**64


def window_hashes(ids: np.ndarray, length: int) -> np.ndarray:
    """Polynomial hash of every window of ``length`` ids (uint64, wrapping)."""
    count = max(len(ids) - length + 1, 0)
    hashes = np.zeros(count, dtype=np.uint64)
    for k in range(length):
        hashes = hashes * _BASE + ids[k : k + count]
    return hashes


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + c)`` for every (s, c), without a Python loop."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    offsets = np.repeat(starts - (ends - counts), counts)
    return np.arange(total, dtype=np.int64) + offsets


@dataclass
class GramIndex:
    """Test grams of several fields: lookup tables per gram length and postings (target, idf, key) per gram."""

    tables: dict[int, tuple[np.ndarray, np.ndarray]]  # length -> (sorted hashes, gram id of each)
    start: np.ndarray  # postings of gram g: start[g]:start[g+1]
    target: np.ndarray  # field * n_items + item
    idf: np.ndarray
    key_start: np.ndarray  # the same for key postings only
    key_target: np.ndarray
    total: np.ndarray  # per target: the item's whole IDF in that field (0 = no such field)

    @classmethod
    def build(cls, fields: Sequence[Sequence[np.ndarray]]) -> "GramIndex":
        """``fields[f][i]``: word ids (>= 1) of item i's field f (empty = the item has no such field)."""
        n_items = len(fields[0]) if fields else 0
        lengths, hashes, targets, idfs = [], [], [], []
        for f, items in enumerate(fields):
            present = [i for i, ids in enumerate(items) if len(ids)]
            per_item = []
            for i in present:
                length = min(GRAM, len(items[i]))
                per_item.append((i, length, np.unique(window_hashes(np.asarray(items[i], np.uint64), length))))
            if not per_item:
                continue
            h = np.concatenate([grams for _, _, grams in per_item])
            ell = np.concatenate([np.full(len(g), n, np.int64) for _, n, g in per_item])
            t = np.concatenate([np.full(len(g), f * n_items + i, np.int64) for i, _, g in per_item])
            # df: items of this field holding the gram (each item's grams are unique already)
            _, inverse, df = np.unique(np.stack([ell.astype(np.uint64), h]), axis=1, return_inverse=True,
                                       return_counts=True)
            idfs.append(np.log1p(len(present) / df[inverse.ravel()]))
            lengths.append(ell)
            hashes.append(h)
            targets.append(t)
        n_targets = len(fields) * n_items
        if not hashes:
            empty = np.zeros(0, np.int64)
            return cls({}, np.zeros(1, np.int64), empty, np.zeros(0), np.zeros(1, np.int64), empty,
                       np.zeros(n_targets))
        ell, h, t, idf = map(np.concatenate, (lengths, hashes, targets, idfs))
        order = np.lexsort((h, ell))
        ell, h, t, idf = ell[order], h[order], t[order], idf[order]
        new = np.ones(len(h), bool)
        new[1:] = (h[1:] != h[:-1]) | (ell[1:] != ell[:-1])
        gram = np.cumsum(new) - 1
        n_grams = int(gram[-1]) + 1
        start = np.searchsorted(gram, np.arange(n_grams + 1))
        tables = {}
        for length in np.unique(ell).tolist():
            firsts = np.flatnonzero(new & (ell == length))
            tables[length] = (h[firsts], gram[firsts])  # sorted by hash within one length
        total = np.bincount(t, weights=idf, minlength=n_targets)
        key = _key_grams(t, idf, total)
        key_start = np.searchsorted(gram[key], np.arange(n_grams + 1))
        return cls(tables, start, t, idf, key_start, t[key], total)

    def hits(self, corpus: np.ndarray, row_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unique (row, gram) pairs: the test grams each training row contains. ``corpus`` holds word ids with 0
        for unknown words and row gaps; a window holding a 0 is no test gram."""
        zeros = np.concatenate([[0], np.cumsum(corpus == 0)])
        rows, grams = [], []
        for length, (keys, ids) in self.tables.items():
            hashes = window_hashes(corpus, length)
            clean = (zeros[length:] - zeros[: len(zeros) - length]) == 0
            where = np.flatnonzero(clean)
            slot = np.minimum(np.searchsorted(keys, hashes[where]), len(keys) - 1)
            found = keys[slot] == hashes[where]
            rows.append(row_of[where[found]])
            grams.append(ids[slot[found]])
        if not rows:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        n_grams = len(self.start) - 1
        codes = np.unique(np.concatenate(rows) * n_grams + np.concatenate(grams))
        return codes // n_grams, codes % n_grams

    def score(self, corpus: np.ndarray, row_of: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, target, coverage) for every pair whose coverage is at least FLOOR."""
        rows, grams = self.hits(corpus, row_of)
        n_targets = len(self.total)
        counts = self.key_start[grams + 1] - self.key_start[grams]
        cand = np.unique(np.repeat(rows, counts) * n_targets + self.key_target[_ranges(self.key_start[grams], counts)])
        if not len(cand):
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        mine = np.isin(rows, np.unique(cand // n_targets))
        rows, grams = rows[mine], grams[mine]
        counts = self.start[grams + 1] - self.start[grams]
        postings = _ranges(self.start[grams], counts)
        codes = np.repeat(rows, counts) * n_targets + self.target[postings]
        keep = np.isin(codes, cand)
        pairs, inverse = np.unique(codes[keep], return_inverse=True)
        mass = np.bincount(inverse, weights=self.idf[postings][keep], minlength=len(pairs))
        coverage = mass / self.total[pairs % n_targets]
        ok = coverage >= FLOOR - 1e-9
        return pairs[ok] // n_targets, pairs[ok] % n_targets, np.minimum(coverage[ok], 1.0)


def _key_grams(target: np.ndarray, idf: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Per target, its rarest grams until they hold more than ``1 - FLOOR`` of its IDF (a boolean mask)."""
    order = np.lexsort((-idf, target))
    t, w = target[order], idf[order]
    cum = np.cumsum(w)
    first = np.searchsorted(t, t)  # index of each target's first entry in the sorted order
    before = cum - w - (cum[first] - w[first])  # IDF of the target's rarer grams
    mask = np.zeros(len(target), bool)
    mask[order] = before <= (1 - FLOOR) * total[t] + 1e-9
    return mask
