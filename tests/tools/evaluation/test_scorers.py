"""Scorers: numbers compared as parsed values, letters extracted from the usual formats, exact text.

Every case checks the extracted answer too, so a test passes for the right reason (not by luck of a fallback).
"""

from fractions import Fraction

import pytest

from posttrain.tools.evaluation.benchmark import Item
from posttrain.tools.evaluation.scorers import (
    extract_choice,
    parse_number,
    score_choice,
    score_completion,
    score_numeric,
    score_text,
)


@pytest.mark.parametrize(
    ("completion", "gold", "extracted", "correct"),
    [
        ("711", "11", "711", False),  # suffix comparison would call this right
        ("The answer is 711.", "11", "711", False),
        ("5790", "579", "5790", False),
        ("so 1,250 apples", "1250", "1,250", True),
        ("We get -42 in the end", "-42", "-42", True),
        ("5-3 leaves 2", "2", "2", True),  # "-3" is subtraction, and the last number wins
        ("so x - 3", "-3", "3", False),  # a spaced minus is an operator, not a sign
        ("It costs 3.50 dollars", "3.5", "3.50", True),
        ("half: 0.5", "1/2", "0.5", True),
        ("That is 3/4 of it", "0.75", "3/4", True),
        ("\\boxed{\\frac{7}{8}}", "0.875", "\\frac{7}{8}", True),
        ("first 12 then \\boxed{1,000} and later 7", "1000", "1,000", True),
        ("The answer is 18. Check: 18 + 2 = 20", "18", "18", True),  # marker beats the last number
        ("#### 72", "72", "72", True),
        ("I computed 4 and 9, finally 13", "13", "13", True),
        ("no digits here", "3", None, False),
        ("$1,234.5", "1234.50", "1,234.5", True),
    ],
)
def test_numeric_scorer(completion, gold, extracted, correct):
    scored = score_numeric(completion, gold)
    assert scored.extracted == extracted
    assert scored.correct is correct


def test_first_number_position_for_short_generated_answers():
    # The arithmetic benchmark reads the first number: the answer follows "=" and junk may come after.
    assert score_numeric("579=12", "579", position="first").correct
    assert not score_numeric("579=12", "579", position="last").correct
    assert not score_numeric("5790", "579", position="first").correct


@pytest.mark.parametrize(
    ("text", "value"),
    [("1,234", Fraction(1234)), ("-3/4", Fraction(-3, 4)), ("\\dfrac{1}{3}", Fraction(1, 3)), ("2.50", Fraction(5, 2)),
     ("50\\%", Fraction(50)), ("−7", Fraction(-7)), ("1/0", None), ("abc", None), ("", None)],
)
def test_parse_number(text, value):
    assert parse_number(text) == value


def test_latex_gold_falls_back_to_normalised_text():
    gold = "\\left( 3, \\frac{\\pi}{2} \\right)"
    assert score_numeric("so the point is \\boxed{(3,\\dfrac{\\pi}{2})}", gold).correct
    assert not score_numeric("\\boxed{(3, \\pi)}", gold).correct


@pytest.mark.parametrize(
    ("completion", "letter"),
    [
        ("Thinking... Answer: B", "B"),
        ("the answer is (C)", "C"),
        ("I pick (A) over (D)", "D"),  # the last parenthesised letter is the final choice
        ("B. Because photons are massless", "B"),
        ("C", "C"),
        ("\\boxed{D}", "D"),
        ("Answer: E", None),  # only A-D exist
        ("the answer is a photon", None),  # the article "a" is not a choice
        ("answer: b", "B"),
        ("The answer is therefore D.", "D"),
        ("I am not sure", None),
    ],
)
def test_choice_extraction(completion, letter):
    assert extract_choice(completion, n_choices=4) == letter


def test_choice_scorer_checks_the_letter():
    assert score_choice("Answer: b", "B").correct
    assert not score_choice("Answer: A", "B").correct


def test_text_scorer_is_exact_after_strip():
    assert score_text("  rangf\n", "rangf").correct
    assert not score_text("range", "rangf").correct


def test_dispatch_uses_item_meta():
    item = Item(id="q", prompt="?", answer="B", meta={"n_choices": 2})
    assert score_completion("choice", "Answer: B", item).correct
    assert score_completion("choice", "Answer: C", item).extracted is None


def test_arithmetic_reads_the_first_number_even_for_a_bare_item():
    # the GRPO reward scores rollouts against Item(id, prompt, answer) built from dataset columns, without meta
    from posttrain.tools.evaluation import get_benchmark

    bench = get_benchmark("arithmetic")
    bare = Item(id="rollout", prompt="123+456=", answer="579")
    assert bench.score("579=12", bare).correct
    assert not bench.score("5790", bare).correct
