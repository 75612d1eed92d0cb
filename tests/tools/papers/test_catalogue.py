"""The curated technique catalogue: well-formed entries and goal ranking."""

import re

import pytest

from posttrain.tools.papers import technique_catalogue
from posttrain.tools.papers.catalogue import CATALOGUE


def test_entries_are_well_formed_and_unique():
    ids = [t.paper_id for t in CATALOGUE]
    assert len(ids) == len(set(ids)) >= 20
    for technique in CATALOGUE:
        bare = technique.paper_id.removeprefix("arxiv:")
        assert re.fullmatch(r"\d{4}\.\d{5}|\d{4}\.\d{4}", bare), technique.paper_id
        assert technique.year == 2000 + int(bare[:2])  # arXiv ids start with the year of the first version
        assert technique.title and technique.when_to_use and technique.key_hyperparameters


@pytest.mark.parametrize(
    ("goal", "first"),
    [
        ("raise GSM8K accuracy with reinforcement learning on verifiable math answers", "arxiv:2402.03300"),
        ("align the chat model with chosen/rejected preference pairs", "arxiv:2305.18290"),
        ("fine-tune a 7B model on a GPU with little memory", "arxiv:2106.09685"),
        ("GRPO responses grow long; length bias", "arxiv:2503.20783"),
        ("no instruction data available, generate synthetic instructions", "arxiv:2212.10560"),
    ],
)
def test_ranking_puts_the_fitting_technique_first(goal, first):
    assert technique_catalogue(goal, limit=3)[0].paper_id == first


def test_limit_and_known_facts():
    assert len(technique_catalogue("anything", limit=2)) == 2
    dapo = next(t for t in CATALOGUE if t.paper_id == "arxiv:2503.14476")
    assert dapo.key_hyperparameters["epsilon_high"] == "0.28" and dapo.year == 2025
