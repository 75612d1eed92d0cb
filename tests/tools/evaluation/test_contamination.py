"""Decontamination: the verdict's rules one by one, on small hand-made cases (the corpus figures:
test_contamination_corpus.py)."""

from posttrain.tools.evaluation import Item, check_contamination, get_benchmark, normalize_words
from posttrain.tools.evaluation.contamination import RefItem, threshold


QUESTIONS = [
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many "
    "clips did Natalia sell altogether in April and May?",
    "Weng earns 12 dollars an hour for babysitting. Yesterday, she just did 50 minutes of babysitting. How much "
    "did she earn?",
    "Betty is saving money for a new wallet which costs 100 dollars. Betty has only half of the money she needs. "
    "Her parents give her 15 dollars and her grandparents twice as much. How much more money does Betty need?",
    "James writes a 3-page letter to 2 different friends twice a week. How many pages does he write a year?",
]
SOLUTIONS = [
    "Natalia sold 48/2 = <<48/2=24>>24 clips in May. Natalia sold 48+24 = <<48+24=72>>72 clips altogether in "
    "April and May. #### 72",
    "Weng earns 12/60 = $<<12/60=0.2>>0.2 per minute. Working 50 minutes, she earned 0.2 x 50 = $<<0.2*50=10>>10. "
    "#### 10",
    "In the beginning, Betty has only 100 / 2 = $<<100/2=50>>50. Betty's grandparents gave her 15 * 2 = "
    "$<<15*2=30>>30. This means, Betty needs 100 - 50 - 30 - 15 = $<<100-50-30-15=5>>5 more. #### 5",
    "He writes each friend 3*2=<<3*2=6>>6 pages a week. So he writes 6*2=<<6*2=12>>12 pages every week. That "
    "means he writes 12*52=<<12*52=624>>624 pages a year. #### 624",
]


def _items() -> list[Item]:
    return [Item(id=f"ev{i}", prompt=q, answer=s.split("#### ")[1], meta={"question": q, "solution": s})
            for i, (q, s) in enumerate(zip(QUESTIONS, SOLUTIONS, strict=True))]


def _flagged(texts: list[str], items=None) -> dict[int, tuple[str, str, str]]:
    report = check_contamination(texts, items or _items())
    return {m.row: (m.eval_id, m.field, m.rule) for m in report.matches}


def test_normalisation_ignores_case_punctuation_spacing_full_width_digits_and_annotations():
    assert normalize_words("Weng  EARNS $1,200/hour,\tyesterday!") == ["weng", "earns", "1200", "hour", "yesterday"]
    assert normalize_words("ｗｅｎｇ ｅａｒｎｓ １２") == ["weng", "earns", "12"]
    assert normalize_words("sold 48/2 = <<48/2=24>>24 clips") == ["sold", "48", "2", "24", "clips"]


def test_threshold_is_exact_for_short_fields_and_0_8_for_long_ones():
    assert threshold(5) == threshold(8) == 1.0 and threshold(32) == threshold(100) == 0.8
    assert threshold(20) == 0.9


def test_copies_in_any_format_embedded_or_in_a_chat_are_found_with_their_item():
    texts = ["A row about tokenizers and nothing else.",
             QUESTIONS[0].upper().replace(" ", "\n").replace(",", " ;"),
             "user: help me with my homework please " + QUESTIONS[1] + " assistant: sure, here it is",
             "Q: " + QUESTIONS[2].translate(str.maketrans("0123456789", "０１２３４５６７８９"))]
    assert _flagged(texts) == {1: ("ev0", "question", "overlap"), 2: ("ev1", "question", "overlap"),
                               3: ("ev2", "question", "overlap")}


def test_a_worked_solution_without_its_question_is_contamination():
    solution = SOLUTIONS[3].split("####")[0].replace("<<3*2=6>>", "").replace("<<6*2=12>>", "")
    assert _flagged(["Step by step: " + solution]) == {0: ("ev3", "answer", "overlap")}


def test_a_same_number_paraphrase_is_found_and_other_numbers_are_not():
    paraphrase = "In April Natalia sold clips to 48 friends; in May she sold half as many. Total clips over both?"
    other_numbers = "In April Natalia sold clips to 36 friends; in May she sold half as many. Total clips over both?"
    assert _flagged([paraphrase, other_numbers]) == {0: ("ev0", "question", "paraphrase")}


