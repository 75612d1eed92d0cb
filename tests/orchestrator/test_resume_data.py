"""`resume --train-data/--teacher` changes the run's data in the config and in its objective alike: summary.json
writes both, so they must agree (test_blocked_run checks the same on a real resumed run's summary.json)."""

from posttrain.orchestrator.session import configure, with_added_data


def test_resume_data_reaches_the_objective(tmp_path):
    config = configure("Improve the model on GSM8K", brain="offline", run_dir=str(tmp_path / "run"),
                       train_data=["mine.jsonl"])
    assert config.objective is not None and config.objective.train_data == ["mine.jsonl"]
    resumed = with_added_data(config, ["more.jsonl"], "Qwen/Qwen3-8B")
    assert resumed.train_data == resumed.objective.train_data == ["mine.jsonl", "more.jsonl"]
    assert resumed.teacher == resumed.objective.teacher == "Qwen/Qwen3-8B"
    assert resumed.objective.reading[-2:] == ["train data: more.jsonl added on resume",
                                              "teacher: Qwen/Qwen3-8B set on resume"]
    assert config.objective.train_data == ["mine.jsonl"]  # the original is not mutated
