"""Load a role's system prompt (`agents/<role>/prompt.md`, package data) and fill it strictly."""

from importlib import resources
from string import Template


def load_prompt(role: str, file: str = "prompt.md", **values: str) -> str:
    """Read the role's prompt file (default prompt.md) and substitute $placeholders; a missing value raises KeyError (no silent blanks)."""
    text = resources.files(f"posttrain.agents.{role}").joinpath(file).read_text(encoding="utf-8")
    return Template(text).substitute(values)
