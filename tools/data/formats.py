"""Training formats: which columns fit SFT / GRPO / DPO, the column mapping proposed, and row conversion.

SFT takes `messages`, `prompt`+`completion` or `text`; GRPO takes a `prompt` plus a verifiable (short) answer;
DPO takes `prompt`/`chosen`/`rejected`. Columns are matched by common names (question/answer, problem/solution,
instruction/output with an optional `input` appended, input/output, prompt/completion, query/response). SFT rows
also carry the gold final answer in `answer` when one exists: a distinct short column (MATH's `answer` beside its
`solution`) or extracted from the completion (GSM8K's `#### N`, whose completion is then rewritten to end
``The final answer is \boxed{N}.`` with the ``<<...>>`` calculator annotations removed).

>>> fits = propose_fits(["question", "answer"], sample_rows)
>>> [f.method for f in fits if f.fits]                      # ["sft", "grpo"]
>>> to_training_rows(rows, "grpo", {"prompt": "question", "answer": "answer"}, answer_extract="gsm8k")
>>> describe_mapping({"prompt": "question", "completion": "answer"}, "gsm8k")
'prompt←question, completion←answer (gold answer: the number after ####; completion rewritten to end \\boxed{N})'
"""

import re
from typing import Any

from pydantic import BaseModel, Field

from posttrain.tools.errors import ConfigError
from posttrain.tools.methods import DataFormat, get_format


ALIASES: dict[str, tuple[str, ...]] = {
    "messages": ("messages", "conversations", "conversation", "chat", "dialog"),
    "prompt": ("prompt", "question", "problem", "instruction", "input", "query"),
    "completion": ("completion", "response", "output", "solution", "answer", "target"),
    "answer": ("answer", "final_answer", "solution", "label", "target", "output"),
    "text": ("text", "content"),
    "input": ("input", "context"),
    "chosen": ("chosen",),
    "rejected": ("rejected",),
}
NEEDED: dict[DataFormat, list[tuple[str, ...]]] = {
    "sft": [("messages",), ("prompt", "completion"), ("text",)],
    "grpo": [("prompt", "answer")],
    "dpo": [("prompt", "chosen", "rejected"), ("chosen", "rejected")],  # the second: prompt implicit in message lists
}
MAX_VERIFIABLE_CHARS = 64  # an answer a checker can compare (a number, a letter, a short string)


class MethodFit(BaseModel):
    """Whether a dataset fits one training method, and how its columns would map."""

    method: DataFormat = Field(description="sft, grpo or dpo.")
    fits: bool = Field(description="True when every needed role has a column.")
    mapping: dict[str, str] = Field(
        default_factory=dict, description="Role → dataset column, e.g. {'prompt': 'question'}."
    )
    reason: str = Field(description="Why it fits or what is missing.")
    answer_extract: str | None = Field(
        None, description="How to pull the final answer out (e.g. 'gsm8k'): GRPO's answer, SFT's gold answer."
    )

    @property
    def line(self) -> str:
        """The mapping as one human-readable line (or why it does not fit)."""
        if not self.fits:
            return f"{self.method} does not fit: {self.reason}"
        return describe_mapping(self.mapping, self.answer_extract)


def row_text(row: dict[str, Any]) -> str:
    """All the text of a row (strings and chat-message contents), joined, as the overlap test sees it."""
    parts: list[str] = []
    for value in row.values():
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            parts += [m.get("content", "") for m in value if isinstance(m, dict) and isinstance(m.get("content"), str)]
    return "\n".join(parts)


def extract_answer(text: str, how: str | None) -> str:
    """Pull the final answer out of a worked solution: 'gsm8k' (after ####), 'boxed' (\\boxed{}), 'regex:<p>', None."""
    if how is None:
        return text.strip()
    if how == "gsm8k":
        return text.split("####")[-1].strip().replace(",", "")
    if how == "boxed":
        found = re.findall(r"\\boxed\{([^{}]*)\}", text)
        return found[-1].strip() if found else ""
    if how.startswith("regex:"):
        found = re.search(how[len("regex:") :], text)
        return (found.group(1) if found and found.groups() else found.group(0) if found else "").strip()
    raise ConfigError(f"unknown answer_extract {how!r}; fix: use gsm8k, boxed, regex:<pattern> or leave it empty")


