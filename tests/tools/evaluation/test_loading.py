"""The real ``datasets.load_dataset`` path of Hub benchmarks and of `decontam`, run on local mirrors of the repos.

The Hub is unreachable here, so each test writes a folder laid out like the Hub repository (data files plus the
README ``configs`` block) and points the registry entry at it; everything after that is the production code.
"""

import csv
import json
from dataclasses import replace

import pytest

from posttrain.tools.errors import ConfigError, ToolError
from posttrain.tools.evaluation import get_benchmark, load_train_texts
from posttrain.tools.evaluation.hub_benchmarks import HUB_SOURCES, HubBenchmark


@pytest.fixture(autouse=True)
def _datasets_cache(tmp_path, monkeypatch):
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "datasets-cache"))


def _rows(own_fixtures, name):
    path = own_fixtures / "evaluation" / f"{name}_rows.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_gpqa_diamond_loads_through_datasets(own_fixtures, tmp_path):
    repo = tmp_path / "Idavidrein-gpqa"  # the Hub repo keeps one CSV per config, named in its README
    repo.mkdir()
    rows = _rows(own_fixtures, "gpqa")
    for config in ("gpqa_main", "gpqa_diamond"):
        with (repo / f"{config}.csv").open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows if config == "gpqa_diamond" else rows[:1])
    (repo / "README.md").write_text("---\nconfigs:\n- config_name: gpqa_main\n  data_files: gpqa_main.csv\n"
                                    "- config_name: gpqa_diamond\n  data_files: gpqa_diamond.csv\n---\n")
    bench = HubBenchmark(replace(HUB_SOURCES["gpqa"], dataset=str(repo)), variant="diamond")
    items = bench.eval_items()
    assert [item.id for item in items] == ["gpqa-recA1", "gpqa-recB2"]
    assert bench.score(f"Answer: {items[1].answer}", items[1]).correct
    assert len(HubBenchmark(replace(HUB_SOURCES["gpqa"], dataset=str(repo))).eval_items()) == 1  # main


def test_gsm8k_loads_through_datasets(own_fixtures, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    repo = tmp_path / "openai-gsm8k"
    (repo / "main").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(_rows(own_fixtures, "gsm8k")), repo / "main" / "test-00000-of-00001.parquet")
    (repo / "README.md").write_text("---\nconfigs:\n- config_name: main\n  data_files:\n  - split: test\n"
                                    "    path: main/test-*\n---\n")
    bench = HubBenchmark(replace(HUB_SOURCES["gsm8k"], dataset=str(repo)))
    items = bench.eval_items(limit=1)
    assert [(item.id, item.answer) for item in items] == [("gsm8k-0", "15")]


def test_missing_split_is_a_tool_error(tmp_path):
    repo = tmp_path / "empty"
    repo.mkdir()
    (repo / "train.jsonl").write_text('{"question": "q", "answer": "#### 1"}\n')
    bench = HubBenchmark(replace(HUB_SOURCES["gsm8k"], dataset=str(repo), config=None))
    with pytest.raises(ToolError, match="split=test"):
        bench.eval_items()


def test_decontam_reads_a_saved_dataset_folder(tmp_path):
    # the DataEngineer saves <name>.parquet and <name>-test.parquet side by side
    import pyarrow as pa
    import pyarrow.parquet as pq

    item = get_benchmark("caesar").eval_items(limit=1)[0]
    folder = tmp_path / "data"
    folder.mkdir()
    pq.write_table(pa.table({"prompt": ["abcde>", item.prompt], "completion": ["bcdef", item.answer]}),
                   folder / "caesar-sft.parquet")
    pq.write_table(pa.table({"prompt": ["zzzzz>"], "completion": ["aaaaa"]}), folder / "caesar-sft-test.parquet")
    texts = load_train_texts(str(folder))  # split "train": the -test file is left out
    assert texts == ["abcde>\nbcdef", f"{item.prompt}\n{item.answer}"]
    assert load_train_texts(str(folder), fields=["prompt"]) == ["abcde>", item.prompt]
    assert load_train_texts(str(folder), split="test") == ["zzzzz>\naaaaa"]
    with pytest.raises(ToolError, match="could not load dataset 'nobody/nothing'"):
        load_train_texts("nobody/nothing")


def test_gsm8k_few_shot_takes_examples_from_the_train_split(own_fixtures, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    repo = tmp_path / "openai-gsm8k"
    (repo / "main").mkdir(parents=True)
    rows = _rows(own_fixtures, "gsm8k")
    pq.write_table(pa.Table.from_pylist(rows[:1]), repo / "main" / "test-00000-of-00001.parquet")
    pq.write_table(pa.Table.from_pylist(rows[1:]), repo / "main" / "train-00000-of-00001.parquet")
    (repo / "README.md").write_text("---\nconfigs:\n- config_name: main\n  data_files:\n  - split: test\n"
                                    "    path: main/test-*\n  - split: train\n    path: main/train-*\n---\n")
    bench = HubBenchmark(replace(HUB_SOURCES["gsm8k"], dataset=str(repo)), shots=1)
    assert bench.spec == "gsm8k:shots=1" and "\nQuestion:" in bench.stop
    (item,) = bench.eval_items()
    assert item.prompt == (
        "Question: A farm sells 1,200 eggs a day for 5 days. How many eggs does it sell?\n"
        "Answer: It sells 1,200 * 5 = 6,000 eggs.\nThe answer is 6,000.\n\n"
        "Question: A baker makes 48 rolls in the morning and 27 in the afternoon. He sells 60. "
        "How many are left?\nAnswer:"
    )
    assert item.answer == "15" and bench.score(" 75 - 60 = 15.\nThe answer is 15.", item).correct
    assert get_benchmark("gsm8k:shots=8").spec == "gsm8k:shots=8"
    with pytest.raises(ConfigError, match="only gsm8k takes it"):
        get_benchmark("math500:shots=4")
