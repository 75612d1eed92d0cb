"""A tiny model trained briefly on caesar (plain torch, clean labels), shared by the harness and CLI tests."""

from pathlib import Path

import pytest


def train_caesar(base: Path, out: Path, steps: int = 40, seed: int = 0, lr: float = 5e-3) -> Path:
    """Fine-tune the tiny char model on caesar train items (loss on the answer only) and save it to ``out``."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from posttrain.tools.evaluation import get_benchmark

    torch.manual_seed(seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model on a shared 2-core box: two threads oversubscribe and run 10x slower
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base)
    items = get_benchmark("caesar").train_items(4000, seed=seed)
    rows = []
    for item in items:
        prompt = tokenizer(item.prompt, add_special_tokens=False)["input_ids"]
        answer = tokenizer(item.answer, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        rows.append((prompt + answer, [-100] * len(prompt) + answer))
    inputs = torch.tensor([r[0] for r in rows])  # every caesar row has the same length
    labels = torch.tensor([r[1] for r in rows])
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        batch = torch.randint(0, len(rows), (64,))
        loss = model(input_ids=inputs[batch], labels=labels[batch]).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    torch.set_num_threads(threads)
    model.eval()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def trained_caesar_path(tiny_model_path, tmp_path_factory) -> Path:
    return train_caesar(tiny_model_path, tmp_path_factory.mktemp("caesar") / "model")
