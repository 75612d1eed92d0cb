"""SFT throughput: posttrain's own SFT path vs TRL's defaults, plus an ablation that adds one component at a time.

Each variant runs in its own subprocess (a crash or OOM in one leaves the others), trains `--steps` steps on
1,200 documents of 64–1,024 tokens and times the steps after `--warmup`. Real tokens are counted by the bench
from the batches themselves (attention_mask or position_ids), not taken from TRL::

    python bench/sft_throughput.py --size tiny --steps 6 --warmup 2 --variants trl_default posttrain   # CPU smoke
    python bench/sft_throughput.py --size 335m --out bench/results/sft_throughput-DATE.json              # H100

Variants:
  trl_default       SFTConfig defaults: batch 8, max_length 1024, padding, gradient checkpointing, SDPA.
  abl_batch         + batch raised to `--tokens-per-step` real tokens (matched from here on), still padded.
  abl_padding_free  + padding-free rows (documents flattened, position_ids), the product's attention kernel.
  abl_packing       + BFD packing into rows of `--max-length` (batch = tokens_per_step / max_length).
  abl_liger         + Liger's layer kernels (when liger_kernel imports).
  abl_no_ckpt       + no gradient checkpointing: every fast-path component, at the matched tokens per step.
  posttrain         the product: `SFTSpec(max_length=…)` with every device field left at its default, built by
                    `prepare_sft` (what `posttrain train sft` runs): probed micro-batch, choices from fast_defaults.
"""

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).parent))
from throughput_setup import SIZES, build_bench_model, make_documents, run_variants_isolated  # noqa: E402


ABLATION = ["trl_default", "abl_batch", "abl_padding_free", "abl_packing", "abl_liger", "abl_no_ckpt"]
VARIANTS = [*ABLATION, "posttrain"]


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _best_attention() -> str:
    """The product's choice for packed rows (fast_defaults._attention), so the ablation isolates the other parts."""
    if importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    return "flex_attention" if _cuda() else "sdpa"  # FlexAttention has no CPU backward