def _find(columns: list[str], role: str, taken: set[str]) -> str | None:
    lowered = {c.lower(): c for c in columns if c not in taken}
    return next((lowered[a] for a in ALIASES[role] if a in lowered), None)


def _verifiable(values: list[Any], answer_extract: str | None) -> bool:
    texts = [
        extract_answer(str(v), answer_extract) for v in values if isinstance(v, str | int | float) and str(v).strip()
    ]
    return bool(texts) and sum(len(t) <= MAX_VERIFIABLE_CHARS for t in texts) / len(texts) >= 0.9


def _fit_roles(method: DataFormat, roles: tuple[str, ...], columns: list[str], sample_rows: list[dict]) -> MethodFit:
    taken: set[str] = set()
    mapping: dict[str, str] = {}
    for role in roles:
        column = _find(columns, role, taken)
        if column:
            mapping[role] = column
            taken.add(column)
    missing = [role for role in roles if role not in mapping]
    if missing:
        return MethodFit(method=method, fits=False, mapping=mapping, reason="missing " + ", ".join(missing))
    if "prompt" in mapping and mapping["prompt"].lower() == "instruction" and _find(columns, "input", taken):
        mapping["input"] = _find(columns, "input", taken)  # Alpaca: the optional input follows the instruction
        taken.add(mapping["input"])
    if get_format(method).completion and "completion" in mapping:
        return _sft_fit(mapping, columns, taken, sample_rows)
    if get_format(method).gold_answer and sample_rows:
        values = [row.get(mapping["answer"]) for row in sample_rows]
        how = "gsm8k" if any(isinstance(v, str) and "####" in v for v in values) else None
        if not _verifiable(values, how):
            return MethodFit(
                method=method,
                fits=False,
                mapping=mapping,
                reason=f"column {mapping['answer']!r} holds long free text, not a checkable answer",
            )
        if how:
            return MethodFit(
                method=method,
                fits=True,
                mapping=mapping,
                answer_extract="gsm8k",
                reason=f"final answer after '####' in {mapping['answer']!r}",
            )
    return MethodFit(method=method, fits=True, mapping=mapping, reason="columns " + ", ".join(mapping.values()))


def _sft_fit(mapping: dict[str, str], columns: list[str], taken: set[str], sample_rows: list[dict]) -> MethodFit:
    """SFT prompt+completion, plus where the gold final answer comes from when the data has one."""
    gold = _find(columns, "answer", taken)
    completions = [row.get(mapping["completion"]) for row in sample_rows]
    extract = None
    if gold and _verifiable([row.get(gold) for row in sample_rows], None):
        mapping["answer"] = gold
    elif any(isinstance(v, str) and "####" in v for v in completions):
        extract = "gsm8k"
    elif any(isinstance(v, str) and "\\boxed{" in v for v in completions):
        extract = "boxed"
    return MethodFit(
        method="sft", fits=True, mapping=mapping, answer_extract=extract, reason=describe_mapping(mapping, extract)
    )


_EXTRACT_TEXT = {
    "gsm8k": "the number after ####; completion rewritten to end \\boxed{N}",
    "boxed": "the last \\boxed{} of the completion",
}


def describe_mapping(mapping: dict[str, str], answer_extract: str | None = None) -> str:
    """One line for a person: ``prompt←question, completion←answer (gold answer: the number after ####...)``."""
    parts = [f"{role}←{column}" for role, column in mapping.items() if role not in ("input", "answer")]
    if "input" in mapping:
        parts[0] += f" + {mapping['input']}"
    text = ", ".join(parts)
    if "completion" in mapping:
        if "answer" in mapping:
            return text + f" (gold answer: column {mapping['answer']})"
        if answer_extract:
            return text + f" (gold answer: {_EXTRACT_TEXT.get(answer_extract, answer_extract)})"
        return text + " (no gold answer)"
    if "answer" in mapping:
        how = _EXTRACT_TEXT.get(answer_extract, answer_extract).split(";")[0] if answer_extract else "as written"
        return text + f", answer←{mapping['answer']} ({how})"
    return text


