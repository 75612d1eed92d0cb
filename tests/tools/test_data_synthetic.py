"""build_benchmark_dataset: the contract the lead codes against, the card it writes, and the decontamination gate."""

import pyarrow.parquet as pq
import pytest

from posttrain.tools.data import build_benchmark_dataset, decontaminate
from posttrain.tools.data.card import read_card
from posttrain.tools.errors import ConfigError


def test_sft_labels_are_measured_and_the_wrong_ones_dropped(tmp_path):
    from posttrain.tools.evaluation import get_benchmark

    artifact = build_benchmark_dataset("arithmetic", tmp_path, n=400, fmt="sft", seed=1, teacher_noise=0.5)

    table = pq.read_table(artifact.path).to_pylist()
    assert artifact.path == str(tmp_path / "arithmetic-sft.parquet") and artifact.format == "sft"
    assert artifact.columns == ["prompt", "completion", "answer"] and artifact.n_rows == len(table)
    # the generator's own record of its slips (read here only to check the measurement)
    truth = get_benchmark("arithmetic").train_items(400, 1, 0.5)
    correct = sum(item.meta["teacher_correct"] for item in truth)
    check = artifact.label_check
    assert (check.checked, check.accepted, check.dropped) == (400, correct, 400 - correct)
    assert artifact.label_accuracy == pytest.approx(correct / 400) and 0.5 < artifact.label_accuracy < 1.0
    assert artifact.counts == {
        "generated": 400,
        "after_dedupe": 400,
        "after_label_check": correct,
        "after_decontam": correct,
    }
    assert all(str(eval(r["prompt"].rstrip("="))) == r["completion"] == r["answer"] for r in table)  # noqa: S307
    assert artifact.contamination.checked_against == ["arithmetic"] and artifact.contamination.dropped == 0
    card = read_card(artifact.card_path)
    assert card["posttrain"]["counts"] == artifact.counts
    assert card["posttrain"]["label_accuracy"] == artifact.label_accuracy
    assert card["posttrain"]["label_check"]["dropped"] == 400 - correct
    assert card["configs"][0]["data_files"][0]["path"] == "arithmetic-sft.parquet"
    assert "Checked against arithmetic" in (tmp_path / "README.md").read_text()
    line = artifact.describe()
    assert f"rows 400 → after_label_check {correct}" in line and "0 dropped" in line
    assert f"labels {artifact.label_accuracy:.1%} correct" in line and artifact.summary() == line


def test_a_noisy_teacher_can_be_kept_for_study(tmp_path):
    artifact = build_benchmark_dataset(
        "caesar", tmp_path, n=300, fmt="sft", teacher_noise=0.7, drop_wrong_labels=False
    )
    assert artifact.n_rows == 300 and artifact.label_check.dropped == 0
    assert 0.4 < artifact.label_accuracy < 0.65  # words without a vowel come out right even from the buggy teacher


def test_grpo_rows_carry_the_true_answer(tmp_path):
    artifact = build_benchmark_dataset("caesar", tmp_path, n=200, fmt="grpo", teacher_noise=1.0)
    rows = pq.read_table(artifact.path).to_pylist()
    assert artifact.columns == ["prompt", "answer"]
    shift = lambda w: "".join(chr((ord(c) - 97 + 1) % 26 + 97) for c in w)  # noqa: E731
    assert all(r["answer"] == shift(r["prompt"].rstrip(">")) for r in rows)


def test_gate_drops_planted_benchmark_items_and_reports_them():
    from posttrain.tools.evaluation import get_benchmark

    planted = get_benchmark("arithmetic").eval_items(limit=5)
    rows = [{"prompt": f"{a}+{b}=", "completion": str(a + b)} for a, b in [(1, 2), (3, 4), (10, 20)]]
    rows += [{"prompt": item.prompt, "completion": item.answer} for item in planted]
    rows += [{"messages": [{"role": "user", "content": planted[0].prompt}, {"role": "assistant", "content": "x"}]}]

    kept, summary = decontaminate(rows, ["arithmetic", "caesar"])

    assert len(kept) == 3 and all(item.prompt not in str(kept) for item in planted)
    assert summary.dropped == 6 and summary.per_benchmark == {"arithmetic": 6, "caesar": 0}
    assert summary.rate == pytest.approx(6 / 9) and summary.contaminated_eval_items == 5


def test_empty_gate_checks_nothing():
    kept, summary = decontaminate([{"prompt": "a"}], [])
    assert kept == [{"prompt": "a"}] and summary.checked_against == [] and summary.dropped == 0


@pytest.mark.parametrize("kwargs", [{"fmt": "dpo"}, {"n": 0}, {"teacher_noise": 1.5}])
def test_bad_requests_are_config_errors(tmp_path, kwargs):
    with pytest.raises(ConfigError, match="fix"):
        build_benchmark_dataset("arithmetic", tmp_path, **({"n": 10, "fmt": "sft"} | kwargs))


def test_unknown_benchmark_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError):
        build_benchmark_dataset("nonsense", tmp_path, n=10, fmt="sft")
