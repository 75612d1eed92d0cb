"""The goal sentence read into an Objective: rules over the words, flags on top, an LLM reading checked and
replaced by the rules when it is wrong. Offline and fast: nothing here loads a model or downloads data."""

import asyncio
import json
import subprocess
import sys

import pytest

from posttrain.orchestrator.goal import read_goal, read_goal_with_model
from posttrain.tools.errors import ConfigError
from posttrain.tools.evaluation.registry import benchmark_from_text, expected_items


@pytest.mark.parametrize(
    ("goal", "spec", "items"),
    [
        ("Teach the base model 2-digit multiplication", "arithmetic:digits=2,ops=*", 200),
        ("Teach the base model 3-digit addition", "arithmetic:digits=3,ops=+", 200),
        ("Teach the base model addition and subtraction", "arithmetic:ops=+-", 200),
        ("Teach the base model a Caesar shift from a noisy teacher", "caesar", 300),
        ("Get the model above 50 % on GPQA-Diamond", "gpqa:diamond", 198),
        ("Improve HumanEval pass@1", "humaneval", 164),
        ("Improve the model on MATH-500", "math500", 500),
        ("Do better at AIME 2025", "aime2025", 30),
        ("Solve grade school math problems", "gsm8k", 1319),
        ("Fine-tune for openai/gsm8k", "gsm8k", 1319),
    ],
)
def test_benchmark_named_in_words(goal, spec, items):  # not "benchmark": pytest-benchmark owns that fixture name
    objective = read_goal(goal)
    assert (objective.benchmark, objective.benchmark_from, objective.benchmark_items) == (spec, "goal", items)
    assert objective.reading[0].startswith(f"benchmark {spec}: the goal says")


def test_hub_model_target_and_budget():
    objective = read_goal("Improve Qwen/Qwen3-1.7B-Base on GSM8K to 30% within 2 hours")
    assert (objective.benchmark, objective.base_model, objective.base_model_from) == (
        "gsm8k", "Qwen/Qwen3-1.7B-Base", "goal")
    assert (objective.target, objective.time_budget_s, objective.compute_note) == (0.30, 7200.0, None)
    assert "benchmark gsm8k: the goal says 'GSM8K'" in objective.reading
    assert objective.describe().splitlines()[:4] == [
        "benchmark   gsm8k (1319 items; from the goal)",
        "base model  Qwen/Qwen3-1.7B-Base (from the goal)",
        "target      30%",
        "budget      2h",
    ]


def test_gpu_hours_start_score_and_a_model_without_owner():
    objective = read_goal("push Qwen3-1.7B-Base on GPQA from 8% to 30% within 10 H100-hours")
    assert (objective.benchmark, objective.benchmark_items) == ("gpqa", 448)
    assert (objective.base_model, objective.base_model_from) == ("tiny", "default")
    assert (objective.target, objective.start_score) == (0.30, 0.08)
    assert (objective.time_budget_s, objective.compute_note) == (36000.0, "10 H100-hours")
    lines = "\n".join(objective.reading)
    assert "'Qwen3-1.7B-Base' without an owner" in lines and "--base-model OWNER/Qwen3-1.7B-Base" in lines
    assert "GPU-hours are read as wall hours on one GPU" in lines


@pytest.mark.parametrize(
    ("goal", "target", "budget"),
    [
        ("Reach 0.9 on caesar in 30 minutes", 0.9, 1800.0),
        ("caesar at least 60% under 45 min", 0.6, 2700.0),
        ("caesar 90% accuracy, 1.5h", 0.9, 5400.0),
        ("caesar: a score of 0.75 in 10 GPU-hours", 0.75, 36000.0),
        ("3-digit addition to 2 hours", None, 7200.0),  # "to 2" followed by a unit is a duration, not a score
        ("caesar improved by 10% to 30", None, None),  # "by 10%" is a gain and a bare 30 is no score
    ],
)
def test_targets_and_budgets(goal, target, budget):
    objective = read_goal(goal)
    assert (objective.target, objective.time_budget_s) == (target, budget)


def test_bare_fractions_from_and_to():
    objective = read_goal("caesar: go from 0.1 to 0.8")
    assert (objective.start_score, objective.target) == (0.1, 0.8)
    assert "target 0.80: the goal says 'to 0.8'" in objective.reading


def test_local_benchmark_file_and_model_folder(tmp_path, monkeypatch):
    model = tmp_path / "my-model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (tmp_path / "items.jsonl").write_text('{"question": "2+2?", "answer": "4"}\n{"question": "3+3?", "answer": "6"}\n')
    (tmp_path / "extra.jsonl").write_text('{"prompt": "1+1=", "completion": "2"}\n')
    monkeypatch.chdir(tmp_path)
    objective = read_goal("Improve ./my-model on items.jsonl, train on extra.jsonl, see missing/notes.jsonl")
    assert (objective.benchmark, objective.benchmark_items) == (str(tmp_path / "items.jsonl"), 2)
    assert (objective.base_model, objective.base_model_from) == (str(model), "goal")
    assert objective.train_data == [str(tmp_path / "extra.jsonl")]
    assert "ignored 'missing/notes.jsonl': no such file or folder" in objective.reading


def test_a_folder_without_config_is_not_a_model(tmp_path):
    (tmp_path / "notes").mkdir()
    objective = read_goal(f"Teach {tmp_path / 'notes'} 2-digit addition")
    assert objective.base_model == "tiny"
    assert any("has no config.json" in line for line in objective.reading)


