"""GRPO throughput: completion tokens generated per second of GRPO step time, TRL defaults vs posttrain's path.

Same random-init model and word tokenizer as bench/sft_throughput.py; prompts are 64-token documents and the
reward is a cheap length reward, so generation and the policy update dominate. Each variant is a subprocess::

    python bench/grpo_throughput.py --size tiny --steps 3 --warmup 1 --max-completion 32      # CPU smoke test
    python bench/grpo_throughput.py --size 335m --out results.jsonl                          # H100

Variants: trl_default (GRPOConfig defaults: 8 completions per step, max_completion_length 512, fp32 weights);
fast (bf16 weights, 256 completions generated per round = 32 prompts × 8, split over 4 optimizer steps);
fast_vllm (fast + vLLM colocate, only where vllm imports).
"""

import argparse
import json
import sys
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).parent))
from throughput_setup import SIZES, build_bench_model, make_documents, run_variants_isolated  # noqa: E402


VARIANTS = ["trl_default", "fast", "fast_vllm"]


GENERATED: list[tuple[float, int]] = []  # (time, completion tokens) per generation round, seen by the reward


def length_reward(completions, completion_ids=None, **_):
    GENERATED.append((time.perf_counter(), sum(len(ids) for ids in completion_ids or [])))
    return [min(len(c.split()), 64) / 64 for c in completions]


def _config(variant: str, out: Path, args):
    import torch
    from trl import GRPOConfig

    common = {"output_dir": str(out), "max_steps": args.steps, "report_to": "none", "logging_steps": 1,
              "save_strategy": "no", "disable_tqdm": True, "use_cpu": not torch.cuda.is_available()}
    if args.max_completion:
        common["max_completion_length"] = args.max_completion
    if variant == "trl_default":
        return GRPOConfig(**common)
    return GRPOConfig(**common, per_device_train_batch_size=64, steps_per_generation=4, num_generations=8,
                      gradient_checkpointing=False, model_init_kwargs={"dtype": torch.bfloat16},
                      bf16=False, use_vllm=variant == "fast_vllm", vllm_mode="colocate",
                      vllm_gpu_memory_utilization=0.3)


def run_variant(variant: str, args) -> dict:
    import torch
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import GRPOTrainer

    model_dir = build_bench_model(Path(args.workdir) / f"model-{args.size}", args.size)
    prompts = make_documents(512, 64, 64, SIZES[args.size][5], seed=1)
    tokenizer = AutoTokenizer.from_pretrained(model_dir, padding_side="left")
    trainer = GRPOTrainer(model=str(model_dir), reward_funcs=[length_reward], args=_config(variant, Path(
        args.workdir) / f"grpo-{variant}", args), train_dataset=Dataset.from_dict({"prompt": prompts}),
        processing_class=tokenizer)
    trainer.train()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    end = time.perf_counter()
    # window: from the end of the first (warm-up) generation round to the end of training
    tokens = sum(n for _, n in GENERATED[1:])
    seconds = end - GENERATED[0][0] if GENERATED else 0
    return {"variant": variant, "size": args.size, "rounds": len(GENERATED), "completion_tokens": tokens,
            "seconds": round(seconds, 3), "completion_tokens_per_s": round(tokens / seconds, 1) if seconds else None,
            "mean_completion_len": round(sum(n for _, n in GENERATED) / max(1, len(GENERATED))
                                         / trainer.args.generation_batch_size, 1),
            "completions_per_round": trainer.args.generation_batch_size,
            "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
            "peak_mem_gb": round(torch.cuda.max_memory_allocated() / 1e9, 2) if torch.cuda.is_available() else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="tiny")
    parser.add_argument("--variants", nargs="+", default=VARIANTS, choices=VARIANTS)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--max-completion", type=int, default=None, help="Override max_completion_length.")
    parser.add_argument("--timeout", type=int, default=300, help="Seconds per variant.")
    parser.add_argument("--workdir", default="/tmp/posttrain-bench")
    parser.add_argument("--out", type=Path, default=None, help="Append one JSON line per variant here.")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print("RESULT " + json.dumps(run_variant(args.one, args)), flush=True)  # noqa: T201
        return 0
    forwarded = list(argv if argv is not None else sys.argv[1:])
    run_variants_isolated(__file__, forwarded, args.variants, args.timeout, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
