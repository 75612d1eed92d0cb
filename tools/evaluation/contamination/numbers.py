"""The two rules that look at a test item's numbers: same-number paraphrases and final-answer leaks.

A word problem reworded keeps its numbers; a template sibling (same wording, other numbers) does not. So:

- paraphrase: the row holds every number of the item's question and most of its content words (IDF-weighted
  share >= ``PARAPHRASE``), or its wording with numbers masked (the shape score) and every number;
- answer+numbers: the row holds the item's numeric final answer and every number of its question, when that set
  is distinctive (three or more distinct question numbers, two numbers with two or more digits, the answer not
  among the question's numbers), e.g. a worked solution pasted without its question.

Both also need the row's numbers to be the item's: numbers in the row that are in neither the item's question,
its solution nor its answer are foreign (a paraphrase, and the item's solution, bring none; a sibling problem
that holds the item's numbers by chance brings its own: "18 x 2 = 36 ... 55 - 36 = 19"). A paraphrase may hold
``FOREIGN`` of them when the item has three or more numbers, none when it has fewer; answer+numbers none.
Rows are found by intersecting per-number postings, so only rows holding all of an item's numbers are scored.
"""

from dataclasses import dataclass

import numpy as np


PARAPHRASE = 0.6  # share of the question's content-word IDF a same-number paraphrase keeps
FOREIGN = 1  # distinct numbers a paraphrase may hold beyond the item's own (one stray "5 steps")


@dataclass
class RowWords:
    """Which known words each training row holds: sorted unique codes ``word * n_rows + row``."""

    codes: np.ndarray
    n_rows: int

    @classmethod
    def build(cls, ids: np.ndarray, rows: np.ndarray, n_rows: int) -> "RowWords":
        known = ids > 0
        return cls(np.unique(ids[known].astype(np.int64) * n_rows + rows[known]), n_rows)

    def rows_with(self, word: int) -> np.ndarray:
        low, high = np.searchsorted(self.codes, [word * self.n_rows, (word + 1) * self.n_rows])
        return self.codes[low:high] - word * self.n_rows

    def rows_with_all(self, words: np.ndarray) -> np.ndarray:
        postings = sorted((self.rows_with(int(w)) for w in words), key=len)
        rows = postings[0] if postings else np.zeros(0, np.int64)
        for other in postings[1:]:
            if not len(rows):
                break
            rows = np.intersect1d(rows, other, assume_unique=True)
        return rows

    def present(self, words: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Boolean (len(words), len(rows)): whether each row holds each word."""
        codes = words[:, None].astype(np.int64) * self.n_rows + rows[None, :]
        slot = np.minimum(np.searchsorted(self.codes, codes), len(self.codes) - 1)
        return self.codes[slot] == codes


@dataclass
class NumberHit:
    row: int
    item: int
    rule: str  # "paraphrase" or "answer+numbers"
    score: float


def distinctive(numbers: list[str], final: str) -> bool:
    """Whether a final answer with these question numbers pins down one item: three or more question numbers
    (two are one sum, "24 + 21 = 45", that other solutions contain), two with two or more digits (not 2, 3, 5)."""
    values = set(numbers) | {final}
    return final not in numbers and len(set(numbers)) >= 3 and sum(len(v) >= 2 for v in values) >= 2


def number_hits(words: RowWords, questions: list[np.ndarray], finals: list[int], universes: list[np.ndarray],
                row_numbers: np.ndarray, is_num: np.ndarray, idf: np.ndarray,
                vocab_words: list[str]) -> tuple[list[NumberHit], dict[int, np.ndarray]]:
    """Paraphrase and answer+numbers hits for every item, and per item the rows that hold all its numbers and at
    most ``FOREIGN`` others.

    ``questions[i]``: the word ids of item i's question; ``finals[i]``: the id of its numeric final answer (0 when
    it has none); ``universes[i]``: the ids of every number in its question, solution and answer;
    ``row_numbers[r]``: distinct numbers in row r; ``is_num``/``idf``: per word id; ``vocab_words[id]``: the word.
    """
    hits: list[NumberHit] = []
    close: dict[int, np.ndarray] = {}
    for item, ids in enumerate(questions):
        unique = np.unique(ids)
        numbers, content = unique[is_num[unique]], unique[~is_num[unique]]
        if not len(numbers):
            continue
        rows = words.rows_with_all(numbers)
        foreign = row_numbers[rows] - words.present(universes[item], rows).sum(axis=0) if len(rows) else rows
        exact = rows[foreign == 0]
        rows = rows[foreign <= (FOREIGN if len(numbers) >= 3 else 0)]  # two numbers pin an item down less
        close[item] = rows
        if not len(rows):
            continue
        weights = idf[content]
        if weights.sum() > 0:
            for start in range(0, len(rows), 20_000):  # bounded memory when a common number has many rows
                chunk = rows[start : start + 20_000]
                coverage = weights @ words.present(content, chunk) / weights.sum()
                hits += [NumberHit(int(r), item, "paraphrase", float(c))
                         for r, c in zip(chunk, coverage, strict=True) if c >= PARAPHRASE]
        final = finals[item]
        if final and distinctive([vocab_words[n] for n in numbers.tolist()], vocab_words[final]):
            leaked = np.intersect1d(exact, words.rows_with(final), assume_unique=True)
            hits += [NumberHit(int(r), item, "answer+numbers", 1.0) for r in leaked.tolist()]
    return hits, close
