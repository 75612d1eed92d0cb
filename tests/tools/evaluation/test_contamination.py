"""Decontamination: planted, lightly reformatted copies are found; a disjoint set gives no false positive."""

import random

import pytest

from posttrain.tools.errors import ConfigError
from posttrain.tools.evaluation import Item, check_contamination, get_benchmark, normalize_words


QUESTIONS = [
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.",
    "Weng earns 12 dollars an hour for babysitting. Yesterday, she just did 50 minutes of babysitting.",
    "Betty is saving money for a new wallet which costs 100 dollars. Betty has only half of the money she needs.",
    "James writes a 3-page letter to 2 different friends twice a week. How many pages does he write a year?",
]


def _eval_items():
    return [Item(id=f"ev{i}", prompt=q + " How much in total?", answer="1") for i, q in enumerate(QUESTIONS)]


def _filler(rng: random.Random, words: int = 40) -> str:
    vocab = "the a model trains on tokens with data and learns quickly from many examples of text".split()
    return " ".join(rng.choice(vocab) for _ in range(words))


def test_normalisation_ignores_case_punctuation_and_spacing():
    assert normalize_words("Weng  EARNS $12/hour,\tyesterday!") == ["weng", "earns", "12", "hour", "yesterday"]


def test_planted_reformatted_copies_are_found():
    rng = random.Random(0)
    train = [_filler(rng) for _ in range(500)]
    # eval item 1 copied with other case, punctuation and line breaks, in the middle of a chat row
    train[123] = "user: " + _filler(rng, 10) + " " + QUESTIONS[1].upper().replace(" ", "\n").replace(".", " ;") + " ok"
    # eval item 3: a 10-word slice pasted into a longer text
    train[400] = _filler(rng, 5) + " " + " ".join(QUESTIONS[3].split()[4:14]) + " " + _filler(rng, 5)
    report = check_contamination(train, _eval_items(), n=8)
    assert report.contaminated_eval_ids == ["ev1", "ev3"]
    assert report.contaminated_train_rows == [123, 400]
    assert report.rate == 0.5 and (report.n_eval, report.n_train, report.ngram) == (4, 500, 8)
    assert {m.eval_id for m in report.examples} == {"ev1", "ev3"}


def test_disjoint_training_set_has_no_false_positive():
    rng = random.Random(1)
    # shares many single words and short phrases with the eval items, but never 8 words in a row
    train = [_filler(rng) + " Natalia sold clips to friends in April" for _ in range(300)]
    train += ["Betty is saving money for a new bike", "James writes a letter to friends"]
    report = check_contamination(train, _eval_items(), n=8)
    assert report.contaminated_eval_ids == [] and report.contaminated_train_rows == [] and report.rate == 0.0


def test_larger_n_needs_longer_overlap():
    seven_words = "sold clips to 48 of her friends"
    report8 = check_contamination(["x " + " ".join(QUESTIONS[0].split()[1:9])], _eval_items(), n=8)
    report13 = check_contamination(["x " + " ".join(QUESTIONS[0].split()[1:9])], _eval_items(), n=13)
    assert report8.contaminated_eval_ids == ["ev0"] and report13.contaminated_eval_ids == []
    assert check_contamination([seven_words], _eval_items(), n=8).rate == 0.0


def test_rows_never_join_across_boundaries():
    words = QUESTIONS[2].split()
    train = [" ".join(words[:5]), " ".join(words[5:12])]  # the 12-word span split over two rows
    assert check_contamination(train, _eval_items(), n=8).contaminated_eval_ids == []


def test_synthetic_train_items_are_clean_and_leaks_are_caught():
    bench = get_benchmark("caesar")
    evals = bench.eval_items()
    train = [f"{i.prompt}{i.answer}" for i in bench.train_items(3000, teacher_noise=0.5)]
    assert check_contamination(train, evals, n=8).contaminated_eval_ids == []
    train[10] = f"Q: {evals[7].prompt} A: {evals[7].answer}"  # short items must appear whole
    report = check_contamination(train, evals, n=8)
    assert report.contaminated_eval_ids == [evals[7].id] and report.contaminated_train_rows == [10]


def test_bad_n_is_a_config_error():
    with pytest.raises(ConfigError, match="between 1 and 64"):
        check_contamination(["x"], _eval_items(), n=0)


def test_empty_inputs():
    assert check_contamination([], _eval_items()).rate == 0.0
    assert check_contamination(["anything"], []).rate == 0.0


def test_prompt_templates_are_not_contamination(own_fixtures):
    import json

    bench = get_benchmark("gsm8k")
    rows = [json.loads(line) for line in (own_fixtures / "evaluation" / "gsm8k_rows.jsonl").read_text().splitlines()]
    evals = [bench.item_from_row(row, i) for i, row in enumerate(rows)]
    # distilled training data often repeats the very instruction the benchmark prompt ends with
    train = ["Solve 3+4. Please reason step by step, and put your final answer within \\boxed{}. It is 7."]
    assert check_contamination(train, evals).contaminated_eval_ids == []
    train.append("Q: " + rows[1]["question"].lower() + " A: 6000")
    assert check_contamination(train, evals).contaminated_eval_ids == ["gsm8k-1"]


def test_ngrams_shared_by_many_items_are_template_text():
    template = "Read the passage and answer the question that follows it carefully. "
    evals = [Item(id=f"t{i}", prompt=template + f"Item {i} asks about topic number {i} in depth.", answer="x")
             for i in range(10)]
    report = check_contamination([template + "unrelated text"], evals)
    assert report.contaminated_eval_ids == [] and report.template_ngrams > 0
    leak = check_contamination(["item 7 asks about topic number 7 in depth"], evals, n=8)
    assert leak.contaminated_eval_ids == ["t7"]