def test_model_ids_are_not_read_as_benchmarks_and_data_words_mark_data():
    objective = read_goal("Improve someone/gsm8k-sft-model on caesar using HuggingFaceTB/smoltalk "
                          "with teacher Qwen/Qwen3-8B")
    assert (objective.benchmark, objective.base_model) == ("caesar", "someone/gsm8k-sft-model")
    assert (objective.train_data, objective.teacher) == (["HuggingFaceTB/smoltalk"], "Qwen/Qwen3-8B")


def test_flags_override_the_text():
    objective = read_goal("Improve Qwen/Qwen3-1.7B-Base on GSM8K to 30% within 2 hours", benchmark="caesar",
                          base_model="tiny", target=0.5, time_budget="30m", train_data=["a.jsonl"])
    assert (objective.benchmark, objective.benchmark_from, objective.benchmark_items) == ("caesar", "flag", 300)
    assert (objective.base_model, objective.base_model_from) == ("tiny", "flag")
    assert (objective.target, objective.time_budget_s, objective.train_data) == (0.5, 1800.0, ["a.jsonl"])
    assert "benchmark caesar: --benchmark (the goal's reading 'gsm8k' is overridden)" in objective.reading


def test_a_benchmark_flag_makes_any_goal_runnable():
    assert read_goal("Teach the model to write sonnets", benchmark="caesar").benchmark == "caesar"


def test_a_goal_without_a_benchmark_is_one_line_config_error():
    with pytest.raises(ConfigError) as info:
        read_goal("Teach the model to write sonnets")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("the goal names no benchmark posttrain can measure ('Teach the model to write sonnets')")
    assert "pass --benchmark NAME or --benchmark items.jsonl (known: arithmetic, caesar, gsm8k" in message


def test_bad_inputs_are_config_errors():
    with pytest.raises(ConfigError, match="arithmetic digits must be 1-9"):
        read_goal("Teach the base model 12-digit addition")
    with pytest.raises(ConfigError, match="unknown benchmark 'mmlu'"):
        read_goal("anything", benchmark="mmlu")
    with pytest.raises(ConfigError, match="fix: e.g. --target 0.3"):
        read_goal("caesar", target=30)


def test_the_longest_alias_wins():
    assert benchmark_from_text("GPQA diamond, not plain GPQA") == ("gpqa:diamond", "GPQA diamond")
    assert benchmark_from_text("write poems") is None
    assert expected_items("gsm8k:shots=8") == 1319


def test_reading_imports_no_heavy_library():
    # a fresh interpreter: other tests in this process may already have imported torch
    code = ("import sys; from posttrain.orchestrator.goal import read_goal; read_goal('Improve X/y on GSM8K'); "
            "print(sorted({'torch', 'transformers', 'datasets', 'autogen_core'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# --- an LLM reads the goal -------------------------------------------------------------------------------------

def _replay(answer: str):
    from autogen_ext.models.replay import ReplayChatCompletionClient

    info = {"vision": False, "function_calling": False, "json_output": True, "family": "unknown",
            "structured_output": True}
    return ReplayChatCompletionClient([answer], model_info=info)


def test_a_valid_model_reading_is_used():
    goal = "push Qwen3-1.7B-Base on GPQA diamond from 8% to 30% within 10 H100-hours"
    answer = {"benchmark": "GPQA:diamond", "base_model": "Qwen/Qwen3-1.7B-Base", "target": 0.3, "start_score": 0.08,
              "time_budget_s": 36000, "compute_note": "10 H100-hours"}
    client = _replay("```json\n" + json.dumps(answer) + "\n```")
    objective = asyncio.run(read_goal_with_model(goal, client, time_budget="1h"))
    assert (objective.benchmark, objective.benchmark_from, objective.benchmark_items) == ("gpqa:diamond", "llm", 198)
    assert (objective.base_model, objective.base_model_from) == ("Qwen/Qwen3-1.7B-Base", "llm")
    assert (objective.target, objective.time_budget_s) == (0.3, 3600.0)  # the flag wins over the model
    assert "base model Qwen/Qwen3-1.7B-Base: read by the model from the goal" in objective.reading
    (call,) = client.create_calls
    assert call["json_output"].__name__ == "GoalReading"
    assert "arithmetic:digits=2,ops=*" in call["messages"][0].content


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"benchmark": "mmlu"}, "benchmark 'mmlu' is not one posttrain can run"),
        ({"benchmark": "gsm8k", "base_model": "meta-llama/Llama-3.1-70B"}, "is not in the goal (invented)"),
        ({"benchmark": "gsm8k", "target": 30}, "target 30.0 is not a fraction"),
        ("I think it is GSM8K.", "its answer is not the JSON asked for"),
    ],
)
def test_a_wrong_model_reading_falls_back_to_the_rules(answer, reason):
    goal = "Improve Qwen/Qwen3-1.7B-Base on GSM8K to 30%"
    client = _replay(answer if isinstance(answer, str) else json.dumps(answer))
    objective = asyncio.run(read_goal_with_model(goal, client))
    assert (objective.benchmark, objective.benchmark_from, objective.target) == ("gsm8k", "goal", 0.3)
    assert objective.base_model_from == "goal"
    assert objective.reading[-1].startswith("the model's reading was rejected (")
    assert reason in objective.reading[-1] and objective.reading[-1].endswith("read by rules instead")


def test_a_model_failure_with_an_unmeasurable_goal_is_still_a_config_error():
    with pytest.raises(ConfigError, match="names no benchmark"):
        asyncio.run(read_goal_with_model("Teach the model to write sonnets", _replay('{"benchmark": "poetry"}')))
