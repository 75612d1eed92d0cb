"""The team against a hand-set long SFT run on a small task that needs many passes (paired test on the same items).

A user's 300 rows of digit sums (not a built-in generator: tests/fixtures/tasks/small_tasks.py), the tiny model,
`posttrain run … --max-iterations 2`; the hand recipe is SFT at batch 64 for as many passes as the issue's hand
recipe made (1,500 steps over 560 rows ≈ 170 passes → 800 steps over 300), cosine, on every row the team's build
kept. The team must not be significantly worse (McNemar on the 150 eval items) — it used to be, with a fixed count
of epochs and "flat" read from a cosine tail. `bench/team_vs_hand.py` runs the same comparison on three tasks.
"""

import importlib.util
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location("team_vs_hand", ROOT / "bench" / "team_vs_hand.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_team_reaches_the_hand_recipe_on_small_data(tmp_path):
    result = _bench().compare_one("digit_sum", tmp_path, iterations=2, n_train=300, hand_steps=800)
    team, paired = result["team"], result["team_minus_hand"]
    assert team["exit_code"] == 0, team["stderr_tail"]
    assert not (paired["significant"] and paired["diff"] < 0), result  # not significantly below the hand recipe
    assert team["score"] > 0.1, result  # and it learnt the task, not a tie at zero
    first = team["iterations"][0]
    assert first["steps"] and first["findings"] is not None
