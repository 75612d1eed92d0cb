"""Mix sources with weights, upsample a slice, drop duplicates, split off a test set. Seeded and order-stable.

>>> rows = mix([rows_a, rows_b], weights=[0.8, 0.2], total=1000, seed=0)   # 800 from a, 200 from b
>>> upsample(rows_b, 3.0)                                                 # every row three times
"""

import hashlib
import json
import random
from typing import Any

from posttrain.tools.errors import ConfigError


Row = dict[str, Any]


def upsample(rows: list[Row], factor: float, *, seed: int = 0) -> list[Row]:
    """Repeat rows ``factor`` times: whole copies, then a seeded sample for the fractional part (0.5 halves)."""
    if factor <= 0:
        raise ConfigError(f"upsample factor must be > 0, got {factor}; fix: 2.0 doubles a source, 0.5 halves it")
    whole, fraction = int(factor), factor - int(factor)
    extra = random.Random(seed).sample(rows, round(len(rows) * fraction)) if fraction else []
    return [dict(row) for _ in range(whole) for row in rows] + [dict(row) for row in extra]


def mix(sources: list[list[Row]], *, weights: list[float], total: int | None, seed: int = 0) -> list[Row]:
    """Draw round(total * w_i / Σw) rows from source i (repeating a source that is too small), shuffled together.

    ``total`` None keeps every row of every source (weights unused).
    """
    if len(sources) != len(weights) or any(w < 0 for w in weights) or not sum(weights):
        raise ConfigError(f"weights {weights} must be one non-negative number per source, not all 0")
    rng = random.Random(seed)
    if total is None:
        mixed = [row for rows in sources for row in rows]
    else:
        mixed = []
        for rows, weight in zip(sources, weights, strict=True):
            want = round(total * weight / sum(weights))
            if want and not rows:
                raise ConfigError("a weighted source has no rows left; fix: remove it or set its weight to 0")
            if want:
                mixed += (
                    upsample(rows, want / len(rows), seed=rng.randrange(1 << 30))[:want]
                    if want > len(rows)
                    else rng.sample(rows, want)
                )
    rng.shuffle(mixed)
    return mixed


def split_rows(rows: list[Row], test_size: float, *, seed: int = 0) -> tuple[list[Row], list[Row]]:
    """Seeded (train, test) split; ``test_size`` is a share in [0, 1)."""
    if not 0.0 <= test_size < 1.0:
        raise ConfigError(f"test_size must be in [0, 1), got {test_size}; fix: e.g. 0.1")
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    cut = round(len(rows) * test_size)
    test = set(order[:cut])
    return [r for i, r in enumerate(rows) if i not in test], [r for i, r in enumerate(rows) if i in test]


# The validation split the Trainer stops on. Its loss is an average over rows (standard error ~ 1/sqrt(n)) and its
# score a share of items (±0.07 at 200 items, p = 0.5): 200 rows read both well enough to see a trend, more only
# costs evaluation time. Small data keeps at least 90% of its rows for training.
VALIDATION_MAX_SHARE = 0.1
# Fewer held-out rows than this give a score too coarse to compare (1 item = 1/MIN) and a noisy loss: no split.
VALIDATION_MIN_ROWS = 10


def validation_count(n_rows: int, wanted: int) -> int:
    """Rows to hold out of `n_rows`: `wanted`, at most a tenth of the rows, none when that is under the minimum."""
    n = min(wanted, int(n_rows * VALIDATION_MAX_SHARE))
    return n if n >= VALIDATION_MIN_ROWS else 0


def split_validation(rows: list[Row], wanted: int) -> tuple[list[Row], list[Row]]:
    """(train, validation) split of training rows; `validation_count` decides the size. A row is held out by the
    hash of its content, not by a seed or its position: the same rows give the same split in every build, so a
    row validated in one iteration is never trained on in the next (each iteration rebuilds with its own seed)."""
    n = validation_count(len(rows), wanted)
    if not n:
        return rows, []
    ranked = sorted(range(len(rows)), key=lambda i: hashlib.sha1(
        json.dumps(rows[i], sort_keys=True, default=str).encode()).hexdigest())
    held = set(ranked[:n])
    return [r for i, r in enumerate(rows) if i not in held], [r for i, r in enumerate(rows) if i in held]
