"""The test items a training set is checked against, split into the fields that are scored apart.

A test item has a question, an answer (the gold worked solution, or reference code, when the benchmark keeps one),
a passage (reading comprehension) and a short final answer. They come from a benchmark's ``Item`` or from a
task's reference file (PostTrainBench's ``test_data.json``: a JSON array or JSONL of objects)::

    refs = from_benchmark_items(get_benchmark("gsm8k").eval_items())
    refs = load_reference("task/test_data.json")
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from posttrain.tools.errors import ConfigError
from posttrain.tools.evaluation.benchmark import Item


QUESTION_KEYS = ("question", "problem", "prompt", "input", "instruction", "query", "text")
ANSWER_KEYS = ("solution", "answer", "completion", "output", "response", "target", "canonical_solution")
PASSAGE_KEYS = ("passage", "context", "document", "article")


@dataclass(frozen=True)
class RefItem:
    """One test item as the check scores it; empty strings are fields the item does not have."""

    id: str
    question: str
    answer: str = ""  # gold solution or reference answer text, scored as a field when it is long enough
    passage: str = ""
    final: str = ""  # the short gold answer ("72", "B"): with the item's numbers it marks a solution leak


def eval_text(item: Item) -> str:
    """The part of an eval item that must not leak: the raw question (``meta["question"]``) when the benchmark
    keeps it apart from its prompt template, else the whole prompt."""
    return str(item.meta.get("question") or item.prompt)


def final_answer(text: str) -> str:
    """The short gold answer inside an answer field: after GSM8K's "####", or the whole text when it is short."""
    if "####" in text:
        return text.rpartition("####")[2].strip()
    return text.strip() if len(text.split()) <= 3 else ""


def solution_body(text: str) -> str:
    """A worked solution without GSM8K's trailing "#### N" marker (the final answer is matched on its own)."""
    return text.rpartition("####")[0].strip() if "####" in text else text


def from_benchmark_items(items: Sequence[Item]) -> list[RefItem]:
    """Fields of a benchmark's eval items: ``meta`` solution/passage when kept, else the gold answer itself."""
    refs = []
    for item in items:
        meta = item.meta
        solution = str(meta.get("solution") or item.answer or "")
        passage = str(meta.get("passage") or meta.get("context") or "")
        refs.append(RefItem(id=item.id, question=eval_text(item), answer=solution_body(solution), passage=passage,
                            final=final_answer(str(item.answer or ""))))
    return refs


def _text(value: Any, role: str) -> str:
    """A field's text; a chat list gives the user turns (role "q") or the assistant turns (role "answer")."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        return "\n".join(str(m.get("content", "")) for m in value if isinstance(m, dict) and
                         (m.get("role") == "assistant") == (role == "answer"))
    return ""


def _first(row: dict, keys: Sequence[str], role: str) -> str:
    for key in keys:
        text = _text(row.get(key), role)
        if text.strip():
            return text
    if isinstance(row.get("messages"), list):
        return _text(row["messages"], role)
    return ""


def from_rows(rows: Sequence[dict], *, source: str = "reference") -> list[RefItem]:
    """Fields of reference rows, found by the usual key names (question/problem/prompt..., solution/answer...)."""
    refs = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ConfigError(f"{source} item {index + 1} is a {type(row).__name__}, not an object; "
                              "fix: one {\"question\": ..., \"answer\": ...} object per test item")
        final = final_answer(_text(row.get("answer"), "answer") if not isinstance(row.get("answer"), list) else "")
        refs.append(RefItem(id=str(row.get("id", f"ref-{index}")), question=_first(row, QUESTION_KEYS, "q"),
                            answer=solution_body(_first(row, ANSWER_KEYS, "answer")),
                            passage=_first(row, PASSAGE_KEYS, "q"), final=final))
    return refs


def load_reference(path: str | Path) -> list[RefItem]:
    """Test items from a JSON array or JSONL file (either layout, whatever the suffix)."""
    from posttrain.tools.evaluation.contamination.loading import read_json_rows

    rows = [row for _, row in read_json_rows(Path(path))]
    return from_rows(rows, source=str(path))
