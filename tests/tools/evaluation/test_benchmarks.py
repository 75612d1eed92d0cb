"""Registry specs, the synthetic benchmarks' generators, Hub row mappings (own rows in the real schema), files."""

import json

import pytest

from posttrain.tools.errors import ConfigError, ToolError
from posttrain.tools.evaluation import get_benchmark, list_benchmarks


def _rows(own_fixtures, name):
    path = own_fixtures / "evaluation" / f"{name}_rows.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


# --- registry -------------------------------------------------------------------------------------------------

def test_list_names_every_builtin():
    assert list_benchmarks() == ["arithmetic", "caesar", "gsm8k", "math500", "aime2025", "gpqa", "gpqa:diamond",
                                 "humaneval"]


@pytest.mark.parametrize(
    ("spec", "canonical"),
    [
        ("arithmetic", "arithmetic:digits=3,ops=+,n_eval=200,seed=0"),
        ("arithmetic:digits=2,ops=+-,n_eval=50,seed=3", "arithmetic:digits=2,ops=+-,n_eval=50,seed=3"),
        ("caesar", "caesar:shift=1,length=5,n_eval=300,seed=0"),
        ("gsm8k", "gsm8k"),
        ("gpqa:diamond", "gpqa:diamond,seed=0"),
        ("gpqa:gpqa_diamond,seed=2", "gpqa:diamond,seed=2"),
        ("gsm8k:revision=abc123", "gsm8k:revision=abc123"),
    ],
)
def test_canonical_spec_round_trips(spec, canonical):
    bench = get_benchmark(spec)
    assert bench.spec == canonical
    assert get_benchmark(canonical).spec == canonical


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("mmlu", "unknown benchmark 'mmlu'; use one of: arithmetic, caesar"),
        ("arithmetic:digit=3", "unknown parameter 'digit'"),
        ("arithmetic:digits=x", "digits=" ),
        ("arithmetic:ops=/", "ops must be"),
        ("arithmetic:digits=1,n_eval=80", "only 100 problems"),
        ("gpqa:extended", "use one of: gpqa:main, gpqa:diamond"),
        ("gsm8k:split=train", "valid: revision, seed"),
        ("missing/items.jsonl", "does not exist"),
        ("", "empty benchmark spec"),
    ],
)
def test_bad_specs_are_config_errors(spec, message):
    with pytest.raises(ConfigError, match=None) as info:
        get_benchmark(spec)
    assert message in str(info.value)


# --- synthetic benchmarks -------------------------------------------------------------------------------------

def test_arithmetic_items_are_fixed_by_seed_and_scored_as_numbers():
    bench = get_benchmark("arithmetic:digits=3,ops=+-")
    items = bench.eval_items()
    assert len(items) == 200 and items == get_benchmark("arithmetic:digits=3,ops=+-").eval_items()
    assert items != get_benchmark("arithmetic:digits=3,ops=+-,seed=1").eval_items()
    for item in items[:50]:
        a, op, b = item.prompt[:-1].partition("+") if "+" in item.prompt else item.prompt[:-1].partition("-")
        assert int(item.answer) == (int(a) + int(b) if op == "+" else int(a) - int(b))
    item = next(i for i in items if len(i.answer) == 3 and not i.answer.startswith("-"))
    assert bench.score(item.answer, item).correct
    assert not bench.score(item.answer + "0", item).correct  # 5790 is not 579
    assert bench.max_new_tokens == 5


