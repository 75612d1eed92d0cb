"""Duplicate detection and the quality numbers of a sample."""

from posttrain.tools.data.dedupe import find_duplicates, jaccard, shingles
from posttrain.tools.data.quality import answer_format, quality_report


LONG = "the quick brown fox jumps over the lazy dog while the farmer watches from the old wooden barn door"


def test_exact_after_normalisation_and_near_duplicates():
    texts = [LONG, LONG.upper() + "!!", LONG + " today", "an unrelated sentence about arithmetic", "12+34=", "12+35="]
    found = find_duplicates(texts)
    assert found.exact == [1]
    assert jaccard(shingles(texts[0]), shingles(texts[2])) >= 0.85 and found.near == [2]
    assert find_duplicates(texts, near=False).near == []
    assert find_duplicates(texts, threshold=0.99).near == []  # the edit is below a 0.99 similarity


def test_short_texts_sharing_a_template_are_not_near_duplicates():
    texts = [f"{a}+{b}=" for a in range(30) for b in range(30)]
    found = find_duplicates(texts)
    assert found.exact == [] and found.near == []


def test_quality_numbers(tiny_model_path):
    from transformers import AutoTokenizer

    rows = [
        {"q": "What is 2+2?", "a": "4"},
        {"q": "what is 2 + 2 ?", "a": "4"},
        {"q": "", "a": "5"},
        {"q": "Name a colour", "a": "blue"},
        {"q": "Pick one", "a": "(B)"},
        {"q": ["not", "text"], "a": "7"},
        {"q": "Long one", "a": "step one\n#### 12"},
    ]
    report = quality_report(
        rows, {"prompt": "q", "answer": "a"}, tokenizer=AutoTokenizer.from_pretrained(tiny_model_path)
    )
    assert (report.n_rows, report.empty_rows, report.malformed_rows, report.exact_duplicates) == (7, 1, 1, 1)
    assert report.answer_formats["integer"] == round(4 / 7, 4)  # 4, 4, 5, 7
    assert report.answer_formats["choice_letter"] == round(1 / 7, 4)
    assert report.answer_formats["gsm8k_hash"] == round(1 / 7, 4)
    assert report.answer_consistency == round(4 / 7, 4)
    assert report.token_lengths["answer"].unit == "tokens" and report.token_lengths["answer"].max == len(
        "step one\n#### 12"
    )


def test_answer_formats():
    assert [answer_format(x) for x in ["-3", "2.5", "3/4", "C", "x \\boxed{2}", "short words", "w " * 50]] == [
        "integer",
        "decimal",
        "fraction",
        "choice_letter",
        "boxed",
        "short_text",
        "long_text",
    ]