def rewrite_gsm8k(solution: str) -> str:
    """A GSM8K solution as the benchmark asks for it: ``<<...>>`` annotations gone, ``#### N`` → a boxed line."""
    body, marker, final = solution.rpartition("####")
    if not marker:
        return solution
    body = re.sub(r"<<[^>]*>>", "", body).rstrip()
    number = final.strip().replace(",", "")
    return f"{body}\nThe final answer is \\boxed{{{number}}}." if body else f"The final answer is \\boxed{{{number}}}."


def propose_fits(columns: list[str], sample_rows: list[dict[str, Any]] | None = None) -> list[MethodFit]:
    """For each method (sft, grpo, dpo), say whether the columns fit and propose the role → column mapping."""
    fits = []
    for method, alternatives in NEEDED.items():
        tries = [_fit_roles(method, roles, columns, sample_rows or []) for roles in alternatives]
        # the first alternative that fits, else the one that got furthest (most roles mapped)
        fits.append(next((f for f in tries if f.fits), max(tries, key=lambda f: len(f.mapping))))
    return fits


def render_prompt(text: str, tokenizer: Any | None, system: str | None = None) -> str:
    """The prompt as the model will see it: through the tokenizer's chat template when it has one."""
    if tokenizer is None or not getattr(tokenizer, "chat_template", None):
        return text
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": text}]
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def to_training_rows(
    rows: list[dict[str, Any]],
    fmt: DataFormat,
    mapping: dict[str, str],
    *,
    tokenizer: Any | None = None,
    answer_extract: str | None = None,
    system: str | None = None,
) -> list[dict[str, Any]]:
    """Map raw rows to the training format; with a tokenizer, prompts go through its chat template.

    sft → prompt, completion (or messages / text when mapped so); grpo → prompt, answer; dpo → prompt, chosen,
    rejected. ``mapping`` is role → source column. A missing role raises ConfigError naming the columns seen.
    """
    roles = _roles_for(fmt, mapping)
    columns = set(rows[0]) if rows else set()
    missing = [mapping[r] for r in roles if mapping.get(r) not in columns]
    if rows and missing:
        raise ConfigError(f"columns {missing} are not in the data (columns: {sorted(columns)}); fix the mapping")
    out = []
    for row in rows:
        if "prompt" not in roles:  # messages, text, or implicit-prompt preference pairs: copied as they are
            out.append({role: _as_role_value(row[mapping[role]]) for role in roles})
        else:
            out.append(_prompted_row(row, fmt, roles, mapping, tokenizer, answer_extract, system))
    return out


def _prompted_row(row, fmt, roles, mapping, tokenizer, answer_extract, system) -> dict[str, Any]:
    prompt = str(row[mapping["prompt"]])
    extra = row.get(mapping["input"]) if "input" in mapping else None
    if isinstance(extra, str) and extra.strip():
        prompt = f"{prompt}\n\n{extra}"
    new = {"prompt": render_prompt(prompt, tokenizer, system)}
    for role in roles[1:]:
        value = str(row[mapping[role]])
        new[role] = extract_answer(value, answer_extract) if role == "answer" else value
    if get_format(fmt).completion and "completion" in new and ("answer" in mapping or answer_extract):
        source = row.get(mapping.get("answer", mapping["completion"]))
        how = answer_extract if "answer" not in mapping else None
        known = source is not None and str(source).strip() and (how != "gsm8k" or "####" in str(source))
        gold = extract_answer(str(source), how) if known else ""
        if answer_extract == "gsm8k" and "answer" not in mapping:
            new["completion"] = rewrite_gsm8k(new["completion"])
        new["answer"] = gold
    return new


def _as_role_value(value: Any) -> Any:
    if isinstance(value, list):
        return [{"role": m["role"], "content": m["content"]} for m in value]
    return str(value)


def _roles_for(fmt: DataFormat, mapping: dict[str, str]) -> tuple[str, ...]:
    for roles in NEEDED[fmt]:
        if all(role in mapping for role in roles):
            return roles
    options = " or ".join("+".join(r) for r in NEEDED[fmt])
    raise ConfigError(f"mapping {mapping} does not cover {fmt}; fix: map {options} to source columns")
