"""The contamination verdict: every training row scored against every test item, per field, with the rule it broke.

Rules (a row is contaminated when any holds; each flagged row names its best match):

- overlap: IDF-weighted 5-gram coverage of one field (question, answer = gold solution, passage) reaches the
  length-aware threshold: 1.0 for fields of <= 8 words (exact), 0.8 from 32 words, linear between (the judges'
  tool). Copies, case/punctuation/Unicode changes, chat rows and questions embedded in longer text end here.
- combined: 0.75 × question + 0.25 × answer coverage reaches the question's threshold.
- paraphrase / answer+numbers: see ``numbers.py`` (same numbers, reworded; final answer with the numbers).

A row with the wording of an item's question (numbers masked) but not all its numbers is a template sibling:
kept, and counted apart. ``check_contamination`` is the one entry point the build gate, ``posttrain decontam``
and ``posttrain audit`` share::

    report = check_contamination(train_texts, bench.eval_items(), benchmark="gsm8k")
    report.matches[0]   # RowMatch(row=12, eval_id="gsm8k-7", field="question", rule="overlap", score=1.0)
"""

from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from posttrain.tools.evaluation.benchmark import Item
from posttrain.tools.evaluation.contamination.grams import GramIndex
from posttrain.tools.evaluation.contamination.numbers import RowWords, number_hits
from posttrain.tools.evaluation.contamination.reference import RefItem, from_benchmark_items
from posttrain.tools.evaluation.contamination.text import NUMBER, tokenize


METHOD = "idf-weighted word 5-grams per field + same-number paraphrase + final answer with numbers"
MIN_ANSWER_WORDS = 5  # a shorter answer is a label ("72", "B"), not a solution; it counts only with the numbers
SHORT = 8  # words: a field this short must appear whole (the judges' rule)
FIELDS = ("question", "answer", "passage")
RULES = ("overlap", "combined", "paraphrase", "answer+numbers")  # order = which match a row reports first


class RowMatch(BaseModel):
    """One training row and the test item it matched."""

    row: int = Field(description="0-based index of the training row.")
    line: int | None = Field(None, description="1-based line of the row in its JSONL file, when read from one.")
    eval_id: str = Field(description="Id of the test item matched.")
    field: Literal["question", "answer", "passage"] = Field(description="The test item's field that matched.")
    rule: Literal["overlap", "combined", "paraphrase", "answer+numbers", "sibling"] = Field(
        description="Which rule flagged it (sibling: same wording, other numbers; kept).")
    score: float = Field(description="The rule's score, 0-1 (IDF-weighted share of the field found).")


class ContaminationReport(BaseModel):
    """Which training rows hold which test items, by which rule."""

    benchmark: str | None = Field(None, description="Benchmark name when known.")
    method: str = Field(METHOD, description="How rows were scored.")
    n_eval: int = Field(description="Number of test items checked.")
    n_train: int = Field(description="Number of training rows checked.")
    contaminated_eval_ids: list[str] = Field(description="Test items found in the training rows (eval order).")
    contaminated_train_rows: list[int] = Field(description="0-based indices of the contaminated training rows.")
    rate: float = Field(description="Share of test items that are contaminated (0-1).")
    matches: list[RowMatch] = Field(default_factory=list, description="Every contaminated row with its best match.")
    by_rule: dict[str, int] = Field(default_factory=dict, description="Contaminated rows per rule.")
    template_siblings: int = Field(0, description="Rows kept as template siblings (same wording, other numbers).")
    sibling_examples: list[RowMatch] = Field(default_factory=list, description="Up to 20 template siblings.")


def threshold(words: int) -> float:
    """Coverage a field of ``words`` words needs: exact up to 8 words, 0.8 from 32, linear between."""
    return 1.0 if words <= SHORT else 0.8 if words >= 32 else 1.0 - 0.2 * (words - SHORT) / 24


