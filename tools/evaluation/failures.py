"""How a model failed, not only how often: every wrong item gets one outcome, so a score that measures the prompt
format is told apart from one that measures the skill.

- ``empty``: the completion is blank (a chat model prompted without its template often ends its turn at once);
- ``cut``: generation hit ``max_new_tokens`` before the model ended its answer;
- ``format_miss``: the gold answer is in the text, but not where the scorer reads the answer;
- ``wrong``: an answer was read and it is wrong (or none can be found in a finished completion).

>>> outcome_of("The answer: 4,520.", Scored(extracted=None, correct=False), "4520", finished=True, answer_type="numeric")
'format_miss'
"""

import re
from collections import Counter
from typing import Literal

from pydantic import BaseModel, Field

from posttrain.tools.evaluation.benchmark import AnswerType, Scored


Outcome = Literal["correct", "empty", "cut", "format_miss", "wrong"]
FAILURES: tuple[Outcome, ...] = ("empty", "cut", "format_miss", "wrong")
# Above this share of items lost to empty, cut or misread completions, the score says more about the prompt format
# and the token budget than about the skill: a majority of the answers was never read.
FORMAT_BOUND_SHARE = 0.5


def gold_in_text(completion: str, gold: str, answer_type: AnswerType) -> bool:
    """Whether the gold answer appears anywhere in the completion (as a number, a word, or the text itself)."""
    if answer_type == "numeric":
        from posttrain.tools.evaluation.scorers import find_numbers, parse_number

        value = parse_number(gold)
        return value is not None and any(parse_number(n) == value for n in find_numbers(completion))
    if answer_type == "code" or not gold.strip():
        return False
    return re.search(rf"(?<!\w){re.escape(gold.strip())}(?!\w)", completion, re.IGNORECASE) is not None


def outcome_of(completion: str, verdict: Scored, gold: str, *, finished: bool, answer_type: AnswerType) -> Outcome:
    """The one outcome of an item (see the module doc), checked in that order."""
    if verdict.correct:
        return "correct"
    if not completion.strip():
        return "empty"
    if not finished:
        return "cut"
    if gold_in_text(completion, gold, answer_type):
        return "format_miss"
    return "wrong"


class Outcomes(BaseModel):
    """Counts of each outcome and of each extraction rule, with the items they come from."""

    counts: dict[str, int] = Field(default_factory=dict, description="Outcome → items (correct, empty, cut, …).")
    rules: dict[str, int] = Field(default_factory=dict, description="Extraction rule → items it read.")
    n: int = 0
    max_new_tokens: int | None = None

    @classmethod
    def tally(cls, outcomes: list[str], rules: list[str | None], max_new_tokens: int | None) -> "Outcomes":
        return cls(counts=dict(Counter(outcomes)), rules=dict(Counter(r for r in rules if r)), n=len(outcomes),
                   max_new_tokens=max_new_tokens)

    @property
    def format_bound(self) -> bool:
        """Most items were lost before their answer could be judged: empty, cut or misread."""
        lost = sum(self.counts.get(k, 0) for k in ("empty", "cut", "format_miss"))
        return bool(self.n) and lost / self.n > FORMAT_BOUND_SHARE

    def describe(self) -> str:
        """'163 correct, 0 empty, 120 cut at 128 tokens, 10 format misses, 7 wrong; read by: label word 280'."""
        c = self.counts
        cut = f"{c.get('cut', 0)} cut" + (f" at {self.max_new_tokens} tokens" if self.max_new_tokens else "")
        line = (f"{c.get('correct', 0)} correct, {c.get('empty', 0)} empty, {cut}, "
                f"{c.get('format_miss', 0)} format misses (gold answer in the text, not where the scorer reads), "
                f"{c.get('wrong', 0)} wrong")
        if self.rules:
            line += "; answers read by: " + ", ".join(f"{k} {v}" for k, v in sorted(self.rules.items(),
                                                                                   key=lambda kv: -kv[1]))
        if self.format_bound:
            line += ". Most completions were empty, cut or misread: the score measures the format, not the skill"
        return line
