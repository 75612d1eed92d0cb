"""A JSONL benchmark without a YAML: fields, scorer and generation budget inferred from the rows, each guess noted."""

import json

import pytest

from posttrain.tools.errors import ConfigError
from posttrain.tools.evaluation import get_benchmark


def _write(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(path)


def test_numeric_answers_give_the_numeric_scorer(tmp_path):
    bench = get_benchmark(_write(tmp_path / "sums.jsonl", [{"question": "2+2?", "answer": 4},
                                                         {"question": "half of 5?", "answer": "2.5"},
                                                         {"question": "big?", "answer": "1,234"}]))
    assert (bench.answer_type, bench.max_new_tokens) == ("numeric", 16)  # longest answer 5 chars → floor of 16
    assert bench.inferred == [
        "fields question/answer, inferred from the first row",
        "scorer numeric, inferred: every answer is a number",
        "max_new_tokens 16, inferred: twice the longest answer (5 characters), within 16-256",
    ]
    assert bench.description.startswith("local file sums.jsonl, fields question/answer")
    assert bench.score("it is 5/2", bench.eval_items()[1]).correct


def test_letters_give_the_choice_scorer(tmp_path):
    rows = [{"problem": "Pick one", "solution": "B"}, {"problem": "Pick again", "solution": "F"}]
    bench = get_benchmark(_write(tmp_path / "mc.jsonl", rows))
    items = bench.eval_items()
    assert bench.answer_type == "choice" and items[1].meta["n_choices"] == 6  # F is the sixth letter
    assert "scorer choice, inferred: every answer is a single letter A-J" in bench.inferred
    assert bench.score("Answer: F", items[1]).correct and not bench.score("Answer: B", items[1]).correct


def test_words_give_the_text_scorer_and_input_output_fields(tmp_path):
    long_answer = "x" * 200
    rows = [{"input": "France", "output": "Paris"}, {"input": "long", "output": long_answer}]
    bench = get_benchmark(_write(tmp_path / "caps.jsonl", rows))
    assert (bench.answer_type, bench.max_new_tokens) == ("text", 256)  # 2 × 200 capped at 256
    assert "scorer text, inferred: answers are not numbers (e.g. 'Paris')" in bench.description
    assert [(i.prompt, i.answer) for i in bench.eval_items()][0] == ("France", "Paris")


@pytest.mark.parametrize(
    ("row", "question", "answer"),
    [
        ({"instruction": "Say hi", "output": "hi"}, "Say hi", "hi"),
        ({"prompt": "1+1=", "completion": "2"}, "1+1=", "2"),
        ({"query": "Capital of Peru?", "response": "Lima"}, "Capital of Peru?", "Lima"),
        ({"Question": "Q?", "Answer": "yes"}, "Q?", "yes"),
    ],
)
def test_common_shapes(tmp_path, row, question, answer):
    item = get_benchmark(_write(tmp_path / "rows.jsonl", [row])).eval_items()[0]
    assert (item.prompt, item.answer) == (question, answer)


def test_chat_messages_take_the_last_user_and_assistant_turns(tmp_path):
    rows = [{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"},
                          {"role": "assistant", "content": "5"}, {"role": "user", "content": "Really? 2+2?"},
                          {"role": "assistant", "content": "4"}]},
            {"conversations": [{"from": "human", "value": "3+3?"}, {"from": "gpt", "value": "6"}]}]
    bench = get_benchmark(_write(tmp_path / "chat.jsonl", rows[:1]))
    item = bench.eval_items()[0]
    assert (item.prompt, item.answer, bench.answer_type, bench.chat) == ("Really? 2+2?", "4", "numeric", True)
    assert bench.inferred[:2] == ["fields: 'messages' last user turn = question, last assistant turn = answer",
                                  "chat template on, inferred: rows are chat messages"]
    sharegpt = get_benchmark(_write(tmp_path / "sharegpt.jsonl", rows[1:])).eval_items()[0]
    assert (sharegpt.prompt, sharegpt.answer) == ("3+3?", "6")


def test_a_json_array_file(tmp_path):
    (tmp_path / "items.json").write_text(json.dumps([{"question": "1+2?", "answer": "3"}]))
    assert get_benchmark(str(tmp_path / "items.json")).eval_items()[0].answer == "3"


def test_yaml_settings_are_kept_and_only_the_rest_inferred(tmp_path):
    _write(tmp_path / "caps.jsonl", [{"q": "France", "a": "Paris"}])
    (tmp_path / "caps.yaml").write_text("file: caps.jsonl\nquestion_field: q\nanswer_field: a\nmax_new_tokens: 8\n")
    bench = get_benchmark(str(tmp_path / "caps.yaml"))
    assert (bench.answer_type, bench.max_new_tokens) == ("text", 8)
    assert bench.inferred == ["scorer text, inferred: answers are not numbers (e.g. 'Paris')"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "has no rows; fix: write one JSON object per line"),
        ("\n\n", "has no rows"),
        ('{"text": "hi", "answer": 1}\n', "row 1 has no field 'question' (fields: ['answer', 'text']); fix: name it"),
        ('{"question": "hi"}\n', "row 1 has no field 'answer'"),
        ('{"question": "a", "answer": "1"}\n{"question": "b"}\n', "row 2 has no field 'answer'"),
        ('{"messages": [{"role": "user", "content": "hi"}]}\n', "row 1 has no assistant turn in 'messages'"),
        ("[1, 2]\n", "row 1 is not a JSON object"),
        ("{not json\n", "is not valid JSON"),
    ],
)
def test_bad_files_are_one_line_config_errors(tmp_path, content, message):
    (tmp_path / "bad.jsonl").write_text(content)
    with pytest.raises(ConfigError) as info:
        get_benchmark(str(tmp_path / "bad.jsonl")).eval_items()
    assert message in str(info.value) and "\n" not in str(info.value)
