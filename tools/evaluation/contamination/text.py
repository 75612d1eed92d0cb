"""How the contamination check sees text: NFKC, lower case, words of letters and digits, numbers kept whole.

Both sides (test items and training rows) go through the same vectorised Arrow pipeline, so a copy cannot hide
behind case, spacing, punctuation, full-width digits ("１２" is "12"), thousands separators ("1,234" is "1234")
or GSM8K calculator annotations ("<<48/2=24>>", which training rows often strip)::

    normalize_words("Weng EARNS $1,200/hour <<3*4=12>>")   # ["weng", "earns", "1200", "hour"]
"""

from collections.abc import Sequence
from typing import Any


_SPLIT = r"[^\pL\pN]+"  # RE2 syntax: anything that is not a letter or a digit separates words
_ANNOTATION = r"<<[^<>]*>>"  # GSM8K calculator annotation inside a worked solution
_GROUPED = r"(\d),(\d\d\d)"  # a thousands separator; applied twice because matches cannot overlap ("1,234,567")
NUMBER = r"^\d+$"


def tokenize(texts: Sequence[str]):
    """(words, row of each word) for many texts at once, as Arrow arrays: the normalised words in order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = pc.utf8_lower(pc.utf8_normalize(pa.array(list(texts), type=pa.large_string()), "NFKC"))
    array = pc.replace_substring_regex(array, _ANNOTATION, " ")
    array = pc.replace_substring_regex(pc.replace_substring_regex(array, _GROUPED, r"\1\2"), _GROUPED, r"\1\2")
    lists = pc.split_pattern_regex(array, _SPLIT)
    words, rows = pc.list_flatten(lists), pc.list_parent_indices(lists)
    keep = pc.greater(pc.utf8_length(words), 0)
    return pc.filter(words, keep), pc.filter(rows, keep)


def normalize_words(text: str) -> list[str]:
    """The normalised words of one text, as the check sees them."""
    return tokenize([text])[0].to_pylist()


def is_number(word: str) -> bool:
    return word.isascii() and word.isdigit()


def row_text(row: Any) -> str:
    """Flatten one dataset row to text: every string value, recursively (chat ``messages`` included)."""
    if isinstance(row, str):
        return row
    if isinstance(row, int | float) and not isinstance(row, bool):
        return str(row)  # a numeric label ({"answer": 72}) is part of what the model trains on
    if isinstance(row, dict):
        return "\n".join(row_text(value) for value in row.values())
    if isinstance(row, list | tuple):
        return "\n".join(row_text(value) for value in row)
    return ""
