"""Answer extraction and scoring: numbers compared as parsed values, choice letters, exact text, executed code.

Numbers are compared as exact fractions, never as strings, so ``711`` does not match gold ``11`` (a bug in
harnesses that compare by suffix) and ``5790`` does not match ``579``::

    >>> score_numeric("so the total is \\\\boxed{1,250}", "1250").correct
    True
    >>> score_numeric("711", "11").correct
    False
"""

import re
from fractions import Fraction

from posttrain.tools.evaluation.benchmark import AnswerType, Item, Scored


# A number not glued to a preceding digit or closing bracket (so the "-" in "5-3" is an operator, not a sign).
_NUMBER = re.compile(
    r"(?<![\w)\].])[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*/\s*\d+(?![\d.]))?|(?<![\w.])[-−]?\.\d+"
)
_ANSWER_IS = re.compile(r"(?:final answer|the answer|answer)\s*(?:is|:|=)\s*:?\s*(.+)", re.IGNORECASE)
_LATEX_FRAC = re.compile(r"\\[dt]?frac\s*\{\s*([-−]?[\d.,]+)\s*\}\s*\{\s*([-−]?[\d.,]+)\s*\}")


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` (or ``\\fbox{...}``), braces balanced; None when there is none."""
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start == -1:
        return None
    brace = text.find("{", start)
    if brace == -1:
        return None
    depth = 0
    for position in range(brace, len(text)):
        if text[position] == "{":
            depth += 1
        elif text[position] == "}":
            depth -= 1
            if depth == 0:
                return text[brace + 1 : position]
    return None


def parse_number(text: str) -> Fraction | None:
    """Parse one number written as ``-1,234.5``, ``3/4``, ``\\frac{3}{4}``, ``$12``, ``50%`` (→ 50); else None."""
    cleaned = _LATEX_FRAC.sub(r"\1/\2", text.strip())
    cleaned = cleaned.replace("−", "-").replace("$", "").replace("\\!", "").replace("\\,", "")
    cleaned = re.sub(r"\\(?:text|mathrm)\{[^}]*\}|\\%|%|\^\{?\\circ\}?", "", cleaned).strip().rstrip(".")
    match = re.fullmatch(r"([-+]?)\s*((?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d+)?)(?:\s*/\s*(\d+))?", cleaned)
    if not match or not match.group(2) or match.group(2) == ".":
        return None
    value = Fraction(match.group(2).replace(",", ""))
    if match.group(3):
        if int(match.group(3)) == 0:
            return None
        value /= int(match.group(3))
    return -value if match.group(1) == "-" else value


def find_numbers(text: str) -> list[str]:
    """Every number in ``text`` in reading order, as written (LaTeX fractions rewritten as ``a/b``)."""
    return [m.group(0) for m in _NUMBER.finditer(_LATEX_FRAC.sub(r"\1/\2", text))]


def extract_number(completion: str, position: str = "last") -> str | None:
    """Find the final answer: ``\\boxed{}`` first, then "The answer is …" / "####", then the first or last number."""
    found = extract_number_with_rule(completion, position)
    return found[0] if found else None


def extract_number_with_rule(completion: str, position: str = "last") -> tuple[str, str] | None:
    """(the answer, the convention that found it) — see ``extract_number``."""
    boxed = last_boxed(completion)
    if boxed is not None and parse_number(boxed) is not None:
        return boxed.strip(), "boxed"
    candidates = []
    for marker, rule in ((_ANSWER_IS, "answer marker"), (re.compile(r"####\s*(.+)"), "#### marker")):
        matches = list(marker.finditer(completion))
        if matches:
            candidates = find_numbers(matches[-1].group(1).split("\n")[0])
            if candidates:
                return candidates[0].strip(), rule
    numbers = find_numbers(boxed if boxed is not None else completion)
    if not numbers:
        return None
    return (numbers[0] if position == "first" else numbers[-1]).strip(), f"{position} number"


def normalize_math(text: str) -> str:
    """Light LaTeX normalisation for non-numeric answers (``\\dfrac``→``\\frac``, spaces, ``\\left``)."""
    text = text.strip().strip("$").rstrip(".")
    for old, new in (("\\dfrac", "\\frac"), ("\\tfrac", "\\frac"), ("\\left", ""), ("\\right", ""), ("\\!", "")):
        text = text.replace(old, new)
    text = re.sub(r"\\text\{\s*([^}]*)\}", r"\1", text)
    text = re.sub(r"\^\{?\\circ\}?", "", text)
    return re.sub(r"\s+", "", text)


def score_numeric(completion: str, gold: str, position: str = "last") -> Scored:
    """Numeric scorer: parsed numbers must be equal; a non-numeric gold (LaTeX) falls back to normalised text."""
    gold_value = parse_number(gold)
    if gold_value is None:
        boxed = last_boxed(completion)
        candidate = boxed if boxed is not None else _after_answer_marker(completion)
        if candidate is None:
            return Scored(extracted=None, correct=False)
        return Scored(extracted=candidate.strip(), correct=normalize_math(candidate) == normalize_math(gold))
    found = extract_number_with_rule(completion, position)
    if found is None:
        return Scored(extracted=None, correct=False)
    extracted, rule = found
    value = parse_number(extracted)
    return Scored(extracted=extracted, correct=value is not None and value == gold_value, rule=rule)


def _after_answer_marker(completion: str) -> str | None:
    matches = list(_ANSWER_IS.finditer(completion))
    return matches[-1].group(1).split("\n")[0] if matches else None


_CHOICE_PATTERNS = (
    # "Answer: B", "the answer is (B)"; a lower-case letter only when it stands alone ("answer: b"), so that
    # "the answer is a photon" does not read as A
    r"answer\s*(?:is|:)?\s*:?\s*\(?\$?\\?(?:boxed\{|text\{)?((?-i:[A-J])\b|[a-j](?=\s*(?:$|[).}])))",
    r"\\boxed\{\s*(?:\\text\{)?([A-J])\}",  # "\boxed{B}"
    r"\(([A-J])\)",  # "(B)" anywhere: the last one wins
    r"^\s*([A-J])\s*(?:[.):]|$)",  # "B." / "B)" / "B" at the start of the completion
    r"(?:^|\s)([A-J])[.)]?\s*\Z",  # a capital letter as the very last word: "... is therefore D."
)


def extract_choice(completion: str, n_choices: int = 4) -> str | None:
    """The chosen letter from "Answer: B", "\\boxed{B}", "(B)" or a leading "B." / "B"; None when none is valid."""
    valid = {chr(ord("A") + i) for i in range(n_choices)}
    for pattern in _CHOICE_PATTERNS:
        flags = re.IGNORECASE if pattern.startswith("answer") else 0
        letters = [m.group(1).upper() for m in re.finditer(pattern, completion, flags | re.MULTILINE)]
        letters = [letter for letter in letters if letter in valid]
        if letters:
            return letters[-1]
    return None


def score_choice(completion: str, gold: str, n_choices: int = 4) -> Scored:
    """Multiple-choice scorer: the extracted letter must equal the gold letter."""
    letter = extract_choice(completion, n_choices)
    return Scored(extracted=letter, correct=letter is not None and letter == gold.strip().upper(),
                  rule="choice letter" if letter else None)


def score_text(completion: str, gold: str, labels: tuple[str, ...] | None = None) -> Scored:
    """Text scorer: the answer read by the shared conventions (``text_answers``), then compared exactly (after
    stripping surrounding space); labels of a closed set compare without case."""
    from posttrain.tools.evaluation.text_answers import read_text_answer

    answer = read_text_answer(completion, labels)
    if answer is None:
        return Scored(extracted=None, correct=False)
    if labels:
        return Scored(extracted=answer.text, correct=answer.text.casefold() == gold.strip().casefold(),
                      rule=answer.rule)
    return Scored(extracted=answer.text, correct=answer.text == gold.strip(), rule=answer.rule)


def score_completion(answer_type: AnswerType, completion: str, item: Item, number_position: str = "last") -> Scored:
    """Dispatch to the scorer for ``answer_type``; item.meta may carry ``n_choices`` or the code tests."""
    if answer_type == "numeric":
        return score_numeric(completion, item.answer, number_position)
    if answer_type == "choice":
        return score_choice(completion, item.answer, int(item.meta.get("n_choices", 4)))
    if answer_type == "code":
        from posttrain.tools.evaluation.code_exec import score_code

        return score_code(completion, item)
    labels = item.meta.get("labels")
    return score_text(completion, item.answer, tuple(labels) if labels else None)
