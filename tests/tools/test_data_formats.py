"""Local datasets in each file format converted to SFT and GRPO rows with the tiny model's tokenizer."""

import pytest

from posttrain.tools.data.formats import extract_answer, propose_fits, to_training_rows
from posttrain.tools.data.load import load_rows
from posttrain.tools.errors import ConfigError


@pytest.fixture(scope="module")
def tokenizer(tiny_model_path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_path)


@pytest.mark.parametrize("name", ["qa.jsonl", "qa.parquet", "qa.csv"])
def test_each_file_format_converts_to_sft_and_grpo(name, own_fixtures, tokenizer):
    rows, revision = load_rows(path=own_fixtures / "data" / name)
    assert len(rows) == 6 and revision.startswith("sha256:")
    fits = {f.method: f for f in propose_fits(list(rows[0]), rows)}
    assert fits["sft"].mapping == {"prompt": "question", "completion": "answer"}
    assert fits["grpo"].fits and fits["grpo"].answer_extract == "gsm8k"

    sft = to_training_rows(rows[:4], "sft", fits["sft"].mapping, tokenizer=tokenizer)
    assert sft[0]["prompt"] == f"user: {rows[0]['question']}\nassistant: "  # the tiny model's chat template
    assert sft[0]["completion"] == rows[0]["answer"]

    grpo = to_training_rows(rows[:4], "grpo", fits["grpo"].mapping, tokenizer=tokenizer, answer_extract="gsm8k")
    assert [r["answer"] for r in grpo] == ["7", "36", "45", "18"]
    assert set(grpo[0]) == {"prompt", "answer"}
    # every templated prompt tokenises to one token per character with the char-level tokenizer
    ids = tokenizer(grpo[1]["prompt"], add_special_tokens=False)["input_ids"]
    assert len(ids) == len(grpo[1]["prompt"])


def test_without_tokenizer_prompts_stay_raw(own_fixtures):
    rows, _ = load_rows(path=own_fixtures / "data" / "qa.jsonl")
    out = to_training_rows(rows[:1], "sft", {"prompt": "question", "completion": "answer"})
    assert out[0]["prompt"] == rows[0]["question"]


def test_messages_and_preferences(own_fixtures):
    chat, _ = load_rows(path=own_fixtures / "data" / "chat.jsonl")
    fits = {f.method: f for f in propose_fits(list(chat[0]), chat)}
    assert fits["sft"].fits and fits["sft"].mapping == {"messages": "messages"}
    assert not fits["grpo"].fits
    converted = to_training_rows(chat, "sft", fits["sft"].mapping)
    assert converted[1]["messages"][0] == {"role": "system", "content": "Answer with a number."}

    prefs, _ = load_rows(path=own_fixtures / "data" / "prefs.jsonl")
    fits = {f.method: f for f in propose_fits(list(prefs[0]), prefs)}
    assert fits["dpo"].mapping == {"prompt": "prompt", "chosen": "chosen", "rejected": "rejected"}
    assert to_training_rows(prefs, "dpo", fits["dpo"].mapping)[1] == {
        "prompt": "58+67=",
        "chosen": "125",
        "rejected": "115",
    }


def test_long_free_text_is_not_a_grpo_answer():
    rows = [{"prompt": "Write an essay", "output": "word " * 40} for _ in range(3)]
    fit = next(f for f in propose_fits(["prompt", "output"], rows) if f.method == "grpo")
    assert not fit.fits and "free text" in fit.reason


def test_answer_extraction():
    assert extract_answer("so \\boxed{12} and \\boxed{3/4}", "boxed") == "3/4"
    assert extract_answer("The answer is 1,234.\n#### 1,234", "gsm8k") == "1234"
    assert extract_answer("Final: (B)", r"regex:\(([A-D])\)") == "B"
    with pytest.raises(ConfigError, match="answer_extract"):
        extract_answer("x", "magic")


def test_bad_mapping_names_the_columns(own_fixtures):
    rows, _ = load_rows(path=own_fixtures / "data" / "qa.jsonl")
    with pytest.raises(ConfigError, match="question"):
        to_training_rows(rows, "sft", {"prompt": "query", "completion": "answer"})
    with pytest.raises(ConfigError, match="fix"):
        to_training_rows(rows, "dpo", {"prompt": "question"})


def test_missing_and_unknown_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_rows(path=tmp_path / "nope.jsonl")
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(ConfigError, match="extension"):
        load_rows(path=tmp_path / "x.txt")
