"""The team against a hand-set long SFT run on a small task that needs many passes (paired test on the same items).

A user's 300 rows of digit sums (not a built-in generator: tests/fixtures/tasks/small_tasks.py), the tiny model,
`posttrain run … --max-iterations 2`; the hand recipe is SFT at batch 64 for as many passes as the issue's hand
recipe made (1,500 steps over 560 rows ≈ 170 passes → 800 steps over 300), cosine, on every row the team's build
kept. The team must learn the task with many passes (it used to stop after ~10 epochs and call the curve flat from a
cosine tail: 0.053 where the hand got 0.227), validated on its held-out rows, and the paired comparison with the hand
recipe must be measured and recorded. Whether the team reaches the hand recipe is issue 18's open measurement, in
`bench/team_vs_hand.py` (three tasks) and bench/README.md — not asserted here, as it does not hold yet on every task.
"""

import importlib.util
import json
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location("team_vs_hand", ROOT / "bench" / "team_vs_hand.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_team_learns_small_data_by_validation_and_is_paired_with_the_hand_recipe(tmp_path):
    result = _bench().compare_one("digit_sum", tmp_path, iterations=2, n_train=300, hand_steps=800)
    team, hand, paired = result["team"], result["hand"], result["team_minus_hand"]
    assert team["exit_code"] == 0, team["stderr_tail"]
    assert team["score"] > 0.5, result  # many passes: far past the old fixed-epoch run's 0.053
    first = team["iterations"][0]
    assert first["steps"] > 100 and first["findings"] is not None  # more than the old ~10 epochs (≈ 47 steps)
    # trained until its held-out rows stopped improving, then cooled down: the Trainer's validation rows say so
    curve = tmp_path / "digit_sum-team" / "artifacts" / "1" / "train-sft" / "metrics.jsonl"
    metrics = [json.loads(line) for line in curve.read_text().splitlines() if line.strip()]
    assert any("val_score" in row for row in metrics) and any("val_best_step" in row for row in metrics)
    # the comparison is measured on the same 150 items: a difference with its interval, and the hand's own score
    assert -1.0 <= paired["diff"] <= 1.0 and paired["ci95"][0] <= paired["diff"] <= paired["ci95"][1]
    assert 0.0 <= hand["score"] <= 1.0 and hand["steps"] == 800
