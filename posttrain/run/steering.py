"""A person steers a running team: `posttrain steer RUN "try a smaller learning rate"` from another terminal.

Messages are appended to `RUN/steering.jsonl` (one JSON object a line, append-only, so a second process can write
while the run reads). The loop hands the ones not yet read to the next debate as the user's turn; the ledger counts
how many were read (`Ledger.steering_read`), so resume neither loses nor repeats one.

The offline Manager reads a message that names a plan field as a proposal of the top rank (`proposal_from`):

    >>> proposal_from("try a smaller learning rate", learning_rate=0.01).changes
    {'learning_rate': 0.005}
"""

import json
import re
import time
from pathlib import Path

from posttrain.run.facts import Proposal
from posttrain.tools.errors import ConfigError


STEERING_FILE = "steering.jsonl"
USER_RANK = 4  # above a blocking fact (3): the person running the team has the last word on the plan
_NUMBER = r"(\d+(?:\.\d+)?(?:e-?\d+)?)"
_FIELDS = {  # plan field: the words that name it
    "learning_rate": r"learning[ _-]?rate|\blr\b",
    "max_steps": r"max[ _-]?steps|\bsteps\b",
    "n_train": r"n[ _-]?train|\brows\b|training examples",
    "epochs": r"\bepochs?\b|passes",
}
_METHODS = {"sft": r"\bsft\b|supervised fine-?tuning", "rft": r"\brft\b|rejection[ -]sampling",
            "grpo": r"\bgrpo\b|reinforcement learning|\brl\b",
            "dpo": r"\bdpo\b|\brpo\b|preference optimi[sz]ation|preference pairs"}


def add_message(run_dir: str | Path, text: str, source: str = "steer") -> dict:
    text = " ".join(text.split())
    if not text:
        raise ConfigError("the steering message is empty; say what the team should do, e.g. \"try a smaller "
                          "learning rate\"")
    entry = {"at": time.time(), "text": text, "source": source}
    with (Path(run_dir) / STEERING_FILE).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")
    return entry


def read_messages(run_dir: str | Path) -> list[dict]:
    """Every message, in order; a torn last line (being written now) waits for the next read."""
    path = Path(run_dir) / STEERING_FILE
    if not path.exists():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if not line.endswith("\n"):
            break
        try:
            found.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return found


def proposal_from(text: str, **current: float) -> Proposal:
    """The message as a proposal: the plan fields it names with a number ("lr 0.001", "300 steps") or a direction
    ("smaller learning rate": half the current value, "more steps": double), and a method it names. A message that
    names no field is a proposal without changes (rank 0): the debate hears it, the plan is unchanged."""
    lower = text.lower()
    changes: dict[str, object] = {}
    for field, words in _FIELDS.items():
        for match in re.finditer(words, lower):
            window = lower[max(0, match.start() - 30): match.end() + 30]
            after = re.search(rf"(?:{words})\s*(?:=|:|of|to)?\s*{_NUMBER}", window)
            before = re.search(rf"{_NUMBER}\s*(?:{words})", window)
            number = after or before
            if number:
                value = float(number.group(1))
                changes[field] = int(value) if field in ("max_steps", "n_train") else value
            elif field in current and current[field]:
                if re.search(r"smaller|lower|less|fewer|reduce|decrease|halve", window):
                    changes[field] = _scaled(field, current[field], 0.5)
                elif re.search(r"larger|higher|more|increase|double|bigger", window):
                    changes[field] = _scaled(field, current[field], 2.0)
            if field in changes:
                break
    for method, words in _METHODS.items():
        if re.search(words, lower):
            changes["method"] = method
            break
    return Proposal("user", f"The person running the team said: {text!r}.", text if changes else "",
                    rank=USER_RANK if changes else 0, changes=changes, why=f"the user asked: {text}")


def _scaled(field: str, value: float, factor: float) -> float | int:
    return max(1, int(value * factor)) if field in ("max_steps", "n_train") else value * factor
