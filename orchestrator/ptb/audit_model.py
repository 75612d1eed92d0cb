"""Model audit: `final_model` is the base model post-trained (same architecture, sizes, vocabulary; weights that
descend from the base's), and it loads and generates with its own `generation_config.json`.

Layer-wise statistics, per weight matrix: the relative change ||W - W0|| / ||W0|| and the cosine between W and W0.
Training moves weights but keeps them correlated with where they started (fine-tuning: cosine near 1; even a
tiny model trained from a random init for minutes keeps about 0.6); another model of the same shape (another
random init, an unrelated checkpoint) has cosine near 0 in every matrix. An official instruct checkpoint of the
same base does descend from it, so statistics alone cannot tell it from heavy fine-tuning: audit_origin.py adds
the evidence an instruct download carries (names, tokenizer, generation config, a cached instruct sibling).
"""

import json
from pathlib import Path
from typing import Any

from posttrain.orchestrator.ptb.checks import Check
from posttrain.orchestrator.ptb.weights import weight_stats


SHAPE_KEYS = ("model_type", "architectures", "hidden_size", "num_hidden_layers", "num_attention_heads",
              "num_key_value_heads", "intermediate_size", "vocab_size", "head_dim")
UNRELATED_SHARE = 0.5  # more than this share of unrelated matrices: another model
LARGE_CHANGE = 2.0  # median relative change above this: the weights were mostly replaced


def _shape(config: dict, prefix: str = "") -> dict[str, Any]:
    found = {prefix + k: config[k] for k in SHAPE_KEYS if k in config}
    for key in ("text_config", "llm_config"):
        if isinstance(config.get(key), dict):
            found |= _shape(config[key], f"{key}.")
    return found


def check_identity(final: Path, base: Path, base_id: str | None = None) -> Check:
    """Same config as the base, weights descended from it, and no sign of an official instruct checkpoint
    (audit_origin: names, tokenizer, generation config, a cached instruct sibling's weights)."""
    name = "model_identity"
    if not (final / "config.json").is_file():
        return Check(name=name, status="fail", summary=f"{final} has no config.json",
                     fix="package a model into it (posttrain ptb does this after every gain)")
    mine = _shape(json.loads((final / "config.json").read_text()))
    theirs = _shape(json.loads((base / "config.json").read_text()))
    differ = {k: (theirs.get(k), mine.get(k)) for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k)}
    if differ:
        shown = "; ".join(f"{k}: base {a} vs final {b}" for k, (a, b) in sorted(differ.items())[:4])
        return Check(name=name, status="fail", summary=f"config differs from the base model: {shown}",
                     details={"differences": {k: list(v) for k, v in differ.items()}},
                     fix="hand in a checkpoint trained from the base model (same architecture and vocabulary)")
    stats = weight_stats(final, base)
    details = {"config": mine, **stats, "limit": "an instruct checkpoint of the same base also descends from it; "
               "statistics alone cannot tell it from heavy fine-tuning (the origin signals can)"}
    if stats["missing"] or stats["extra"] or stats["reshaped"]:
        return Check(name=name, status="fail", details=details,
                     summary=f"tensors differ from the base: missing {stats['missing'][:3]}, extra "
                             f"{stats['extra'][:3]}, reshaped {stats['reshaped'][:3]}",
                     fix="hand in a checkpoint saved from the base model's architecture (merge LoRA adapters)")
    if stats["unrelated_share"] > UNRELATED_SHARE:
        return Check(name=name, status="fail", details=details,
                     summary=f"{stats['unrelated_share']:.0%} of weight matrices are uncorrelated with the base "
                             f"(median cosine {stats['median_cosine']:.2f}): another model of the same shape",
                     fix="hand in a model fine-tuned from the base model only")
    summary = (f"same config; {stats['matrices']} matrices keep cosine {stats['median_cosine']:.2f} (median) to the "
               f"base, relative change {stats['median_relative_change']:.3f}")
    from posttrain.orchestrator.ptb.audit_origin import origin_signals

    signals = origin_signals(final, base, base_id)
    details["origin_signals"] = signals
    failed = [s for s in signals if s["severity"] == "fail"]
    if failed:
        return Check(name=name, status="fail", details=details,
                     summary="final_model looks like an official instruct checkpoint: "
                             + "; ".join(f"{s['signal']}: {s['evidence']}" for s in failed[:2]),
                     fix="hand in a model post-trained from the base model only (posttrain ptb hands in the base "
                         "or its own checkpoints)")
    warned = [s for s in signals if s["severity"] == "warn"]
    if warned:
        return Check(name=name, status="warn", details=details,
                     summary=summary + "; " + "; ".join(f"{s['signal']}: {s['evidence']}" for s in warned[:2]),
                     fix="check where those files came from: posttrain writes the base's tokenizer files and the "
                         "decoding check's generation_config.json")
    if stats["median_relative_change"] > LARGE_CHANGE:
        return Check(name=name, status="warn", summary=summary + " (weights mostly replaced)", details=details,
                     fix="check the training: such a change is unusual for post-training")
    return Check(name=name, status="pass", summary=summary, details=details)