class _Tests:
    """Test items as word ids per field, one vocabulary (id 0 = not a test word; NUM = any number, for shapes)."""

    def __init__(self, refs: Sequence[RefItem]):
        texts = [r.question for r in refs] + [r.answer for r in refs] + [r.passage for r in refs]
        texts += [r.final for r in refs]
        words, rows = tokenize(texts)
        self.vocab: dict[str, int] = {}
        per_text: list[list[int]] = [[] for _ in texts]
        for word, row in zip(words.to_pylist(), rows.to_pylist(), strict=True):
            per_text[row].append(self.vocab.setdefault(word, len(self.vocab) + 1))
        n = len(refs)
        self.words = [""] + list(self.vocab)
        self.num_id = len(self.words)  # one more id: "some number", in question shapes
        self.is_num = np.array([False] + [w.isascii() and w.isdigit() for w in self.vocab] + [True])
        arrays = [np.array(ids, np.int64) for ids in per_text]
        self.question, self.answer, self.passage = arrays[:n], arrays[n : 2 * n], arrays[2 * n : 3 * n]
        self.answer = [a if len(a) >= MIN_ANSWER_WORDS else a[:0] for a in self.answer]
        self.finals = [int(f[0]) if len(f) == 1 and self.is_num[f[0]] else 0 for f in arrays[3 * n :]]
        # the wording with numbers masked, for template siblings; not for short questions, whose shape ("sort NUM",
        # "NUM NUM") every item and half the training rows share (and whose copies must be exact anyway)
        self.shape = [np.where(self.is_num[q], self.num_id, q) if len(q) > SHORT else q[:0] for q in self.question]
        every = [np.concatenate([q, a, f]) for q, a, f in zip(arrays[:n], arrays[n : 2 * n], arrays[3 * n :],
                                                               strict=True)]
        self.universes = [np.unique(ids[self.is_num[ids]]) for ids in every]
        df = np.bincount(np.concatenate([np.unique(q) for q in self.question] + [np.zeros(0, np.int64)]),
                         minlength=len(self.is_num))
        self.idf = np.where(df > 0, np.log1p(max(n, 1) / np.maximum(df, 1)), 0.0)


