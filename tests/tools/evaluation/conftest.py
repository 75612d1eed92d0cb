"""Tiny models fine-tuned briefly with a plain torch loop (loss on the answer only), shared by the eval tests."""

import math
from pathlib import Path

import pytest


def sft_on_benchmark(base: Path, out: Path, spec: str, *, steps: int, lr: float, n_train: int = 3000,
                     batch: int = 64, seed: int = 0) -> Path:
    """Fine-tune the tiny char model on ``spec``'s clean train items (cosine LR) and save it to ``out``."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from posttrain.tools.evaluation import get_benchmark

    torch.manual_seed(seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model on a shared 2-core box: two threads oversubscribe and run 10x slower
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base)
    items = get_benchmark(spec).train_items(n_train, seed=seed)
    length = max(len(item.prompt) + len(item.answer) + 1 for item in items)
    inputs, labels = [], []
    for item in items:
        prompt = tokenizer(item.prompt, add_special_tokens=False)["input_ids"]
        answer = tokenizer(item.answer, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        pad = length - len(prompt) - len(answer)
        inputs.append([tokenizer.pad_token_id] * pad + prompt + answer)  # left padding, as at generation
        labels.append([-100] * (pad + len(prompt)) + answer)
    inputs, labels = torch.tensor(inputs), torch.tensor(labels)
    mask = (inputs != tokenizer.pad_token_id).long()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps)))
    model.train()
    for _ in range(steps):
        rows = torch.randint(0, len(items), (batch,))
        model(input_ids=inputs[rows], attention_mask=mask[rows], labels=labels[rows]).loss.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
    torch.set_num_threads(threads)
    model.eval()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def trained_caesar_path(tiny_model_path, tmp_path_factory) -> Path:
    return sft_on_benchmark(tiny_model_path, tmp_path_factory.mktemp("caesar") / "model", "caesar", steps=40, lr=5e-3)