def check_packaging(final: Path, prompts: list[str], base: Path | None = None, *, vllm: bool = True) -> Check:
    """final_model loads with transformers and generates with its generation_config.json (and vLLM on a GPU)."""
    name = "packaging"
    from posttrain.orchestrator.ptb.package import _has_chat_template, check_package

    if not final.is_dir():
        return Check(name=name, status="fail", summary=f"{final} does not exist",
                     fix="run `posttrain ptb` (it packages the base at once and the best checkpoint after each gain)")
    missing = check_package(final)
    if missing:
        return Check(name=name, status="fail", summary=f"{final} lacks {', '.join(missing)}",
                     fix="repackage the best checkpoint (posttrain ptb repackages on a failed audit)")
    try:
        text = _generate(final, prompts[:2] or ["Hello"])
    except Exception as exc:  # noqa: BLE001 - any load or generate failure is the finding
        return Check(name=name, status="fail", summary=f"transformers cannot load or generate: "
                     f"{type(exc).__name__}: {str(exc)[:160]}", fix="repackage from a checkpoint that loads")
    details: dict[str, Any] = {"sample": text[:200], "chat_template": _has_chat_template(final)}
    if base is not None and _has_chat_template(base) and not details["chat_template"]:
        return Check(name=name, status="fail", details=details, summary="the tokenizer lost the base's chat template",
                     fix="copy chat_template.jinja from the base model into final_model")
    details["vllm"] = _vllm_check(final) if vllm else "not asked"
    if details["vllm"].startswith("failed"):
        return Check(name=name, status="fail", details=details, summary=f"vLLM {details['vllm']}",
                     fix="save the model in a vLLM-supported layout (merged weights, standard config)")
    return Check(name=name, status="pass", details=details,
                 summary=f"loads and generates with its generation_config.json (vLLM: {details['vllm']})")


def _generate(final: Path, prompts: list[str]) -> str:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    tokenizer = AutoTokenizer.from_pretrained(final)
    model = AutoModelForCausalLM.from_pretrained(final)
    generation = GenerationConfig.from_pretrained(final)
    generation.max_new_tokens = min(generation.max_new_tokens or 16, 16)
    outputs = []
    with torch.no_grad():
        for prompt in prompts:
            encoded = tokenizer(prompt, return_tensors="pt")
            out = model.generate(**encoded, generation_config=generation)
            if out.shape[1] <= encoded["input_ids"].shape[1]:
                raise RuntimeError(f"generated no token for {prompt[:40]!r}")
            outputs.append(tokenizer.decode(out[0, encoded["input_ids"].shape[1]:], skip_special_tokens=True))
    return " | ".join(outputs)


def _vllm_check(final: Path) -> str:
    """Does final_model load in the installed vLLM? Deliberately not gated by `vllm_support`'s TRL range: the
    harness evaluates with the container's own vLLM (PostTrainBench: 0.11.0, outside TRL 1.16's range), and that
    is the engine the hand-in must load in."""
    import subprocess
    import sys

    import torch

    from posttrain.tools.vllm_support import installed_version

    version = installed_version()
    if not torch.cuda.is_available() or version is None:
        return "not checked (needs a GPU and vllm)"
    code = ("import sys; from vllm import LLM, SamplingParams; llm = LLM(sys.argv[1], gpu_memory_utilization=0.3, "
            "max_model_len=1024); print(llm.generate(['Hello'], SamplingParams(max_tokens=8))[0].outputs[0].text)")
    try:
        done = subprocess.run([sys.executable, "-c", code, str(final)], capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        return "failed: no answer in 15 minutes"
    return f"loads and generates in vLLM {version}" if done.returncode == 0 else f"failed: {done.stderr.strip()[-160:]}"