def _corpus(texts: Sequence[str], tests: _Tests):
    """All training rows as one uint64 id array (0 between rows and for unknown words), the row of each
    position, the same array with every number masked, the (id, row) of every word, and the number of distinct
    numbers in each row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    words, rows = tokenize(texts)
    known = pc.index_in(words, value_set=pa.array(tests.words[1:], type=pa.large_string()))
    ids = pc.fill_null(known, -1).to_numpy(zero_copy_only=False).astype(np.int64) + 1
    numeric = pc.match_substring_regex(words, NUMBER).to_numpy(zero_copy_only=False)
    rows = rows.to_numpy(zero_copy_only=False).astype(np.int64)
    positions = np.arange(len(ids), dtype=np.int64) + rows + 1  # one gap slot before each row
    corpus = np.zeros(len(ids) + len(texts) + 1, dtype=np.uint64)
    row_of = np.full(len(corpus), -1, dtype=np.int64)
    corpus[positions], row_of[positions] = ids.astype(np.uint64), rows
    shaped = corpus.copy()
    shaped[positions[numeric]] = tests.num_id
    codes = pc.dictionary_encode(pc.filter(words, pa.array(numeric))).indices.to_numpy(zero_copy_only=False)
    pairs = np.unique(rows[numeric] * (int(codes.max(initial=0)) + 1) + codes)
    row_numbers = np.bincount(pairs // (int(codes.max(initial=0)) + 1), minlength=len(texts))
    return corpus, shaped, row_of, ids, rows, row_numbers


def _candidates(texts: Sequence[str], refs: Sequence[RefItem]):
    """Every (row, item) → {(field, rule): score} that passes a rule, and the siblings {(row, item): score}."""
    tests = _Tests(refs)
    corpus, shaped, row_of, ids, rows, row_numbers = _corpus(texts, tests)
    n = len(refs)
    lengths = [[len(a) for a in field] for field in (tests.question, tests.answer, tests.passage)]
    found: dict[tuple[int, int], dict[tuple[str, str], float]] = {}
    coverage: dict[tuple[int, int, int], float] = {}
    plain = GramIndex.build([tests.question, tests.answer, tests.passage])
    for row, target, score in zip(*(a.tolist() for a in plain.score(corpus, row_of)), strict=True):
        field, item = divmod(target, n)
        coverage[(row, item, field)] = score
        if score >= threshold(lengths[field][item]) - 1e-9:
            found.setdefault((row, item), {})[(FIELDS[field], "overlap")] = score
    for (row, item, field), q in coverage.items():
        a = coverage.get((row, item, 1))
        if field == 0 and a is not None and 0.75 * q + 0.25 * a >= threshold(lengths[0][item]) - 1e-9:
            found.setdefault((row, item), {})[("question", "combined")] = 0.75 * q + 0.25 * a
    words = RowWords.build(ids, rows, len(texts))
    hits, close = number_hits(words, tests.question, tests.finals, tests.universes, row_numbers, tests.is_num,
                              tests.idf, tests.words)
    for hit in hits:
        field = "question" if hit.rule == "paraphrase" else "answer"
        found.setdefault((hit.row, hit.item), {})[(field, hit.rule)] = hit.score
    siblings: dict[tuple[int, int], float] = {}
    with_numbers = {item: set(rows_.tolist()) for item, rows_ in close.items()}
    shapes = GramIndex.build([tests.shape])
    for row, item, score in zip(*(a.tolist() for a in shapes.score(shaped, row_of)), strict=True):
        if score < threshold(lengths[0][item]) - 1e-9:
            continue
        if item not in with_numbers:  # no numbers at all: the shape is the question, and overlap judged it
            continue
        if row in with_numbers[item]:  # same wording, same numbers (and no others)
            found.setdefault((row, item), {})[("question", "paraphrase")] = score
        else:
            siblings[(row, item)] = score
    return found, siblings


def check_contamination(
    train_texts: Sequence[str], eval_items: Sequence[Item] | Sequence[RefItem], *,
    lines: Sequence[int | None] | None = None, benchmark: str | None = None,
) -> ContaminationReport:
    """Score every training text against every test item (benchmark ``Item``s or ``RefItem``s); see the module
    docstring for the rules. ``lines``: where each text came from, copied into the matches."""
    refs = [from_benchmark_items([x])[0] if isinstance(x, Item) else x for x in eval_items]
    n_train = len(train_texts)
    if not refs or not n_train:
        return ContaminationReport(benchmark=benchmark, n_eval=len(refs), n_train=n_train,
                                   contaminated_eval_ids=[], contaminated_train_rows=[], rate=0.0)
    found, siblings = _candidates(train_texts, refs)
    best: dict[int, RowMatch] = {}
    rank = {rule: i for i, rule in enumerate(RULES)}
    for (row, item), rules in found.items():
        (field, rule), score = min(rules.items(), key=lambda kv: (rank[kv[0][1]], -kv[1]))
        match = RowMatch(row=row, line=lines[row] if lines else None, eval_id=refs[item].id, field=field,
                         rule=rule, score=round(score, 3))
        held = best.get(row)
        if held is None or (rank[rule], -match.score) < (rank[held.rule], -held.score):
            best[row] = match
    hit_items = {item for row, item in found}
    kept = sorted({(row, item): s for (row, item), s in siblings.items() if row not in best}.items())
    sibling_rows = sorted({row for (row, _), _ in kept})
    matches = [best[row] for row in sorted(best)]
    return ContaminationReport(
        benchmark=benchmark, n_eval=len(refs), n_train=n_train,
        contaminated_eval_ids=[refs[i].id for i in sorted(hit_items)], contaminated_train_rows=sorted(best),
        rate=len(hit_items) / len(refs), matches=matches,
        by_rule={rule: sum(m.rule == rule for m in matches) for rule in RULES if any(m.rule == rule for m in matches)},
        template_siblings=len(sibling_rows),
        sibling_examples=[RowMatch(row=row, line=lines[row] if lines else None, eval_id=refs[item].id,
                                   field="question", rule="sibling", score=round(score, 3))
                          for (row, item), score in kept[:20]],
    )
