"""Text answers read by the common conventions, with the rule named; failures told apart by outcome."""

import pytest

from posttrain.tools.evaluation.benchmark import Scored
from posttrain.tools.evaluation.failures import Outcomes, outcome_of
from posttrain.tools.evaluation.scorers import score_numeric, score_text
from posttrain.tools.evaluation.text_answers import label_set, read_text_answer


LABELS = ("even", "odd")


@pytest.mark.parametrize("completion, answer, rule", [
    ("odd", "odd", "whole completion"),
    ("Even.", "even", "whole completion"),
    ("The number 51,850 is an odd number.", "odd", "label word"),
    # a sentence naming both labels restates the question; the first sentence naming one is the answer
    ("To determine if 11,175 is odd or even, look at its last digit. It ends in 5, so it is odd.", "odd",
     "label word"),
    ("Let me think.\nThe answer is: even", "even", "answer marker"),
    ("The answer is \\boxed{odd}", "odd", "boxed"),
    ("**Answer:** it is odd", "odd", "answer marker"),
])
def test_closed_label_conventions(completion, answer, rule):
    found = read_text_answer(completion, LABELS)
    assert (found.text.casefold(), found.rule) == (answer, rule)


def test_open_text_answers_keep_exact_match_on_the_answer_line():
    assert score_text("aqjdk", "aqjdk").correct
    assert not score_text("AQJDK", "aqjdk").correct  # open text compares exactly (case matters: swap-case tasks)
    scored = score_text("Reversing the letters gives:\naqjdk", "aqjdk")
    assert scored.correct and scored.rule == "final line"
    assert score_text("The answer is Paris.", "Paris").rule == "answer marker"
    assert score_text("   ", "x") == Scored(extracted=None, correct=False)


def test_labels_are_a_closed_set_only_when_answers_repeat():
    assert label_set(["odd", "even", "odd", "even"]) == ("even", "odd")
    assert label_set(["yes", "no", "maybe", "yes", "no", "maybe"]) == ("maybe", "no", "yes")
    assert label_set(["aqjdk", "kdjqa", "xyzzy", "abcde"]) is None  # all distinct: open answers
    assert label_set(["12", "13", "12", "13"]) is None  # numbers belong to the numeric scorer


def test_numeric_rule_is_named():
    assert score_numeric("The number after 6,707 is 6,708.", "6708").rule == "last number"
    assert score_numeric("so \\boxed{4520}", "4520").rule == "boxed"


def test_outcomes_in_order():
    wrong = Scored(extracted=None, correct=False)
    assert outcome_of("", wrong, "odd", finished=True, answer_type="text") == "empty"
    assert outcome_of("To determine whether 11,175 is", wrong, "odd", finished=False, answer_type="text") == "cut"
    assert outcome_of("Result: 4,520 (four thousand)", Scored(extracted="4", correct=False), "4520",
                      finished=True, answer_type="numeric") == "format_miss"
    assert outcome_of("It is 4521.", Scored(extracted="4521", correct=False), "4520", finished=True,
                      answer_type="numeric") == "wrong"
    assert outcome_of("odd", Scored(extracted="odd", correct=True), "odd", finished=True,
                      answer_type="text") == "correct"


def test_a_format_bound_score_is_flagged():
    mostly_empty = Outcomes.tally(["empty"] * 247 + ["correct"] * 20 + ["wrong"] * 33, [None] * 300, 16)
    assert mostly_empty.format_bound
    assert "247 empty" in mostly_empty.describe() and "measures the format, not the skill" in mostly_empty.describe()
    skill = Outcomes.tally(["correct"] * 163 + ["wrong"] * 137, ["label word"] * 300, 128)
    assert not skill.format_bound and "label word 300" in skill.describe()
