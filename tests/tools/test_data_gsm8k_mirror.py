"""gsm8k's own train split, read through the real ``datasets.load_dataset`` path from a local Hub-layout mirror
(``POSTTRAIN_DATASETS_MIRROR``): SFT rows with the gold answer extracted and the completion reformatted, the
decontamination gate against the test split, GRPO rows with gold answers, and discovery picking the split."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from posttrain.tools.data import build_dataset, compose_build_spec, find_sources
from posttrain.tools.data.spec import BuildSpec
from posttrain.tools.evaluation import get_benchmark


README = """---
configs:
- config_name: main
  data_files:
  - split: train
    path: main/train-*.parquet
  - split: test
    path: main/test-*.parquet
---
# gsm8k (test mirror)
"""
TRAIN = [
    (
        "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
        "How many clips did Natalia sell altogether in April and May?",
        "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in "
        "April and May.\n#### 72",
    ),
    (
        "Weng earns $12 an hour for babysitting. Yesterday, she just did 50 minutes of babysitting. How much did "
        "she earn?",
        "Weng earns 12/60 = $<<12/60=0.2>>0.2 per minute.\nWorking 50 minutes, she earned 0.2 x 50 = "
        "$<<0.2*50=10>>10.\n#### 10",
    ),
    (
        "Betty is saving money for a new wallet which costs $100. Betty has only half of the money she needs. How "
        "much more money does Betty need?",
        "In the beginning, Betty has only 100 / 2 = $<<100/2=50>>50.\nBetty needs 100 - 50 = $<<100-50=50>>50 more."
        "\n#### 50",
    ),
    (
        "James writes a 3-page letter to 2 different friends twice a week. How many pages does he write a year?",
        "He writes each friend 3*2=<<3*2=6>>6 pages a week.\nSo he writes 6*2=<<6*2=12>>12 pages every week.\n"
        "That means he writes 12*52=<<12*52=624>>624 pages a year.\n#### 624",
    ),
]
TEST = [
    (
        "Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for her "
        "friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh duck "
        "egg. How much in dollars does she make every day at the farmers' market?",
        "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18 every day.\n#### 18",
    ),
    (
        "A robe takes 2 bolts of blue fiber and half that much white fiber. How many bolts in total does it take?",
        "It takes 2/2=<<2/2=1>>1 bolt of white fiber\nSo the total amount of fabric is 2+1=<<2+1=3>>3 bolts\n#### 3",
    ),
]


def _write(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist([{"question": q, "answer": a} for q, a in rows])
    pq.write_table(table, path)


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """openai/gsm8k laid out as on the Hub, with one test question planted in the train split."""
    repo = tmp_path / "mirror" / "openai" / "gsm8k"
    _write(repo / "main" / "train-00000-of-00001.parquet", [*TRAIN, TEST[0]])
    _write(repo / "main" / "test-00000-of-00001.parquet", TEST)
    (repo / "README.md").write_text(README)
    monkeypatch.setenv("POSTTRAIN_DATASETS_MIRROR", str(tmp_path / "mirror"))
    return repo


def test_train_split_builds_sft_rows_ending_as_the_benchmark_asks(mirror, tmp_path):
    bench = get_benchmark("gsm8k")
    assert len(bench.train_rows()) == 5 and len(bench.eval_items()) == 2  # train and test read apart
    source = bench.train_source("sft")
    assert (source.hub, source.config, source.split, source.answer_extract) == (
        "openai/gsm8k",
        "main",
        "train",
        "gsm8k",
    )
    spec = BuildSpec(
        name="gsm8k-sft", format="sft", sources=[source], label_check="gsm8k", decontaminate_against=["gsm8k"]
    )
    artifact = build_dataset(spec, tmp_path / "out")

    rows = pq.read_table(artifact.path).to_pylist()
    assert artifact.counts["source:openai/gsm8k"] == 5 and artifact.counts["after_label_check"] == 5
    assert artifact.counts["after_decontam"] == 4 and artifact.contamination.dropped == 1  # the planted question
    assert not any(TEST[0][0] in r["prompt"] for r in rows)
    natalia = next(r for r in rows if r["prompt"].startswith("Natalia"))
    assert natalia["answer"] == "72" and "<<" not in natalia["completion"] and "####" not in natalia["completion"]
    assert natalia["completion"].endswith("April and May.\nThe final answer is \\boxed{72}.")
    assert artifact.label_check.accuracy == 1.0 and artifact.label_check.checked == 5
    assert any("The final answer is \\boxed{N}" in step for step in artifact.transformations)
    assert "prompt←question, completion←answer (gold answer: the number after ####" in artifact.describe()
    assert "openai/gsm8k@mirror:" in artifact.sources[0]


def test_grpo_rows_carry_the_gold_answers(mirror, tmp_path):
    source = get_benchmark("gsm8k").train_source("grpo")
    spec = BuildSpec(name="gsm8k-grpo", format="grpo", sources=[source], decontaminate_against=["gsm8k"])
    artifact = build_dataset(spec, tmp_path / "out")
    rows = pq.read_table(artifact.path).to_pylist()
    assert artifact.columns == ["prompt", "answer"] and sorted(r["answer"] for r in rows) == ["10", "50", "624", "72"]
    assert artifact.contamination.dropped == 1 and artifact.label_check is None


def test_discovery_picks_the_train_split_and_composes_the_build(mirror, tmp_path):
    found = find_sources("gsm8k", fmt="sft", hub_search=False)
    kinds = [(c.kind, c.usable) for c in found.candidates]
    assert kinds == [("benchmark_train", True), ("generator", False)] and found.blocked_reason is None
    assert "5 rows" in found.candidates[0].evidence and "eval split test never used" in found.candidates[0].label
    spec = compose_build_spec(found, fmt="sft", n_rows=3, benchmark_spec="gsm8k", seed=0, tokenizer=None)
    assert spec.total == 3 and spec.label_check == "gsm8k" and spec.decontaminate_against == ["gsm8k"]
    artifact = build_dataset(spec, tmp_path / "out")
    assert artifact.counts["after_mix"] == 3 and artifact.n_rows == 3 - artifact.contamination.dropped


def test_a_benchmark_without_a_train_split_says_so():
    from posttrain.tools.errors import ToolError

    bench = get_benchmark("aime2025")  # its only split is the eval split
    assert bench.train_source() is None
    with pytest.raises(ToolError, match="--train-data"):
        bench.train_rows()