def test_arithmetic_train_items_are_disjoint_and_carry_the_buggy_teacher():
    bench = get_benchmark("arithmetic:digits=2")
    eval_ids = {item.id for item in bench.eval_items()}
    train = bench.train_items(2000, seed=1, teacher_noise=1.0)
    assert len({item.id for item in train}) == 2000 and not eval_ids & {item.id for item in train}
    for item in train:
        a, b = map(int, item.prompt[:-1].split("+"))
        carries = a % 10 + b % 10 >= 10
        assert item.meta["gold"] == str(a + b)
        assert item.answer == str(a + b - 10 if carries else a + b)  # 58+67 -> 115, the dropped carry
        assert item.meta["teacher_correct"] is (not carries)
    clean = bench.train_items(500, seed=2, teacher_noise=0.0)
    assert all(item.meta["teacher_correct"] and item.answer == item.meta["gold"] for item in clean)
    mixed = bench.train_items(3000, seed=3, teacher_noise=0.5)
    wrong = sum(not item.meta["teacher_correct"] for item in mixed) / len(mixed)
    assert 0.15 < wrong < 0.35  # half the labels buggy, and ~45% of 2-digit sums carry


def test_train_items_refuse_a_too_small_space():
    bench = get_benchmark("arithmetic:digits=1,n_eval=40")
    assert len(bench.train_items(60)) == 60  # the whole remaining space, enumerated
    with pytest.raises(ToolError, match="only 60 problems exist outside the eval set"):
        bench.train_items(61)


def test_caesar_items_teacher_and_scorer():
    bench = get_benchmark("caesar")
    items = bench.eval_items(limit=5)
    assert all(item.prompt.endswith(">") and len(item.answer) == 5 for item in items)
    assert bench._shift("qzmfe") == "rangf"
    assert bench._shift("qzmfe", skip_vowels=True) == "range"
    train = bench.train_items(1000, teacher_noise=1.0)
    assert not {i.id for i in train} & {i.id for i in bench.eval_items()}
    for item in train[:100]:
        has_vowel = any(c in "aeiou" for c in item.prompt[:-1])
        assert item.meta["teacher_correct"] is (not has_vowel)
    assert bench.score(" rangf\n", items[0].model_copy(update={"answer": "rangf"})).correct


def test_hub_benchmarks_have_no_generator():
    with pytest.raises(ToolError, match="no generator"):
        get_benchmark("gsm8k").train_items(10)


# --- Hub mappings on rows written in each dataset's real schema ----------------------------------------------

def test_registry_names_real_datasets():
    expected = {"gsm8k": ("openai/gsm8k", "main", "test"), "math500": ("HuggingFaceH4/MATH-500", None, "test"),
                "aime2025": ("MathArena/aime_2025", None, "train"), "gpqa": ("Idavidrein/gpqa", "gpqa_main", "train"),
                "humaneval": ("openai/openai_humaneval", "openai_humaneval", "test")}
    for name, (dataset, config, split) in expected.items():
        bench = get_benchmark(name)
        assert (bench.source.dataset, bench.config, bench.source.split) == (dataset, config, split)
    assert get_benchmark("gpqa:diamond").config == "gpqa_diamond"
    assert get_benchmark("gpqa:diamond").name == "gpqa_diamond"


def test_gsm8k_mapping_and_scoring(own_fixtures):
    bench = get_benchmark("gsm8k")
    items = [bench.item_from_row(row, i) for i, row in enumerate(_rows(own_fixtures, "gsm8k"))]
    assert [item.answer for item in items] == ["15", "6000"]
    assert "\\boxed{}" in items[0].prompt and items[0].id == "gsm8k-0"
    assert bench.score("75 - 60 = 15, so \\boxed{15}", items[0]).correct
    assert bench.score("The answer is 6,000 eggs.", items[1]).correct
    assert not bench.score("\\boxed{115}", items[0]).correct


def test_math500_mapping_and_scoring(own_fixtures):
    bench = get_benchmark("math500")
    items = [bench.item_from_row(row, i) for i, row in enumerate(_rows(own_fixtures, "math500"))]
    assert items[0].id == "test/prealgebra/101.json" and items[0].meta["level"] == 2
    assert bench.score("... = \\boxed{0.875}", items[0]).correct  # 7/8 as a decimal
    assert bench.score("\\boxed{\\dfrac{7}{8}}", items[0]).correct
    assert bench.score("\\boxed{\\left(3, \\frac{\\pi}{2}\\right)}", items[1]).correct
    assert not bench.score("\\boxed{\\frac{7}{9}}", items[0]).correct


