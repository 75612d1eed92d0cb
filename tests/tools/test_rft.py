"""Rejection-sampling fine-tuning data from the tiny model after a short SFT: only verified rows are kept."""

import json
from pathlib import Path

import pytest

from posttrain.tools.data.rft import build_rft_dataset, items_from_dataset
from posttrain.tools.errors import ConfigError, ToolError
from posttrain.tools.evaluation import get_benchmark


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "training"


@pytest.fixture(scope="module")
def briefly_trained(tiny_model_path, tmp_path_factory) -> str:
    """40 SFT steps (TRL, in-process) on 256 clean Caesar rows: right on some samples, not all (~40% measured)."""
    from posttrain.tools.training import SFTSpec
    from posttrain.tools.training.sft import train_sft

    out = tmp_path_factory.mktemp("rft-sft")
    spec = SFTSpec(base_model=str(tiny_model_path), dataset=str(FIXTURES / "sft_caesar.jsonl"), max_steps=40,
                   max_length=32, logging_steps=10)
    return train_sft(spec, out, project="t-rft", run_name="sft", use_gpu=False).checkpoint


def test_rft_keeps_only_verified_samples(briefly_trained, tmp_path):
    import pyarrow.parquet as pq

    items = items_from_dataset(FIXTURES / "grpo_caesar.jsonl")  # 64 prompts with gold answers, unseen in SFT
    artifact = build_rft_dataset(briefly_trained, items, "caesar", tmp_path / "rft", samples_per_prompt=4,
                                 keep_per_prompt=2)
    counts, facts = artifact.counts, artifact.generation
    assert counts["prompts"] == 64 and counts["samples"] == 256
    assert 0 < counts["accepted"] < counts["samples"]  # the verifier rejected some samples and accepted others
    assert facts["acceptance_rate"] == pytest.approx(counts["accepted"] / 256, abs=1e-4)
    assert 0 < facts["prompts_solved"] < 1 and facts["backend"] == "transformers" and facts["k"] == 4
    rows = pq.read_table(artifact.path).to_pylist()
    assert len(rows) == artifact.n_rows == counts["kept"] == counts["after_decontam"]
    gold = {item.prompt: item for item in items}
    bench = get_benchmark("caesar")
    assert all(bench.score(row["completion"], gold[row["prompt"]]).correct for row in rows)  # every row verified
    per_prompt = [sum(row["prompt"] == p for row in rows) for p in gold]
    assert max(per_prompt) <= 2 and sum(count > 0 for count in per_prompt) == round(facts["prompts_solved"] * 64)
    assert artifact.format == "sft" and artifact.columns == ["prompt", "completion"] and artifact.label_accuracy == 1
    assert artifact.sources == [f"rft:{briefly_trained}@k=4,temperature=1.0,seed=0"]
    assert Path(artifact.card_path).is_file()


def test_model_that_solves_nothing_is_a_tool_error(tiny_model_path, tmp_path):
    items = get_benchmark("caesar").train_items(16, seed=0)
    with pytest.raises(ToolError, match="solves none of the 16 prompts.*SFT first.*raise temperature"):
        build_rft_dataset(str(tiny_model_path), items, "caesar", tmp_path / "rft", samples_per_prompt=2)
    assert not (tmp_path / "rft").exists()


def test_items_from_dataset_needs_the_gold_answer(tmp_path):
    items = items_from_dataset(FIXTURES / "grpo_caesar.jsonl")
    assert len(items) == 64 and items[0].prompt == "tzuca>" and items[0].answer == "uavdb"
    with pytest.raises(ConfigError, match="lacks column.*answer.*fmt='grpo'"):
        items_from_dataset(FIXTURES / "sft_caesar.jsonl")
    empty = tmp_path / "bad.jsonl"
    empty.write_text(json.dumps({"prompt": "a", "answer": "b"}) + "\n")
    assert items_from_dataset(empty)[0].id == "row-0"
    with pytest.raises(ConfigError, match="samples_per_prompt"):
        build_rft_dataset("m", items, "caesar", tmp_path, samples_per_prompt=0)
