"""Training formats: which columns fit SFT / GRPO / DPO, the column mapping proposed, and row conversion.

SFT takes `messages`, `prompt`+`completion` or `text`; GRPO takes a `prompt` plus a verifiable (short) answer;
DPO takes `prompt`/`chosen`/`rejected`. Columns are matched by common names (question→prompt, solution→answer...).

>>> fits = propose_fits(["question", "answer"], sample_rows)
>>> [f.method for f in fits if f.fits]                      # ["sft", "grpo"]
>>> to_training_rows(rows, "grpo", {"prompt": "question", "answer": "answer"}, answer_extract="gsm8k")
"""

import re
from typing import Any, Literal

from posttrain.tools.errors import ConfigError
from pydantic import BaseModel, Field


Method = Literal["sft", "grpo", "dpo"]
ALIASES: dict[str, tuple[str, ...]] = {
    "messages": ("messages", "conversations", "conversation", "chat", "dialog"),
    "prompt": ("prompt", "question", "problem", "instruction", "input", "query"),
    "completion": ("completion", "response", "output", "answer", "solution", "target"),
    "answer": ("answer", "final_answer", "solution", "label", "target", "output"),
    "text": ("text", "content"),
    "chosen": ("chosen",),
    "rejected": ("rejected",),
}
NEEDED: dict[Method, list[tuple[str, ...]]] = {
    "sft": [("messages",), ("prompt", "completion"), ("text",)],
    "grpo": [("prompt", "answer")],
    "dpo": [("prompt", "chosen", "rejected"), ("chosen", "rejected")],  # the second: prompt implicit in message lists
}
MAX_VERIFIABLE_CHARS = 64  # an answer a checker can compare (a number, a letter, a short string)


class MethodFit(BaseModel):
    """Whether a dataset fits one training method, and how its columns would map."""

    method: Method = Field(description="sft, grpo or dpo.")
    fits: bool = Field(description="True when every needed role has a column.")
    mapping: dict[str, str] = Field(
        default_factory=dict, description="Role → dataset column, e.g. {'prompt': 'question'}."
    )
    reason: str = Field(description="Why it fits or what is missing.")
    answer_extract: str | None = Field(None, description="How to pull the final answer out (e.g. 'gsm8k'); GRPO only.")


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


def _fit_roles(method: Method, roles: tuple[str, ...], columns: list[str], sample_rows: list[dict]) -> MethodFit:
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
    if method == "grpo" and sample_rows:
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
    fmt: Method,
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
            new = {"prompt": render_prompt(str(row[mapping["prompt"]]), tokenizer, system)}
            for role in roles[1:]:
                value = str(row[mapping[role]])
                new[role] = extract_answer(value, answer_extract) if role == "answer" else value
            out.append(new)
    return out


def _as_role_value(value: Any) -> Any:
    if isinstance(value, list):
        return [{"role": m["role"], "content": m["content"]} for m in value]
    return str(value)


def _roles_for(fmt: Method, mapping: dict[str, str]) -> tuple[str, ...]:
    for roles in NEEDED[fmt]:
        if all(role in mapping for role in roles):
            return roles
    options = " or ".join("+".join(r) for r in NEEDED[fmt])
    raise ConfigError(f"mapping {mapping} does not cover {fmt}; fix: map {options} to source columns")
