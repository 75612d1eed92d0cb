"""Fixtures for the Trainer's tests: the small Caesar data files under tests/fixtures/training."""

from pathlib import Path

import pytest


DATA = Path(__file__).resolve().parents[2] / "fixtures" / "training"


@pytest.fixture
def sft_data() -> str:
    """256 prompt/completion rows of a clean Caesar shift ("kemub>" -> "lfnvc")."""
    return str(DATA / "sft_caesar.jsonl")


@pytest.fixture
def grpo_data() -> str:
    """64 prompt/answer rows of the same task, disjoint from the SFT rows."""
    return str(DATA / "grpo_caesar.jsonl")


@pytest.fixture
def messages_data() -> str:
    """64 conversational rows (user word, assistant shifted word)."""
    return str(DATA / "sft_messages.jsonl")
