"""The identity audit's evidence beyond weight statistics, each signal with its planted case: tiny models built
here, an "instruct sibling" being a differently trained copy of the base saved under a Hub-cache layout."""

import json
import shutil
from pathlib import Path

import pytest

from posttrain.orchestrator.ptb.audit_model import check_identity
from posttrain.orchestrator.ptb.audit_origin import instruct_siblings, origin_signals
from posttrain.orchestrator.ptb.package import package_model


def _perturbed(src: Path, dst: Path, scale: float, seed: int) -> Path:
    """A copy of `src` whose every matrix moved by `scale` x its std (a stand-in for a training run)."""
    import torch
    from safetensors.torch import load_file, save_file

    shutil.copytree(src, dst)
    generator = torch.Generator().manual_seed(seed)
    for file in dst.glob("*.safetensors"):
        tensors = load_file(file)
        moved = {k: (v + scale * v.float().std() * torch.randn(v.shape, generator=generator)).to(v.dtype)
                 if v.ndim >= 2 else v for k, v in tensors.items()}
        save_file(moved, file, metadata={"format": "pt"})
    return dst


@pytest.fixture
def hub(tmp_path, tiny_model_path, monkeypatch):
    """HF_HUB_CACHE holding the base as test-org/tiny-Base and its instruct sibling test-org/tiny."""
    cache = tmp_path / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    base = shutil.copytree(tiny_model_path, cache / "models--test-org--tiny-Base" / "snapshots" / "a1")
    sibling = _perturbed(base, cache / "models--test-org--tiny" / "snapshots" / "b2", scale=0.6, seed=1)
    (sibling / "chat_template.jinja").write_text("{% for m in messages %}<|im_start|>{{ m.content }}{% endfor %}")
    generation = json.loads((sibling / "generation_config.json").read_text())
    (sibling / "generation_config.json").write_text(json.dumps({**generation, "do_sample": True,
                                                                "temperature": 0.7, "top_p": 0.8}))
    return base, sibling


def _failed(signals: list[dict]) -> dict[str, str]:
    return {s["signal"]: s["evidence"] for s in signals if s["severity"] == "fail"}


def test_siblings_of_the_real_bases():
    assert "Qwen/Qwen3-1.7B" in instruct_siblings("Qwen/Qwen3-1.7B-Base")
    assert instruct_siblings("google/gemma-3-4b-pt") == ["google/gemma-3-4b-it"]
    assert "HuggingFaceTB/SmolLM3-3B" in instruct_siblings("HuggingFaceTB/SmolLM3-3B-Base")


def test_our_own_fine_tune_packaged_passes_every_signal(tmp_path, hub):
    base, _ = hub
    tuned = _perturbed(base, tmp_path / "tuned", scale=0.6, seed=2)
    final = package_model(tuned, tmp_path / "final_model", base=base)
    assert _failed(origin_signals(final, base)) == {}
    check = check_identity(final, base)
    assert check.status == "pass", check.summary


def test_instruct_weights_closer_to_the_cached_sibling_fail(tmp_path, hub):
    base, sibling = hub
    lightly_tuned = _perturbed(sibling, tmp_path / "from-instruct", scale=0.05, seed=3)
    for name in ("chat_template.jinja", "generation_config.json"):  # files made to look like ours
        shutil.copyfile(base / name, lightly_tuned / name)
    check = check_identity(lightly_tuned, base)
    assert check.status == "fail" and "closer to the instruct checkpoint" in check.summary
    assert "test-org/tiny" in check.summary


def test_config_name_card_and_metadata_naming_the_instruct_repo_fail(tmp_path, hub):
    from safetensors.torch import load_file, save_file

    base, _ = hub
    named = shutil.copytree(base, tmp_path / "named")
    config = json.loads((named / "config.json").read_text())
    (named / "config.json").write_text(json.dumps({**config, "_name_or_path": "test-org/tiny"}))
    (named / "README.md").write_text("---\nbase_model: test-org/tiny\n---\n# my model\n")
    file = next(named.glob("*.safetensors"))
    save_file(load_file(file), file, metadata={"format": "pt", "source": "test-org/tiny-Instruct"})
    failed = _failed(origin_signals(named, base))
    assert set(failed) == {"config _name_or_path", "model card", "safetensors metadata"}, failed
    clean = shutil.copytree(base, tmp_path / "clean")
    local = {**config, "_name_or_path": str(tmp_path / "run" / "artifacts" / "1" / "train-sft" / "checkpoint")}
    (clean / "config.json").write_text(json.dumps(local))  # a local path of our own names nothing
    assert _failed(origin_signals(clean, base)) == {}


def test_tokenizer_and_generation_config_of_another_origin(tmp_path, hub, tiny_model_path):
    base, sibling = hub
    other = shutil.copytree(base, tmp_path / "other")
    (other / "chat_template.jinja").write_text("{{ messages[0].content }}<|assistant|>")
    tokenizer = json.loads((other / "tokenizer_config.json").read_text())
    (other / "tokenizer_config.json").write_text(json.dumps({**tokenizer, "eos_token": "<|im_end|>"}))
    generation = json.loads((other / "generation_config.json").read_text())
    (other / "generation_config.json").write_text(json.dumps({**generation, "temperature": 0.6, "top_k": 20}))
    warned = {s["signal"]: s for s in origin_signals(other, base)}
    assert warned["chat template"]["severity"] == "warn" and "differs from the base's" in \
        warned["chat template"]["evidence"]
    assert warned["special tokens"]["severity"] == "warn" and "eos_token" in warned["special tokens"]["evidence"]
    assert warned["generation_config.json"]["severity"] == "warn"
    assert check_identity(other, base).status == "warn"
    # the same files as the cached instruct sibling's: evidence enough to fail
    for name in ("chat_template.jinja", "generation_config.json"):
        shutil.copyfile(sibling / name, other / name)
    failed = _failed(origin_signals(other, base))
    assert {"chat template", "generation_config.json"} <= set(failed)
    # the Evaluator's decoding check explains a generation config of our own
    ours = shutil.copytree(base, tmp_path / "ours")
    (ours / "generation_config.json").write_text(json.dumps({**generation, "temperature": 0.6, "do_sample": True}))
    (ours / "posttrain_decoding.json").write_text("{}")
    assert "generation_config.json" not in {s["signal"] for s in origin_signals(ours, base)}
