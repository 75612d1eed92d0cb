"""The label check measures a noisy teacher with the benchmark's own scorer (the generator's record of its slips
is read here only to check the measurement), and discovery lists candidates in order or says what unblocks it."""

import json

import pytest

from posttrain.tools.data import check_labels, compose_build_spec, find_sources
from posttrain.tools.data.synthetic import benchmark_rows
from posttrain.tools.errors import ConfigError


def test_caesar_teacher_noise_is_measured_not_read():
    from posttrain.tools.evaluation import get_benchmark

    rows = benchmark_rows("caesar", n=1000, fmt="sft", seed=3, teacher_noise=0.7)
    kept, check = check_labels(rows, "caesar")

    truth = get_benchmark("caesar").train_items(1000, 3, 0.7)
    share = sum(item.meta["teacher_correct"] for item in truth) / len(truth)
    assert check.accuracy == pytest.approx(share, abs=0.03) and check.checked == 1000
    assert len(kept) == check.accepted and check.dropped == 1000 - check.accepted
    assert all(row["completion"] == row["answer"] for row in kept)
    assert "caesar scorer" in check.line() and f"{check.accuracy:.1%}" in check.line()


def test_rows_without_gold_are_unchecked_and_accuracy_unknown():
    rows = [{"prompt": "abc>", "completion": "bcd"}, {"prompt": "x", "answer": "1"}]
    kept, check = check_labels(rows, "caesar")
    assert kept == rows and check.accuracy is None and check.unchecked == 2 and "not checked" in check.line()
    # completions with no separate gold answer are the data's own answers: gold labels, not unknown ones
    assert "taken as the gold labels" in check.line()
    kept, check = check_labels([*rows, {"prompt": "abc>", "completion": "bcd", "answer": "bce"}], "caesar")
    assert (check.checked, check.accepted, check.dropped, check.accuracy, len(kept)) == (1, 0, 1, 0.0, 2)


def test_find_sources_order_and_evidence(tmp_path):
    data = tmp_path / "mine.jsonl"
    data.write_text(
        "".join(json.dumps({"question": f"{w}>", "answer": w[1:] + w[0]}) + "\n" for w in ("abcde", "hello"))
    )
    found = find_sources("caesar", fmt="sft", train_data=[str(data)], teacher="some/teacher")
    assert [c.kind for c in found.candidates] == ["user", "hub", "teacher", "generator"]
    user, hub, teacher, generator = found.candidates
    assert user.usable and user.rows == 2 and "2 rows" in user.evidence and "prompt←question" in user.evidence
    assert not hub.usable and "offline" in hub.evidence  # the test session runs with POSTTRAIN_OFFLINE=1
    assert teacher.usable and "generator prompts" in teacher.evidence  # the user's rows carry no gold answer
    assert generator.usable and found.blocked_reason is None
    spec = compose_build_spec(found, fmt="sft", n_rows=100, benchmark_spec="caesar", seed=0, tokenizer=None)
    # the user's data is preferred over the generator; the teacher joins it
    assert [s.label for s in spec.sources] == [user.source.label, "teacher:some/teacher"] and spec.total is None
    assert spec.label_check == "caesar" and spec.decontaminate_against == ["caesar"]

    only_generator = find_sources("caesar", fmt="grpo", teacher="some/teacher")
    assert [c.kind for c in only_generator.candidates] == ["hub", "teacher", "generator"]
    assert "GRPO" in only_generator.candidates[1].evidence
    spec = compose_build_spec(only_generator, fmt="grpo", n_rows=50, benchmark_spec="caesar", seed=0, tokenizer=None)
    assert spec.sources[0].benchmark and spec.sources[0].n == 50 and spec.label_check is None
    noisy = find_sources("caesar", fmt="sft", hub_search=False, teacher_noise=0.7).candidates[-1]
    assert noisy.source.teacher_noise == 0.7 and "70%" in noisy.evidence


def test_a_teacher_samples_on_prompts_with_gold_answers(tmp_path):
    data = tmp_path / "gsm.jsonl"
    data.write_text(json.dumps({"question": "Two plus two is how much?", "answer": "2+2=<<2+2=4>>4\n#### 4"}) + "\n")
    found = find_sources("gsm8k", fmt="sft", train_data=[str(data)], teacher="some/teacher", hub_search=False)
    teacher = next(c for c in found.candidates if c.kind == "teacher")
    assert teacher.usable and teacher.source.teacher.prompts.path == str(data)
    assert teacher.source.teacher.benchmark == "gsm8k" and teacher.source.teacher.checks == ["benchmark"]


def test_nothing_usable_names_the_fix():
    found = find_sources("gsm8k", fmt="sft")  # offline: no train split, no Hub, no teacher, no generator
    assert not any(c.usable for c in found.candidates)
    assert found.blocked_reason == (
        "no training data for gsm8k: pass --train-data PATH|HUB_ID, a --teacher model, or make the Hub reachable "
        "so datasets can be searched"
    )
    assert found.describe().endswith(found.blocked_reason)
    with pytest.raises(ConfigError, match="--train-data"):
        compose_build_spec(found, fmt="sft", n_rows=10, benchmark_spec="gsm8k", seed=0, tokenizer=None)
    with pytest.raises(ConfigError, match="no such file"):
        find_sources("gsm8k", fmt="sft", train_data=["./missing.jsonl"])
