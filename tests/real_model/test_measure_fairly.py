"""A real chat model measured fairly before training: the prompt format is measured, not assumed; failures are
named; text answers are read by the common conventions (issue: a false 0.000 baseline from a missing template)."""

import json

from posttrain.tools.evaluation import get_benchmark
from posttrain.tools.evaluation.decoding import check_decoding
from posttrain.tools.evaluation.harness import evaluate_model
from posttrain.tools.evaluation.report import load_records


def _bench(task, limit_rows: int):
    """The task's eval file cut to its first rows (a YAML-free JSONL benchmark, as a user would bring it)."""
    path = task.eval.parent / f"eval-{limit_rows}.jsonl"
    path.write_text("".join(task.eval.read_text().splitlines(keepends=True)[:limit_rows]))
    return get_benchmark(str(path))


def test_raw_prompts_to_a_chat_model_come_back_empty_and_are_named_so(smollm2, parity_task, tmp_path):
    bench = _bench(parity_task, 40)
    assert bench.labels == ("even", "odd") and bench.answer_type == "text"
    report = evaluate_model(str(smollm2), bench, tmp_path, backend="transformers")  # raw: the benchmark's default
    failures = report.failures()
    assert report.settings["chat"] is False
    assert failures.counts.get("empty", 0) >= 30, failures  # its first token is <|im_end|>
    assert failures.format_bound and "measures the format, not the skill" in failures.describe()


def test_the_baseline_check_picks_the_chat_template_and_both_numbers_are_kept(smollm2, parity_task, tmp_path):
    bench = _bench(parity_task, 40)
    check = check_decoding(str(smollm2), bench, tmp_path / "check", save_beside_model=False,
                           backend="transformers")
    scores = {c.name: c.score for c in check.candidates}
    assert list(scores) == ["greedy", "sampled", "greedy+chat"]
    assert scores["greedy"] == 0.0 and check.chosen == "greedy+chat", check.describe()
    assert scores["greedy+chat"] > 0.3  # answers in sentences, read by the label convention
    chat_report = next(c.report for c in check.candidates if c.name == "greedy+chat")
    records = load_records(chat_report)
    assert all(r.completion.strip() for r in records)  # non-empty completions
    assert {r.rule for r in records if r.extracted} <= {"label word", "whole completion", "answer marker", "boxed",
                                                          "final line"}
    # the base model folder was not written to; the choice is kept beside the reports
    assert not (smollm2 / "posttrain_decoding.json").exists()
    saved = json.loads((tmp_path / "check" / "posttrain_decoding.json").read_text())
    assert saved["chat_template"] is True and saved["scores"] == scores


def test_a_chat_template_gets_room_for_a_sentence(smollm2, successor_task, tmp_path):
    bench = _bench(successor_task, 24)
    assert bench.answer_type == "numeric" and bench.max_new_tokens == 16  # sized for the bare answer "4520"
    report = evaluate_model(str(smollm2), bench, tmp_path, backend="transformers", default_chat=True)
    assert report.settings["max_new_tokens"] == 128 and report.settings["chat"] is True
    failures = report.failures()
    assert failures.counts.get("empty", 0) == 0
    assert sum(failures.counts.values()) == 24 and set(failures.counts) <= {"correct", "cut", "format_miss",
                                                                             "wrong"}


def test_a_base_style_model_is_checked_without_a_template(smollm2_base_style, successor_task, tmp_path):
    bench = _bench(successor_task, 16)
    check = check_decoding(str(smollm2_base_style), bench, tmp_path, save_beside_model=False,
                           backend="transformers")
    assert [c.name for c in check.candidates] == ["greedy", "sampled"]  # no template: nothing else to compare
    assert check.chosen == "greedy"
