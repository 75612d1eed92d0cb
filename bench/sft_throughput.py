"""SFT throughput: TRL `SFTTrainer` defaults vs posttrain's SFT path, in real (non-padding) tokens per second.

Each variant runs in its own subprocess (a crash or OOM in one leaves the others), trains `--steps` steps on
1,200 documents of 64–1,024 tokens and times the steps after `--warmup`. Real tokens are counted by the bench
from the batches themselves (attention_mask or position_ids), not taken from TRL::

    python bench/sft_throughput.py --size tiny --steps 6 --warmup 2          # CPU smoke test
    python bench/sft_throughput.py --size 335m --variants trl_default fast_flex --out results.jsonl   # H100

Variants: trl_default (SFTConfig defaults: batch 8, max_length 1024, padding, gradient checkpointing);
fast_sdpa / fast_flex (posttrain SFTSpec: BFD packing, padding-free rows whose documents do not attend to each
other, Liger kernels when importable, no checkpointing, big batch), fast_flex_compile (+ torch.compile, guarded).
"""

import argparse
import json
import sys
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).parent))
from throughput_setup import SIZES, build_bench_model, make_documents, run_variants_isolated  # noqa: E402


VARIANTS = ["trl_default", "fast_sdpa", "fast_flex", "fast_flex_compile"]


def _trl_default(model_dir, dataset, out, args):
    from trl import SFTConfig

    return SFTConfig(output_dir=str(out), max_steps=args.steps, report_to="none", logging_steps=1,
                     save_strategy="no", disable_tqdm=True, use_cpu=not _cuda())


def _fast(model_dir, dataset, out, args, attn: str, compile_: bool):
    import importlib.util

    import torch

    from posttrain.tools.training import SFTSpec

    overrides = {"report_to": "none", "logging_steps": 1,
                 "use_liger_kernel": _cuda() and importlib.util.find_spec("liger_kernel") is not None,
                 "model_init_kwargs": {"attn_implementation": attn},
                 # one fixed flattened length: flex attention compiles once instead of once per batch shape
                 "pad_to_multiple_of": args.batch * args.max_length if attn == "flex_attention" else None,
                 "torch_compile": compile_, "dataloader_num_workers": 2 if _cuda() else 0}
    spec = SFTSpec(base_model=str(model_dir), dataset="unused.jsonl", max_steps=args.steps, learning_rate=3e-4,
                   batch_size=args.batch, max_length=args.max_length, packing=True, trl_overrides=overrides)
    torch.backends.cuda.matmul.allow_tf32 = True
    return spec.to_trl(out, project="bench", run_name="bench", use_gpu=_cuda())


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


class StepTimer:
    """Counts real tokens per batch and times steps after warm-up (synchronising the GPU at each boundary)."""

    def __init__(self, warmup: int):
        from transformers import TrainerCallback

        timer = self
        self.warmup, self.tokens, self.start, self.end, self.steps = warmup, 0, None, None, 0

        class Callback(TrainerCallback):
            def on_step_end(self, args, state, control, **kw):
                timer._sync()
                if state.global_step == timer.warmup:
                    timer.start, timer.tokens, timer.steps = time.perf_counter(), 0, 0
                elif timer.start is not None:
                    timer.end, timer.steps = time.perf_counter(), timer.steps + 1

        self.callback = Callback()

    def _sync(self):
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()

    def count(self, batch: dict) -> None:
        if self.start is None:
            return
        if "attention_mask" in batch:
            self.tokens += int(batch["attention_mask"].sum())
        else:  # padding-free: every token is real except the pad tokens appended to reach pad_to_multiple_of
            self.tokens += int((batch["input_ids"] != 0).sum())


def run_variant(variant: str, args) -> dict:
    import torch
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import SFTTrainer

    model_dir = build_bench_model(Path(args.workdir) / f"model-{args.size}", args.size)
    vocab = SIZES[args.size][5]
    dataset = Dataset.from_dict({"text": make_documents(args.docs, 64, args.max_doc_len, vocab)})
    out = Path(args.workdir) / variant
    if variant == "trl_default":
        config = _trl_default(model_dir, dataset, out, args)
    else:
        config = _fast(model_dir, dataset, out, args, "sdpa" if variant == "fast_sdpa" else "flex_attention",
                       variant.endswith("compile"))
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    timer = StepTimer(args.warmup)
    trainer = SFTTrainer(model=str(model_dir), args=config, train_dataset=dataset, processing_class=tokenizer,
                         callbacks=[timer.callback])
    step = trainer.training_step

    def counting_step(model, inputs, *rest, **kw):  # main process: dataloader workers cannot update the timer
        timer.count(inputs)
        return step(model, inputs, *rest, **kw)

    trainer.training_step = counting_step
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    trainer.train()
    elapsed = (timer.end or 0) - (timer.start or 0)
    losses = [row["loss"] for row in trainer.state.log_history if "loss" in row]
    return {"variant": variant, "size": args.size, "steps_timed": timer.steps, "real_tokens": timer.tokens,
            "seconds": round(elapsed, 3), "tokens_per_s": round(timer.tokens / elapsed, 1) if elapsed > 0 else None,
            "first_loss": losses[0] if losses else None, "last_loss": losses[-1] if losses else None,
            "peak_mem_gb": round(torch.cuda.max_memory_allocated() / 1e9, 2) if torch.cuda.is_available() else None,
            "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
            "batch": config.per_device_train_batch_size, "max_length": config.max_length,
            "liger": bool(getattr(config, "use_liger_kernel", False)), "compile": bool(config.torch_compile)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="tiny")
    parser.add_argument("--variants", nargs="+", default=VARIANTS, choices=VARIANTS)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--batch", type=int, default=16, help="Packed rows per step on the fast path.")
    parser.add_argument("--max-length", type=int, default=2048, help="Packed row length on the fast path.")
    parser.add_argument("--docs", type=int, default=1200)
    parser.add_argument("--max-doc-len", type=int, default=1024)
    parser.add_argument("--timeout", type=int, default=300, help="Seconds per variant.")
    parser.add_argument("--workdir", default="/tmp/posttrain-bench")
    parser.add_argument("--out", type=Path, default=None, help="Append one JSON line per variant here.")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)  # child mode: run this variant in-process
    args = parser.parse_args(argv)
    if args.one:
        print("RESULT " + json.dumps(run_variant(args.one, args)), flush=True)  # noqa: T201
        return 0
    forwarded = list(argv if argv is not None else sys.argv[1:])
    run_variants_isolated(__file__, forwarded, args.variants, args.timeout, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
