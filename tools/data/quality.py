"""Quality numbers for a sample of rows: empty/malformed rows, exact/near duplicates, token lengths, answer formats.

Numbers, not adjectives: every field is a count or a share, so two datasets (or two filters) compare directly.

>>> report = quality_report(rows, {"prompt": "question", "answer": "answer"}, tokenizer=tok)
>>> report.empty_rows, report.near_duplicates, report.token_lengths["prompt"].p90, report.answer_formats
"""

import re
from typing import Any

from pydantic import BaseModel, Field

from posttrain.tools.data.dedupe import find_duplicates
from posttrain.tools.data.formats import row_text


ANSWER_PATTERNS: list[tuple[str, str]] = [
    ("integer", r"-?\d+"),
    ("decimal", r"-?\d+\.\d+"),
    ("fraction", r"-?\d+/\d+"),
    ("choice_letter", r"\(?[A-Ea-e]\)?"),
    ("gsm8k_hash", r"(?s).*####\s*-?[\d,.]+"),
    ("boxed", r"(?s).*\\boxed\{.*\}.*"),
    ("short_text", r"(?s).{1,64}"),
]


class LengthStats(BaseModel):
    """Distribution of lengths in tokens of the base model's tokenizer (characters when no tokenizer was given)."""

    unit: str = Field(description="'tokens' or 'chars'.")
    mean: float
    p50: int
    p90: int
    max: int


class QualityReport(BaseModel):
    """Quality of a sample of rows, as counts and shares."""

    n_rows: int = Field(description="Rows examined.")
    empty_rows: int = Field(description="Rows whose mapped fields are missing, None or blank.")
    malformed_rows: int = Field(
        description="Rows whose mapped fields have the wrong type (e.g. messages not a role/content list)."
    )
    exact_duplicates: int = Field(description="Rows identical to an earlier row after normalisation.")
    near_duplicates: int = Field(description="Rows with Jaccard ≥ 0.85 (word 3-grams) to an earlier row.")
    token_lengths: dict[str, LengthStats] = Field(default_factory=dict, description="Per mapped role.")
    answer_formats: dict[str, float] = Field(
        default_factory=dict, description="Share of answers matching each format."
    )
    answer_consistency: float | None = Field(
        None, description="Share of the most common answer format (1.0 = all alike)."
    )


def _lengths(texts: list[str], tokenizer: Any | None) -> LengthStats:
    if tokenizer is not None:
        sizes = sorted(len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"])
    else:
        sizes = sorted(len(t) for t in texts)
    return LengthStats(
        unit="tokens" if tokenizer is not None else "chars",
        mean=round(sum(sizes) / len(sizes), 2),
        p50=sizes[len(sizes) // 2],
        p90=sizes[min(len(sizes) - 1, int(len(sizes) * 0.9))],
        max=sizes[-1],
    )


def answer_format(text: str) -> str:
    """The first matching format name of ANSWER_PATTERNS, or 'long_text'."""
    stripped = text.strip()
    return next((name for name, pattern in ANSWER_PATTERNS if re.fullmatch(pattern, stripped)), "long_text")


def _is_malformed(value: Any, role: str) -> bool:
    if role in ("messages", "chosen", "rejected") and isinstance(value, list):
        return not all(isinstance(m, dict) and {"role", "content"} <= set(m) for m in value)
    return not isinstance(value, str | int | float)


def quality_report(
    rows: list[dict[str, Any]], mapping: dict[str, str] | None = None, *, tokenizer: Any | None = None
) -> QualityReport:
    """Measure a sample: emptiness and malformation of mapped fields, duplicates, token lengths, answer formats.

    ``mapping`` is role → column (as from propose_fits); without one every column is examined as text.
    """
    mapping = mapping or {column: column for column in (rows[0] if rows else {})}
    empty = malformed = 0
    for row in rows:
        values = [(role, row.get(column)) for role, column in mapping.items()]
        if any(
            v is None or (isinstance(v, str | list) and not (v.strip() if isinstance(v, str) else v))
            for _, v in values
        ):
            empty += 1
        elif any(_is_malformed(v, role) for role, v in values):
            malformed += 1
    duplicates = find_duplicates([row_text({k: row.get(k) for k in mapping.values()}) for row in rows])
    lengths = {}
    for role, column in mapping.items():
        texts = [row_text({column: row.get(column)}) for row in rows]
        texts = [t for t in texts if t] or [str(row.get(column, "")) for row in rows if row.get(column) is not None]
        if texts:
            lengths[role] = _lengths(texts, tokenizer)
    formats: dict[str, float] = {}
    answer_column = mapping.get("answer") or mapping.get("completion")
    answers = [str(row[answer_column]) for row in rows if answer_column and row.get(answer_column) is not None]
    for answer in answers:
        kind = answer_format(answer)
        formats[kind] = formats.get(kind, 0) + 1 / len(answers)
    formats = {k: round(v, 4) for k, v in sorted(formats.items(), key=lambda kv: -kv[1])}
    return QualityReport(
        n_rows=len(rows),
        empty_rows=empty,
        malformed_rows=malformed,
        exact_duplicates=len(duplicates.exact),
        near_duplicates=len(duplicates.near),
        token_lengths=lengths,
        answer_formats=formats,
        answer_consistency=max(formats.values()) if formats else None,
    )