def test_the_final_answer_with_the_items_numbers_is_a_leak_only_when_they_pin_it_down():
    farm = Item(id="farm", prompt="A farmer plants 12 rows of trees with 24 trees in each row. A storm knocks down "
                "31 trees. How many trees are still standing?", answer="257")
    leak = "Rows: 12. Per row: 24. Lost: 31. Standing: 257."  # no words of the question, all its numbers + answer
    natalia = "48 and 72 again."  # one question number and the answer: too little to be Natalia's problem
    assert _flagged([leak, natalia], _items() + [farm]) == {0: ("farm", "answer", "answer+numbers")}


def test_stock_sentences_shared_by_many_test_items_are_not_a_match():
    stock = "How many pages does he write a year? How much did she earn? How many clips are there?"
    template = "Read the passage and answer the question that follows it carefully. "
    items = [Item(id=f"t{i}", prompt=template + f"Item {i} asks about topic {'abcdefghij'[i]} in depth today.",
                  answer="x") for i in range(10)]
    assert _flagged([stock]) == {}
    assert _flagged([template + "unrelated text"], items) == {}
    embedded = f"Some notes first. {items[7].prompt.upper()} And more notes after it."
    assert _flagged([embedded], items) == {0: ("t7", "question", "overlap")}


def test_a_template_sibling_with_other_numbers_is_kept_and_counted():
    items = [Item(id=f"s{i}", prompt=f"A baker makes {a} trays of muffins with {b} muffins on each tray and sells "
                  f"{c} of them at the fair. How many muffins are left unsold at the end of the day?", answer="0")
             for i, (a, b, c) in enumerate([(12, 24, 31), (17, 36, 45), (23, 14, 52), (31, 22, 19), (14, 18, 77)])]
    sibling = ("A baker makes 40 trays of muffins with 11 muffins on each tray and sells 95 of them at the fair. "
               "How many muffins are left unsold at the end of the day?")
    report = check_contamination([sibling, items[2].prompt], items)
    assert [m.row for m in report.matches] == [1] and report.template_siblings == 1
    assert report.sibling_examples[0].row == 0 and report.sibling_examples[0].rule == "sibling"


def test_short_questions_must_appear_whole():
    items = [RefItem(id="c1", question="What is the capital of Varnosia?"),
             RefItem(id="c2", question="What is the capital of Teluma?")]
    texts = ["what is the capital of varnosia", "What is the capital of Kelora?", "the capital of Varnosia"]
    assert _flagged(texts, items) == {0: ("c1", "question", "overlap")}


def test_rows_never_join_across_boundaries():
    words = QUESTIONS[2].split()
    assert _flagged([" ".join(words[:12]), " ".join(words[12:])]) == {}


def test_synthetic_train_items_are_clean_and_a_planted_short_item_is_caught():
    bench = get_benchmark("caesar")
    evals = bench.eval_items()
    train = [f"{i.prompt}{i.answer}" for i in bench.train_items(3000, teacher_noise=0.5)]
    assert check_contamination(train, evals).contaminated_eval_ids == []
    train[10] = f"Q: {evals[7].prompt} A: {evals[7].answer}"
    report = check_contamination(train, evals)
    assert report.contaminated_eval_ids == [evals[7].id] and report.contaminated_train_rows == [10]


def test_empty_inputs():
    assert check_contamination([], _items()).rate == 0.0
    assert check_contamination(["anything"], []).rate == 0.0


def test_the_benchmark_prompt_instruction_is_not_contamination(own_fixtures):
    import json

    bench = get_benchmark("gsm8k")
    rows = [json.loads(line) for line in (own_fixtures / "evaluation" / "gsm8k_rows.jsonl").read_text().splitlines()]
    evals = [bench.item_from_row(row, i) for i, row in enumerate(rows)]
    train = ["Solve 3+4. Please reason step by step, and put your final answer within \\boxed{}. It is 7."]
    assert check_contamination(train, evals).contaminated_eval_ids == []
    train.append("Q: " + rows[1]["question"].lower() + " A: 6000")
    train.append("Solution: " + rows[0]["answer"].split("####")[0])  # the gold solution alone
    report = check_contamination(train, evals)
    assert [(m.row, m.eval_id, m.field) for m in report.matches] == [(1, "gsm8k-1", "question"),
                                                                       (2, "gsm8k-0", "answer")]


def test_short_questions_have_no_template_siblings():
    """"sort NUM:" is every item's shape and every training row's: counting them all as siblings says nothing
    (and on 100k rows x 1k items would expand to 100M pairs)."""
    items = [RefItem(id=f"s{i}", question=f"sort {d}:", final=d[::-1]) for i, d in enumerate(["50721", "93310"])]
    report = check_contamination(["sort 12345: 54321", "sort 50721: 75210"], items)
    assert report.template_siblings == 0 and [(m.row, m.eval_id) for m in report.matches] == [(1, "s0")]
