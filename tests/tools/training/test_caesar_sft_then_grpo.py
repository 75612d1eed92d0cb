"""CI-sized demo: SFT on a noisy Caesar teacher, then GRPO with exact match fixes what SFT learnt wrong."""

import json

import pytest

from posttrain.tools.training import GRPOSpec, RewardSpec, SFTSpec


@pytest.mark.slow
def test_grpo_repairs_the_noisy_teacher(tiny_model_path, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from posttrain.tools.evaluation import get_benchmark
    from posttrain.tools.training.callbacks import greedy_accuracy
    from posttrain.tools.training.grpo import train_grpo
    from posttrain.tools.training.sft import train_sft

    bench = get_benchmark("caesar")
    sft_rows = tmp_path / "sft.jsonl"
    sft_rows.write_text("".join(json.dumps({"prompt": i.prompt, "completion": i.answer}) + "\n"
                                for i in bench.train_items(3000, seed=0, teacher_noise=0.7)))
    rl_rows = tmp_path / "rl.jsonl"
    rl_rows.write_text("".join(json.dumps({"prompt": i.prompt, "answer": i.answer}) + "\n"
                               for i in bench.train_items(1000, seed=1000)))
    sft = train_sft(SFTSpec(base_model=str(tiny_model_path), dataset=str(sft_rows), max_steps=100, max_length=32,
                            logging_steps=20), tmp_path / "sft", project="t-caesar", run_name="sft", use_gpu=False)
    grpo = train_grpo(GRPOSpec(base_model=sft.checkpoint, dataset=str(rl_rows), rewards=[RewardSpec(
                      name="exact_match")], max_steps=40, learning_rate=1e-3, max_completion_length=6,
                      logging_steps=10), tmp_path / "grpo", project="t-caesar", run_name="grpo", use_gpu=False)

    def accuracy(path: str) -> float:
        return greedy_accuracy(AutoModelForCausalLM.from_pretrained(path), AutoTokenizer.from_pretrained(path),
                               bench, bench.eval_items())

    acc_sft, acc_grpo = accuracy(sft.checkpoint), accuracy(grpo.checkpoint)
    assert 0.1 < acc_sft < 0.6  # SFT learns the teacher's bug: only vowel-free words come out right
    assert acc_grpo >= acc_sft + 0.15, (acc_sft, acc_grpo)
