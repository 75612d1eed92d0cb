"""The team on tasks it has never seen, brought the way users bring data: a question/answer JSONL with planted copies
of eval items, a chat `messages` JSONL, and a folder laid out like a Hub dataset repo with input/output columns.
Each runs through the real `posttrain run` (tiny model, Ray, TRL, decontamination, decoding check) and must improve
significantly over its baseline by the paired test. None of these tasks is a built-in generator."""

import json
from pathlib import Path

import pytest

from posttrain.orchestrator.cli import main
from tests.fixtures.tasks.make_tasks import write_hub_layout_task, write_messages_task, write_qa_task


N_TRAIN, N_EVAL = 1200, 150


def run_team(goal: str, benchmark: Path, train: Path, run_dir: Path) -> dict:
    code = main(["run", goal, "--benchmark", str(benchmark), "--train-data", str(train), "--max-iterations", "1",
                 "--run-dir", str(run_dir)])
    summary = json.loads((run_dir / "summary.json").read_text())
    assert code == 0, summary
    return summary


def assert_significant_gain(summary: dict) -> dict:
    assert summary["status"] in ("max_iterations", "goal_met")  # goal_met: a perfect score ends the run
    iteration = summary["iterations"][1]
    comparison = iteration["comparison"]
    assert comparison["significant"] and comparison["diff"] > 0.3, iteration
    assert summary["best"]["iteration"] == 1 and summary["best"]["score"] > summary["baseline"]["score"]
    return iteration


@pytest.mark.slow
def test_question_answer_jsonl_with_planted_eval_copies(tmp_path):
    files = write_qa_task(tmp_path / "task", n_train=N_TRAIN, n_eval=N_EVAL, seed=0, planted=8)
    summary = run_team("Teach the base model to sort digits, largest first", files.eval, files.train,
                       tmp_path / "run")
    iteration = assert_significant_gain(summary)
    assert iteration["data"]["contamination_dropped"] == 8  # every planted copy of an eval item, and only those
    card = Path(iteration["data"]["path"]).with_name("README.md").read_text()
    assert str(files.train) in card and "decontamination" in card.lower()


@pytest.mark.slow
def test_chat_messages_jsonl(tmp_path):
    # word reversal jumps from ~0 to ~1 between 3 and 6 epochs of 2,000 rows (bench/README.md): give it those rows
    files = write_messages_task(tmp_path / "task", n_train=2000, n_eval=N_EVAL, seed=0)
    summary = run_team("Teach the base model to reverse words", files.eval, files.train, tmp_path / "run")
    iteration = assert_significant_gain(summary)
    # trained inside the chat template, the model answers there: the Evaluator's decoding check finds it
    assert "greedy+chat" in iteration["decoding"]


@pytest.mark.slow
def test_hub_layout_folder_with_input_output_columns(tmp_path):
    files = write_hub_layout_task(tmp_path / "task", n_train=N_TRAIN, n_eval=N_EVAL, seed=0)
    summary = run_team("Teach the base model to swap the case of letters", files.eval, files.train,
                       tmp_path / "run")
    iteration = assert_significant_gain(summary)
    assert "input" in (iteration["data"]["dataset"] or "")  # the mapping it inferred is stated
