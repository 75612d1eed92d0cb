"""Offline, seeded benchmarks with a generator and a "buggy teacher": ``arithmetic`` and ``caesar``.

Both make a fixed eval set from their seed and any number of training items that are checked disjoint from it.
The buggy teacher labels a share of the training items with a systematic error that RL against the true answer
can repair (see shared notes §2.2–2.3)::

    bench = ArithmeticBenchmark(digits=2, ops="+")
    bench.eval_items(limit=1)[0].prompt                 # "58+67="
    bench.train_items(100, teacher_noise=0.7)[0].meta   # {"teacher_correct": False, "gold": "125"}  (58+67 → 115)

Prompts are raw strings for the tiny character-level model: no chat template, no few-shot.
"""

import itertools
import random
import string

from posttrain.tools.errors import ConfigError, ToolError
from posttrain.tools.evaluation.benchmark import Benchmark, Item, take


_OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}
_VOWELS = set("aeiou")


def _buggy_arithmetic(a: int, b: int, op: str) -> int:
    """The teacher's systematic slip: forgets the carry (or borrow) of the units column."""
    if op == "+":
        return a + b - (10 if a % 10 + b % 10 >= 10 else 0)
    if op == "-":
        return a - b + (10 if a % 10 < b % 10 else 0)
    return a * b - 10 * ((a % 10) * (b % 10) // 10)  # drops the carry of units × units


def _disjoint_sample(make, exclude: set, n: int, space: int, rng: random.Random, what: str, every=None) -> list:
    """Draw ``n`` distinct keys from ``make(rng)`` that are not in ``exclude``; ToolError if the space is too small.

    ``every()`` lists the whole space; it is used instead of rejection sampling when the request is most of it.
    """
    free = space - len(exclude)
    if n > free:
        raise ToolError(
            f"only {free} {what} exist outside the eval set, {n} were asked for; "
            "ask for fewer items or enlarge the space (more digits / longer strings)"
        )
    if n > free // 2 and every is not None:
        pool = [key for key in every() if key not in exclude]
        rng.shuffle(pool)
        return pool[:n]
    chosen: dict = {}  # insertion-ordered, so the result does not depend on PYTHONHASHSEED
    while len(chosen) < n:
        key = make(rng)
        if key not in exclude and key not in chosen:
            chosen[key] = None
    return list(chosen)


class ArithmeticBenchmark(Benchmark):
    """``arithmetic:digits=3,ops=+,n_eval=200,seed=0`` — "123+456=" → "579", numeric scorer (first number)."""

    answer_type = "numeric"
    has_generator = True
    number_position = "first"  # the answer directly follows "=", trailing junk must not win

    def __init__(self, digits: int = 3, ops: str = "+", n_eval: int = 200, seed: int = 0):
        if not 1 <= digits <= 9:
            raise ConfigError(f"arithmetic digits must be 1-9, got {digits}; fix: e.g. arithmetic:digits=3")
        if not ops or any(op not in _OPS for op in ops) or len(set(ops)) != len(ops):
            raise ConfigError(f"arithmetic ops must be distinct characters of '+-*', got '{ops}'; fix: ops=+-")
        if n_eval < 1:
            raise ConfigError(f"arithmetic n_eval must be >= 1, got {n_eval}")
        self.digits, self.ops, self.n_eval, self.seed = digits, ops, n_eval, seed
        self.space = (10**digits) ** 2 * len(ops)
        self.train_capacity = self.space - n_eval
        if n_eval > self.space // 2:
            raise ConfigError(
                f"arithmetic with digits={digits} has only {self.space} problems; n_eval={n_eval} leaves too few "
                "for training; fix: raise digits or lower n_eval"
            )
        self.name = "arithmetic"
        self.spec = f"arithmetic:digits={digits},ops={ops},n_eval={n_eval},seed={seed}"
        self.max_new_tokens = (2 * digits if "*" in ops else digits) + 2
        self.description = f"{digits}-digit integer arithmetic ({ops}), raw prompt 'a{ops[0]}b=', exact number"
        self._eval_keys: list[tuple[int, str, int]] | None = None

    def _make(self, rng: random.Random) -> tuple[int, str, int]:
        top = 10**self.digits
        return rng.randrange(top), rng.choice(self.ops), rng.randrange(top)

    def _keys(self) -> list[tuple[int, str, int]]:
        if self._eval_keys is None:
            rng = random.Random(f"arithmetic-eval:{self.seed}")
            self._eval_keys = _disjoint_sample(self._make, set(), self.n_eval, self.space, rng, "problems")
        return self._eval_keys

    def _item(self, key: tuple[int, str, int], label: int | None = None) -> Item:
        a, op, b = key
        gold = str(_OPS[op](a, b))
        answer = gold if label is None else str(label)
        meta = {} if label is None else {"teacher_correct": answer == gold, "gold": gold}
        return Item(id=f"arith-{a}{op}{b}", prompt=f"{a}{op}{b}=", answer=answer, meta=meta)

    def eval_items(self, limit: int | None = None) -> list[Item]:
        """The ``n_eval`` fixed problems of this seed, gold answers computed exactly."""
        return take([self._item(key) for key in self._keys()], limit)

    def train_items(self, n: int, seed: int = 0, teacher_noise: float = 0.0) -> list[Item]:
        """``n`` problems never in the eval set; a ``teacher_noise`` share labelled by the carry-dropping teacher."""
        if not 0.0 <= teacher_noise <= 1.0:
            raise ConfigError(f"teacher_noise is a share in [0, 1], got {teacher_noise}")
        rng = random.Random(f"arithmetic-train:{self.seed}:{seed}")
        every = lambda: itertools.product(range(10**self.digits), self.ops, range(10**self.digits))  # noqa: E731
        keys = _disjoint_sample(self._make, set(self._keys()), n, self.space, rng, "problems", every)
        keys = [(a, op, b) for a, op, b in keys]
        noisy = random.Random(f"arithmetic-teacher:{seed}")
        items = []
        for a, op, b in keys:
            buggy = noisy.random() < teacher_noise
            items.append(self._item((a, op, b), _buggy_arithmetic(a, b, op) if buggy else _OPS[op](a, b)))
        return items


class CaesarBenchmark(Benchmark):
    """``caesar:shift=1,length=5,n_eval=300,seed=0`` — "qzmfe>" → "rangf", exact-match text scorer."""

    answer_type = "text"
    has_generator = True

    def __init__(self, shift: int = 1, length: int = 5, n_eval: int = 300, seed: int = 0):
        if not 1 <= shift <= 25:
            raise ConfigError(f"caesar shift must be 1-25, got {shift}; fix: caesar:shift=1")
        if not 2 <= length <= 20:
            raise ConfigError(f"caesar length must be 2-20, got {length}; fix: caesar:length=5")
        if n_eval < 1 or n_eval > 26**length // 2:
            raise ConfigError(f"caesar n_eval={n_eval} does not fit 26^{length} strings; fix: lower n_eval")
        self.shift, self.length, self.n_eval, self.seed = shift, length, n_eval, seed
        self.train_capacity = 26**length - n_eval
        self.name = "caesar"
        self.spec = f"caesar:shift={shift},length={length},n_eval={n_eval},seed={seed}"
        self.max_new_tokens = length + 2
        self.description = f"shift {length} lowercase letters by {shift} (z wraps to a), raw prompt 'word>'"
        self._eval_words: list[str] | None = None

    def _make(self, rng: random.Random) -> str:
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(self.length))

    def _shift(self, word: str, skip_vowels: bool = False) -> str:
        return "".join(
            c if skip_vowels and c in _VOWELS else chr((ord(c) - 97 + self.shift) % 26 + 97) for c in word
        )

    def _words(self) -> list[str]:
        if self._eval_words is None:
            rng = random.Random(f"caesar-eval:{self.seed}")
            self._eval_words = _disjoint_sample(self._make, set(), self.n_eval, 26**self.length, rng, "strings")
        return self._eval_words

    def eval_items(self, limit: int | None = None) -> list[Item]:
        """The ``n_eval`` fixed strings of this seed with their true shift."""
        items = [Item(id=f"caesar-{w}", prompt=f"{w}>", answer=self._shift(w)) for w in self._words()]
        return take(items, limit)

    def train_items(self, n: int, seed: int = 0, teacher_noise: float = 0.0) -> list[Item]:
        """``n`` strings never in the eval set; a ``teacher_noise`` share labelled by the vowel-skipping teacher."""
        if not 0.0 <= teacher_noise <= 1.0:
            raise ConfigError(f"teacher_noise is a share in [0, 1], got {teacher_noise}")
        rng = random.Random(f"caesar-train:{self.seed}:{seed}")
        every = lambda: ("".join(t) for t in itertools.product(string.ascii_lowercase, repeat=self.length))  # noqa: E731
        words = _disjoint_sample(self._make, set(self._words()), n, 26**self.length, rng, "strings", every)
        noisy = random.Random(f"caesar-teacher:{seed}")
        items = []
        for word in words:
            gold = self._shift(word)
            label = self._shift(word, skip_vowels=noisy.random() < teacher_noise)
            meta = {"teacher_correct": label == gold, "gold": gold}
            items.append(Item(id=f"caesar-{word}", prompt=f"{word}>", answer=label, meta=meta))
        return items
