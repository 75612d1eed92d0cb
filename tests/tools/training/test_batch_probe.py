"""The batch probe's search and cache, driven by a "does n rows fit?" predicate (the boundary the GPU answers), and
the one training step it times, run for real on the tiny model on CPU."""

import json

from posttrain.tools.training.batch_probe import cached_largest_fitting, largest_fitting, probe_key, training_step


def test_halving_finds_the_largest_power_of_two_step_that_fits():
    tried = []

    def fits(n):
        tried.append(n)
        return n <= 12

    assert largest_fitting(fits, start=64) == 8 and tried == [64, 32, 16, 8]
    assert largest_fitting(lambda n: True, start=24) == 24
    assert largest_fitting(lambda n: False, start=8) == 0


def test_answers_are_cached_per_model_card_length_and_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTTRAIN_CACHE", str(tmp_path / "cache"))
    calls = []

    def fits(n):
        calls.append(n)
        return n <= 20

    key = probe_key(str(tmp_path), "NVIDIA H100 80GB HBM3", 2048, {"lora": False, "liger": True})
    assert cached_largest_fitting(key, fits, 64) == (16, False) and calls == [64, 32, 16]
    assert cached_largest_fitting(key, fits, 64) == (16, True) and len(calls) == 3  # memory-bound: no new try
    assert cached_largest_fitting(key, fits, 8) == (8, True)  # a smaller start is answered from the cache
    stored = json.loads((tmp_path / "cache" / "batch_sizes.json").read_text())
    assert stored[key]["micro_batch"] == 16 and stored[key]["start"] == 64
    other = probe_key(str(tmp_path), "NVIDIA H100 80GB HBM3", 4096, {"lora": False, "liger": True})
    assert other != key and cached_largest_fitting(other, lambda n: n <= 5, 64) == (4, False)
    bound_by_start = probe_key("m", "card", 512, {})
    assert cached_largest_fitting(bound_by_start, lambda n: True, 4) == (4, False)
    assert cached_largest_fitting(bound_by_start, lambda n: True, 16) == (16, False)  # a bigger start re-probes
    (tmp_path / "cache" / "batch_sizes.json").write_text('{"half-writ')  # a killed writer: start over
    assert cached_largest_fitting(key, fits, 64) == (16, False)


def test_probe_step_trains_through_trls_fused_head(tiny_model_path):
    import torch
    from transformers import AutoModelForCausalLM
    from trl.trainer.utils import add_fused_lm_head

    model = AutoModelForCausalLM.from_pretrained(tiny_model_path).train()
    add_fused_lm_head(model)
    loss = training_step(model, rows=2, row_tokens=16, vocab=model.config.vocab_size, device="cpu")
    assert loss > 0 and all(p.grad is not None for p in model.parameters() if p.requires_grad)
    assert torch.isfinite(model.lm_head.weight.grad).all()
