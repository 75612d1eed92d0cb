"""Shared set-up for the throughput benches: a random-init Qwen3 (335M or tiny), a word-level tokenizer, documents.

Nothing is downloaded: the tokenizer is a WordLevel vocabulary of made-up words, documents draw Zipf-distributed
words with lengths uniform in [min_len, max_len] tokens::

    model_dir = build_bench_model(Path("/tmp/bench/model"), size="335m")
    docs = make_documents(1200, 64, 1024, vocab=32768, seed=0)

`run_variants_isolated` runs each variant in its own process; `write_record` writes the JSON record a run leaves
in bench/results/ (card, versions, date, command, figures).
"""

import os
import random
from pathlib import Path


SIZES = {
    # hidden, layers, heads, kv heads, intermediate, vocab
    "335m": (1024, 24, 16, 8, 3072, 32768),
    "tiny": (128, 2, 4, 2, 512, 2048),
}


def word(i: int) -> str:
    return f"w{i}"


def build_bench_model(out: Path, size: str) -> Path:
    """Save a random-init Qwen3 of the given size with a WordLevel tokenizer; reused when already there."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen3Config, Qwen3ForCausalLM

    if (out / "config.json").exists():
        return out
    hidden, layers, heads, kv, inter, vocab_size = SIZES[size]
    specials = ["<pad>", "<unk>", "<bos>", "<eos>"]
    vocab = {t: i for i, t in enumerate(specials + [word(i) for i in range(vocab_size - len(specials))])}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<bos>", eos_token="<eos>",
                                        pad_token="<pad>", unk_token="<unk>", model_max_length=4096)
    config = Qwen3Config(vocab_size=vocab_size, hidden_size=hidden, intermediate_size=inter, num_hidden_layers=layers,
                         num_attention_heads=heads, num_key_value_heads=kv, head_dim=hidden // heads,
                         max_position_embeddings=4096, tie_word_embeddings=True, bos_token_id=2, eos_token_id=3,
                         pad_token_id=0)
    torch.manual_seed(0)
    model = Qwen3ForCausalLM(config)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def make_documents(n: int, min_len: int, max_len: int, vocab: int, seed: int = 0) -> list[str]:
    """`n` documents of made-up words, lengths uniform in [min_len, max_len] tokens (Zipf word frequencies)."""
    rng = random.Random(seed)
    weights = [1.0 / (rank + 1) for rank in range(vocab - 4)]
    docs = []
    for _ in range(n):
        length = rng.randint(min_len, max_len)
        docs.append(" ".join(word(i) for i in rng.choices(range(vocab - 4), weights=weights, k=length)))
    return docs


def environment() -> dict:
    """Card, versions and date of this measurement, for the record beside its figures."""
    import datetime
    import importlib.metadata as md
    import platform

    import torch

    versions = {}
    for name in ("torch", "transformers", "trl", "accelerate", "peft", "liger-kernel", "vllm", "flash-attn", "ray"):
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            versions[name] = None
    cuda = torch.cuda.is_available()
    return {"date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "python": platform.python_version(),
            "card": torch.cuda.get_device_name() if cuda else f"cpu ({os.cpu_count()} cores)",
            "gpus": torch.cuda.device_count() if cuda else 0, "versions": versions}


def write_record(out: Path, bench: str, rows: list[dict], **extra) -> dict:
    """One JSON file per run: what ran (command), where (card, versions, date) and every figure (rows)."""
    import json
    import shlex
    import sys

    argv = [f"bench/{Path(sys.argv[0]).name}", *sys.argv[1:]]
    record = {"bench": bench, "command": "python " + " ".join(shlex.quote(a) for a in argv), **environment(),
              **extra, "rows": rows}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1))
    return record


def run_variants_isolated(script: str, argv: list[str], variants: list[str], timeout_s: float,
                          out: Path | None, bench: str = "") -> list[dict]:
    """Run each variant as `script ... --one VARIANT` in its own process, so a crash (e.g. torch.compile) or an
    exhausted GPU in one variant cannot take the others down. Prints one JSON row per variant; with `out`, writes
    the whole run as one JSON record (`write_record`) after each variant, so a timeout keeps the rows so far."""
    import json
    import subprocess
    import sys
    import time

    rows = []
    for variant in variants:
        start = time.monotonic()
        try:
            proc = subprocess.run([sys.executable, script, *argv, "--one", variant], capture_output=True,
                                  text=True, timeout=timeout_s, env={**os.environ, "PYTHONUNBUFFERED": "1"})
            lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
            row = json.loads(lines[-1][7:]) if lines else {
                "variant": variant, "error": (proc.stderr.strip().splitlines() or ["no output"])[-1][:300],
                "stderr_tail": proc.stderr[-1500:]}
        except subprocess.TimeoutExpired:
            row = {"variant": variant, "error": f"timed out after {timeout_s}s"}
        row["wall_s"] = round(time.monotonic() - start, 1)
        print(json.dumps(row), flush=True)  # noqa: T201 - bench output
        rows.append(row)
        if out:
            write_record(out, bench or Path(script).stem, rows)
    return rows
