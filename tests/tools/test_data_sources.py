"""Sources a user brings, read by ``datasets`` from files written here: a question/answer JSONL with planted
eval items, a messages JSONL, a Hub-layout folder with input/output columns, a save_to_disk folder; the
``--train-data`` grammar and the mapping line."""

import json

import pyarrow.parquet as pq
import pytest

from posttrain.tools.data import build_dataset, describe_mapping, parse_data_ref, propose_fits, to_training_rows
from posttrain.tools.data.load import load_rows
from posttrain.tools.data.spec import BuildSpec
from posttrain.tools.errors import ConfigError


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _build(tmp_path, ref, fmt="sft", against=("arithmetic",), **extra):
    spec = BuildSpec(
        name="x", format=fmt, sources=[parse_data_ref(str(ref))], decontaminate_against=list(against), **extra
    )
    return build_dataset(spec, tmp_path / "out")


def test_question_answer_jsonl_with_planted_eval_items(tmp_path):
    from posttrain.tools.evaluation import get_benchmark

    planted = get_benchmark("arithmetic").eval_items(limit=3)
    rows = [{"question": f"{a}*{b}=", "answer": str(a * b)} for a in range(3) for b in range(4)]
    rows += [{"question": item.prompt, "answer": item.answer} for item in planted]
    artifact = _build(tmp_path, _jsonl(tmp_path / "qa.jsonl", rows), dedupe="exact")

    assert artifact.counts["source:" + str(tmp_path / "qa.jsonl")] == 15
    assert artifact.contamination.dropped == 3 and artifact.counts["after_decontam"] == 12 == artifact.n_rows
    saved = pq.read_table(artifact.path).to_pylist()
    assert not any(item.prompt == r["prompt"] for item in planted for r in saved)
    assert "prompt←question, completion←answer (no gold answer)" in artifact.describe()


def test_messages_jsonl(tmp_path):
    rows = [
        {"messages": [{"role": "user", "content": f"{i}+1="}, {"role": "assistant", "content": str(i + 1)}]}
        for i in range(5)
    ]
    artifact = _build(tmp_path, _jsonl(tmp_path / "chat.jsonl", rows), against=())
    assert artifact.columns == ["messages"] and artifact.n_rows == 5
    assert "messages←messages" in artifact.describe()


def test_hub_layout_folder_with_input_output_columns(tmp_path):
    repo = tmp_path / "repo"
    (repo / "data").mkdir(parents=True)
    _jsonl(repo / "data" / "train.jsonl", [{"input": f"{w}>", "output": w.upper()} for w in ("abc", "hello", "xyz")])
    _jsonl(repo / "data" / "validation.jsonl", [{"input": "zzz>", "output": "ZZZ"}])
    (repo / "README.md").write_text(
        "---\nconfigs:\n- config_name: upper\n  data_files:\n  - split: train\n    path: data/train.jsonl\n"
        "  - split: validation\n    path: data/validation.jsonl\n---\n"
    )
    rows, revision = load_rows(path=repo, config="upper", split="validation")
    assert rows == [{"input": "zzz>", "output": "ZZZ"}] and revision.startswith("sha256:")
    artifact = _build(tmp_path, repo, against=())
    saved = pq.read_table(artifact.path).to_pylist()
    assert sorted(r["completion"] for r in saved) == ["ABC", "HELLO", "XYZ"] and artifact.columns == [
        "prompt",
        "completion",
    ]
    grpo = _build(tmp_path / "g", repo, fmt="grpo", against=())
    assert sorted(r["answer"] for r in pq.read_table(grpo.path).to_pylist()) == ["ABC", "HELLO", "XYZ"]


def test_saved_dataset_folder_picks_the_split(tmp_path):
    from datasets import Dataset, DatasetDict

    problems = [
        {"problem": f"What is {a} plus {a}?", "solution": f"Twice {a} is {2 * a}.", "answer": str(2 * a)}
        for a in range(1, 7)
    ]
    DatasetDict({"train": Dataset.from_list(problems), "test": Dataset.from_list(problems[:1])}).save_to_disk(
        tmp_path / "saved"
    )
    source = parse_data_ref(str(tmp_path / "saved"))
    assert load_rows(path=source.path, split="test")[0] == problems[:1]
    artifact = _build(tmp_path, tmp_path / "saved", against=(), label_check="gsm8k")  # scorer: last number
    saved = pq.read_table(artifact.path).to_pylist()
    assert artifact.columns == ["prompt", "completion", "answer"] and len(saved) == 6
    assert saved[0]["completion"].startswith("Twice") and artifact.label_check.checked == 6
    assert "completion←solution (gold answer: column answer)" in artifact.describe()
    with pytest.raises(ConfigError, match="splits"):
        load_rows(path=source.path, split="validation")


def test_instruction_with_optional_input_and_the_mapping_lines():
    rows = [
        {"instruction": "Add the numbers.", "input": "2 and 3", "output": "5"},
        {"instruction": "Say hi.", "input": "", "output": "hi"},
    ]
    fit = next(f for f in propose_fits(list(rows[0]), rows) if f.method == "sft")
    assert fit.mapping == {"prompt": "instruction", "completion": "output", "input": "input"}
    assert fit.line == "prompt←instruction + input, completion←output (no gold answer)"
    out = to_training_rows(rows, "sft", fit.mapping)
    assert [r["prompt"] for r in out] == ["Add the numbers.\n\n2 and 3", "Say hi."]
    for columns, expected in [
        (["query", "response"], "prompt←query, completion←response"),
        (["prompt", "completion"], "prompt←prompt, completion←completion"),
        (["text"], "text←text"),
    ]:
        sample = [{c: "some words" for c in columns}]
        assert next(f for f in propose_fits(columns, sample) if f.method == "sft").line.startswith(expected)
    assert describe_mapping({"prompt": "question", "answer": "answer"}, "gsm8k") == (
        "prompt←question, answer←answer (the number after ####)"
    )


def test_train_data_grammar(tmp_path):
    (tmp_path / "d.jsonl").write_text("{}\n")
    assert parse_data_ref(str(tmp_path / "d.jsonl")).path == str(tmp_path / "d.jsonl")
    ref = parse_data_ref("openai/gsm8k:main@train")
    assert (ref.hub, ref.config, ref.split) == ("openai/gsm8k", "main", "train")
    assert (parse_data_ref("me/data").config, parse_data_ref("me/data@test").split) == (None, "test")
    for missing in ("./nope.jsonl", "~/nope", "/abs/none", "data/train.parquet"):
        with pytest.raises(ConfigError, match="no such file"):
            parse_data_ref(missing)
    for bad in ("gsm8k", "a/b/c", ""):
        with pytest.raises(ConfigError, match="fix"):
            parse_data_ref(bad)