def ablation_config(variant: str, out: Path, args, mean_doc_tokens: float):
    """TRL's defaults with the first k components of the ablation switched on (k = the variant's position)."""
    from trl import SFTConfig

    level = ABLATION.index(variant)
    kwargs = {"output_dir": str(out), "max_steps": args.steps, "report_to": "none", "logging_steps": 1,
              "save_strategy": "no", "disable_tqdm": True, "use_cpu": not _cuda()}
    if level >= 1:  # matched real tokens per step: padded rows hold one document each
        kwargs["per_device_train_batch_size"] = max(1, round(args.tokens_per_step / mean_doc_tokens))
    if level >= 2:
        attn = _best_attention()
        # documents are at most --max-doc-len tokens: TRL wants max_length=None for padding-free without packing
        kwargs.update(padding_free=True, max_length=None, model_init_kwargs={"attn_implementation": attn})
        if attn == "flex_attention":  # few distinct flattened lengths, so FlexAttention compiles a few times only
            kwargs["pad_to_multiple_of"] = 4096
    if level >= 3:
        rows = max(1, args.tokens_per_step // args.max_length)
        kwargs.update(packing=True, max_length=args.max_length, per_device_train_batch_size=rows)
        if kwargs["model_init_kwargs"]["attn_implementation"] == "flex_attention":
            kwargs["pad_to_multiple_of"] = rows * args.max_length  # one shape: one compilation
    if level >= 4:
        kwargs["use_liger_kernel"] = _cuda() and importlib.util.find_spec("liger_kernel") is not None
    if level >= 5:
        kwargs["gradient_checkpointing"] = False
    return SFTConfig(**kwargs)


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


def _count_tokens_in_training_steps(trainer, timer: StepTimer) -> None:
    step = trainer.training_step

    def counting_step(model, inputs, *rest, **kw):  # main process: dataloader workers cannot update the timer
        timer.count(inputs)
        return step(model, inputs, *rest, **kw)

    trainer.training_step = counting_step


def _product_trainer(model_dir: Path, data: Path, out: Path, args, timer: StepTimer):
    """The product's path: an SFTSpec with every device field at its default, through prepare_sft."""
    from posttrain.tools.training import SFTSpec
    from posttrain.tools.training.sft import prepare_sft

    # tracking off: trackio is not installed on the GPU machine; everything else is what `posttrain train` runs
    spec = SFTSpec(base_model=str(model_dir), dataset=str(data), max_steps=args.steps, learning_rate=3e-4,
                   max_length=args.max_length, logging_steps=1, trl_overrides={"report_to": "none"})
    run = prepare_sft(spec, out, project="bench", run_name="posttrain", use_gpu=_cuda(),
                      extra_callbacks=[timer.callback])
    return run.trainer, run.resolved.model_dump(mode="json")


def run_variant(variant: str, args) -> dict:
    import torch
    from transformers import AutoTokenizer
    from trl import SFTTrainer

    torch.backends.cuda.matmul.allow_tf32 = True
    model_dir = build_bench_model(Path(args.workdir) / f"model-{args.size}", args.size)
    docs = make_documents(args.docs, 64, args.max_doc_len, SIZES[args.size][5])
    out = Path(args.workdir) / f"sft-{variant}"
    out.mkdir(parents=True, exist_ok=True)
    data = out / "docs.jsonl"
    data.write_text("".join(json.dumps({"text": d}) + "\n" for d in docs))
    timer = StepTimer(args.warmup)
    resolved = None
    if variant == "posttrain":
        trainer, resolved = _product_trainer(model_dir, data, out, args, timer)
    else:
        from datasets import Dataset

        mean_doc_tokens = sum(len(d.split()) for d in docs) / len(docs)
        config = ablation_config(variant, out, args, mean_doc_tokens)
        trainer = SFTTrainer(model=str(model_dir), args=config, train_dataset=Dataset.from_dict({"text": docs}),
                             processing_class=AutoTokenizer.from_pretrained(model_dir), callbacks=[timer.callback])
    _count_tokens_in_training_steps(trainer, timer)
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    trainer.train()
    config = trainer.args
    elapsed = (timer.end or 0) - (timer.start or 0)
    losses = [row["loss"] for row in trainer.state.log_history if "loss" in row]
    return {"variant": variant, "size": args.size, "steps_timed": timer.steps, "real_tokens": timer.tokens,
            "tokens_per_step": round(timer.tokens / timer.steps) if timer.steps else None,
            "seconds": round(elapsed, 3), "tokens_per_s": round(timer.tokens / elapsed, 1) if elapsed > 0 else None,
            "first_loss": losses[0] if losses else None, "last_loss": losses[-1] if losses else None,
            "peak_mem_gb": round(torch.cuda.max_memory_allocated() / 1e9, 2) if torch.cuda.is_available() else None,
            "batch": config.per_device_train_batch_size, "grad_accum": config.gradient_accumulation_steps,
            "max_length": config.max_length, "packing": bool(config.packing),
            "padding_free": bool(getattr(config, "padding_free", False) or config.packing),
            "liger": bool(config.use_liger_kernel), "gradient_checkpointing": bool(config.gradient_checkpointing),
            "attn": (config.model_init_kwargs or {}).get("attn_implementation", "default"), "resolved": resolved}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="tiny")
    parser.add_argument("--variants", nargs="+", default=VARIANTS, choices=VARIANTS)
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--tokens-per-step", type=int, default=32768, help="Matched real tokens per ablation step.")
    parser.add_argument("--max-length", type=int, default=2048, help="Packed row length (ablation and posttrain).")
    parser.add_argument("--docs", type=int, default=1200)
    parser.add_argument("--max-doc-len", type=int, default=1024)
    parser.add_argument("--timeout", type=int, default=300, help="Seconds per variant.")
    parser.add_argument("--workdir", default="/tmp/posttrain-bench")
    parser.add_argument("--out", type=Path, default=None, help="Write the run's JSON record here.")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)  # child mode: run this variant in-process
    args = parser.parse_args(argv)
    if args.one:
        print("RESULT " + json.dumps(run_variant(args.one, args)), flush=True)  # noqa: T201
        return 0
    forwarded = list(argv if argv is not None else sys.argv[1:])
    run_variants_isolated(__file__, forwarded, args.variants, args.timeout, args.out, bench="sft_throughput")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