def test_aime_mapping_and_scoring(own_fixtures):
    bench = get_benchmark("aime2025")
    items = [bench.item_from_row(row, i) for i, row in enumerate(_rows(own_fixtures, "aime2025"))]
    assert [i.id for i in items] == ["aime2025-1", "aime2025-2"]
    assert bench.score("so the sum is \\boxed{70}", items[0]).correct
    assert not bench.score("\\boxed{170}", items[0]).correct


def test_gpqa_choices_are_shuffled_by_seed_and_scored_by_letter(own_fixtures):
    rows = _rows(own_fixtures, "gpqa")
    letters = set()
    for seed in range(8):
        bench = get_benchmark(f"gpqa:diamond,seed={seed}")
        item = bench.item_from_row(rows[0], 0)
        assert item.meta["choices"][ord(item.answer) - 65] == "Photon"
        assert f"{item.answer}) Photon" in item.prompt
        assert bench.score(f"Photons carry it.\nAnswer: {item.answer}", item).correct
        wrong = "A" if item.answer != "A" else "B"
        assert not bench.score(f"Answer: {wrong}", item).correct
        letters.add(item.answer)
    assert len(letters) > 1  # the correct answer is not always in the same place
    same = get_benchmark("gpqa:diamond,seed=3")
    assert same.item_from_row(rows[1], 1) == same.item_from_row(rows[1], 1)


def test_schema_change_names_the_missing_column(own_fixtures):
    bench = get_benchmark("gsm8k")
    with pytest.raises(ToolError, match="no column 'answer'"):
        bench.item_from_row({"question": "?"}, 0)


def test_loading_without_the_hub_is_a_tool_error_naming_the_fix():
    # conftest sets HF_HUB_OFFLINE / HF_DATASETS_OFFLINE: the real load_dataset call fails fast
    with pytest.raises(ToolError, match="could not load openai/gsm8k config=main split=test"):
        get_benchmark("gsm8k").eval_items(limit=3)
    with pytest.raises(ToolError, match="gated"):
        get_benchmark("gpqa:diamond").eval_items()


# --- user benchmarks ------------------------------------------------------------------------------------------

def test_jsonl_benchmark_defaults(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text('{"question": "2+2?", "answer": 4}\n\n{"id": "q7", "question": "10/4?", "answer": "2.5"}\n')
    bench = get_benchmark(str(path))
    items = bench.eval_items()
    assert (bench.name, bench.answer_type) == ("items", "numeric")
    assert [(i.id, i.prompt, i.answer) for i in items] == [("0", "2+2?", "4"), ("q7", "10/4?", "2.5")]
    assert bench.score("it is 5/2", items[1]).correct


def test_yaml_benchmark(tmp_path):
    (tmp_path / "caps.jsonl").write_text('{"q": "France", "a": "Paris"}\n')
    spec = tmp_path / "caps.yaml"
    spec.write_text("file: caps.jsonl\nname: capitals\nquestion_field: q\nanswer_field: a\n"
                    "prompt_template: 'Capital of {question}:'\nscorer: text\nmax_new_tokens: 8\n")
    bench = get_benchmark(str(spec))
    item = bench.eval_items()[0]
    assert (bench.name, bench.max_new_tokens, item.prompt) == ("capitals", 8, "Capital of France:")
    assert bench.score(" Paris ", item).correct


def test_bad_user_files(tmp_path):
    (tmp_path / "bad.yaml").write_text("file: x.jsonl\nscorer: fuzzy\n")
    with pytest.raises(ConfigError, match="scorer"):
        get_benchmark(str(tmp_path / "bad.yaml"))
    (tmp_path / "x.jsonl").write_text('{"text": "hi", "answer": 1}\n')
    with pytest.raises(ConfigError, match="has no field 'question'"):
        get_benchmark(str(tmp_path / "x.jsonl")).eval_items()
