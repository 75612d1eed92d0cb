"""Every method trains the real model through LoRA and hands back a merged checkpoint the rest of the loop uses as it
uses full weights: SFT, RFT (sampling from a merged checkpoint, then SFT on it) and GRPO, each a few steps on CPU
through the launcher's Ray path; the decoding check writes beside the merged checkpoint."""

import json
from pathlib import Path

import pytest

from posttrain.tools.data.rft import build_rft_dataset
from posttrain.tools.evaluation import get_benchmark
from posttrain.tools.evaluation.decoding import check_decoding
from posttrain.tools.training import GRPOSpec, LoraSpec, SFTSpec, run_training


def _chat_rows(model: Path, task, n: int) -> Path:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    rows = [json.loads(line) for line in task.train.read_text().splitlines()[:n]]
    out = task.train.parent / f"chat-{n}.jsonl"
    out.write_text("".join(json.dumps({"prompt": tokenizer.apply_chat_template(
        [{"role": "user", "content": r["question"]}], tokenize=False, add_generation_prompt=True),
        "completion": r["answer"], "answer": r["answer"]}) + "\n" for r in rows))
    return out


def _merged(checkpoint: str) -> Path:
    folder = Path(checkpoint)
    assert (folder / "config.json").is_file() and not (folder / "adapter_config.json").exists()
    return folder


@pytest.mark.slow
def test_sft_rft_grpo_with_lora_on_the_real_model(smollm2, parity_task, tmp_path, ray_cluster):
    data = _chat_rows(smollm2, parity_task, 32)
    sft = run_training(SFTSpec(base_model=str(smollm2), dataset=str(data), max_steps=3, batch_size=4,
                               learning_rate=1e-3, max_length=256, lora=LoraSpec()), tmp_path / "sft",
                       project="real-lora", run_name="sft")
    assert sft.status == "succeeded", sft.error
    checkpoint = _merged(sft.checkpoint)

    bench_file = parity_task.eval.parent / "eval-12.jsonl"
    bench_file.write_text("".join(parity_task.eval.read_text().splitlines(keepends=True)[:12]))
    bench = get_benchmark(str(bench_file))
    check = check_decoding(str(checkpoint), bench, tmp_path / "decoding", default_chat=True, backend="transformers")
    assert check.candidates[0].name == "greedy+chat"  # the format it was trained in is the default
    assert (checkpoint / "posttrain_decoding.json").is_file() and (checkpoint / "generation_config.json").is_file()

    from posttrain.tools.evaluation.benchmark import Item

    items = [Item(id=str(i), prompt=json.loads(line)["prompt"], answer=json.loads(line)["answer"])
             for i, line in enumerate(data.read_text().splitlines()[:6])]
    rft = build_rft_dataset(str(checkpoint), items, bench, tmp_path / "rft", samples_per_prompt=2, seed=0)
    assert rft.n_rows >= 0 and Path(rft.path).exists()

    grpo = run_training(GRPOSpec(base_model=str(checkpoint), dataset=str(data), benchmark=str(bench_file),
                                 max_steps=1, num_generations=2, prompts_per_step=2, max_completion_length=8,
                                 learning_rate=1e-5, lora=LoraSpec()), tmp_path / "grpo",
                        project="real-lora", run_name="grpo")
    assert grpo.status == "succeeded", grpo.error
    _merged(grpo.checkpoint)
