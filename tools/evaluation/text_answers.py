"""Reading a text answer out of a completion, by the conventions evaluation harnesses share, and saying which one.

A chat model rarely answers with the bare label: "The number 51,850 is an odd number." Exact match scores that 0,
which measures the format, not the skill. The conventions, tried in order (the first that finds a candidate decides;
the scorer never tries them all until one happens to match):

1. ``\\boxed{X}`` (math harnesses);
2. an answer marker: "the answer is X", "Answer: X", "Final answer: X";
3. for a closed set of labels (odd/even, yes/no, true/false, a few classes): the whole completion when it is one
   label, else the first sentence that names exactly one label — a sentence naming two ("is 11,175 odd or even?")
   restates the question and is skipped;
4. the whole completion when it is one line, else its final non-empty line.

>>> read_text_answer("The number 51,850 is an odd number.", labels=("odd", "even"))
TextAnswer(text='odd', rule='label word')
"""

import re
from typing import NamedTuple


class TextAnswer(NamedTuple):
    text: str
    rule: str


_ANSWER_MARKER = re.compile(r"(?:final answer|the answer|answer)\s*(?:is|:|=)\s*:?\s*(.+)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
# Closed label sets are read from the gold answers: a handful of distinct short answers, each repeated. A set of up to
# this many labels, each at most this many words, is a classification task (binary, multi-class, yes/no/maybe).
MAX_LABELS, MAX_LABEL_WORDS = 10, 3


def label_set(answers: list[str]) -> tuple[str, ...] | None:
    """The closed set of labels behind ``answers`` (each label seen at least twice), or None for open answers."""
    distinct = {a.strip().casefold() for a in answers if a.strip()}
    if not 2 <= len(distinct) <= MAX_LABELS or len(answers) < 2 * len(distinct):
        return None
    if any(len(a.split()) > MAX_LABEL_WORDS or any(ch.isdigit() for ch in a) for a in distinct):
        return None  # numbers are the numeric scorer's; long answers are not labels
    return tuple(sorted(distinct))


def clean(text: str) -> str:
    """Surrounding space, quotes, backticks, bold markers and a final full stop removed."""
    return text.strip().strip("*`'\"").strip().rstrip(".").strip()


def _mentions(sentence: str, labels: tuple[str, ...]) -> set[str]:
    return {label for label in labels if re.search(rf"(?<!\w){re.escape(label)}(?!\w)", sentence, re.IGNORECASE)}


def read_text_answer(completion: str, labels: tuple[str, ...] | None = None) -> TextAnswer | None:
    """The answer the completion gives and the convention that found it; None for an empty completion."""
    from posttrain.tools.evaluation.scorers import last_boxed

    if not completion.strip():
        return None
    boxed = last_boxed(completion)
    if boxed is not None:
        return TextAnswer(clean(boxed), "boxed")
    markers = list(_ANSWER_MARKER.finditer(completion))
    if markers:
        said = re.split(r"[\n]|(?<=\w)[.!?](?:\s|$)", markers[-1].group(1))[0]
        if labels:  # "the answer is: it is odd" → the label it names
            named = _mentions(said, labels)
            if len(named) == 1:
                return TextAnswer(named.pop(), "answer marker")
        return TextAnswer(clean(said), "answer marker")
    if labels:
        whole = clean(completion).casefold()
        if whole in labels:
            return TextAnswer(whole, "whole completion")
        for sentence in _SENTENCE_END.split(completion):
            named = _mentions(sentence, labels)
            if len(named) == 1:
                return TextAnswer(named.pop(), "label word")
    lines = [line for line in completion.strip().splitlines() if line.strip()]
    if len(lines) == 1:
        return TextAnswer(lines[0].strip(), "whole completion")
    return TextAnswer(clean(lines[-1]), "final line")
