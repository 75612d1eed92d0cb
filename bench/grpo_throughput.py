"""GRPO throughput: completion tokens trained per second, posttrain's GRPO path vs TRL's defaults at matched
completions per step, with each rollout engine.

Same random-init model and word tokenizer as bench/sft_throughput.py; prompts are 64-token documents and the
reward is a cheap length reward, so generation and the policy update dominate. Each variant is a subprocess::

    python bench/grpo_throughput.py --size tiny --completions 16 --max-completion 16 --variants trl_matched posttrain
    python bench/grpo_throughput.py --size 335m --out bench/results/grpo_throughput-DATE.json         # H100

Window: whole generation rounds after the first (its warm-up, CUDA graph capture and compilation excluded): from
the end of round 1's last optimizer step to the end of training; tokens: the completions of those rounds.

Variants:
  trl_default         GRPOConfig defaults: 8 completions per step (1 prompt × 8), fp32, checkpointing, generate.
  trl_matched         the same with `--completions` per step (TRL's defaults otherwise): the matched baseline.
  posttrain           the product: GRPOSpec(prompts_per_step × 8 = --completions) with every device field at its
                      default, built by `prepare_grpo` — vLLM colocated if installed, else continuous batching;
                      bf16 weights; generation rounds of 4 steps.
  posttrain_generate  the same with paged_generation=False (plain transformers generate): the engine's ablation.
  posttrain_vllm      use_vllm=True; recorded as skipped (with the reason) where vllm does not import.
"""

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).parent))
from throughput_setup import SIZES, build_bench_model, make_documents, run_variants_isolated  # noqa: E402


VARIANTS = ["trl_default", "trl_matched", "posttrain", "posttrain_generate", "posttrain_vllm"]
GENERATED: list[tuple[float, int]] = []  # (time, completion tokens) per generation round, seen by the reward


def length_reward(completions, completion_ids=None, **_):
    GENERATED.append((time.perf_counter(), sum(len(ids) for ids in completion_ids or [])))
    return [min(len(c.split()), 64) / 64 for c in completions]


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _trl_trainer(variant: str, model_dir: Path, prompts: list[str], out: Path, args):
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    kwargs = {"output_dir": str(out), "max_steps": args.trl_steps, "report_to": "none", "logging_steps": 1,
              "save_strategy": "no", "disable_tqdm": True, "use_cpu": not _cuda(),
              "max_completion_length": args.max_completion}
    if variant == "trl_matched":
        kwargs["per_device_train_batch_size"] = args.completions
    tokenizer = AutoTokenizer.from_pretrained(model_dir, padding_side="left")
    return GRPOTrainer(model=str(model_dir), reward_funcs=[length_reward], args=GRPOConfig(**kwargs),
                       train_dataset=Dataset.from_dict({"prompt": prompts}), processing_class=tokenizer,
                       callbacks=[_step_end_recorder()])


def _product_trainer(variant: str, model_dir: Path, prompts: list[str], out: Path, args):
    from posttrain.tools.training import GRPOSpec, RewardSpec
    from posttrain.tools.training.grpo import prepare_grpo

    data = out / "prompts.jsonl"
    data.write_text("".join(json.dumps({"prompt": p, "answer": ""}) + "\n" for p in prompts))
    engine = {"posttrain_generate": {"paged_generation": False}, "posttrain_vllm": {"use_vllm": True}}
    # tracking off (trackio is not installed on the GPU machine); the reward is the bench's length reward
    spec = GRPOSpec(base_model=str(model_dir), dataset=str(data), rewards=[RewardSpec(name="length_penalty")],
                    max_steps=args.steps, num_generations=8, prompts_per_step=args.completions // 8,
                    max_completion_length=args.max_completion, learning_rate=1e-6, logging_steps=1,
                    trl_overrides={"report_to": "none"}, **engine.get(variant, {}))
    run = prepare_grpo(spec, out, project="bench", run_name=variant, use_gpu=_cuda(), reward_funcs=[length_reward],
                       extra_callbacks=[_step_end_recorder()])
    return run.trainer, run.resolved.model_dump(mode="json")


def run_variant(variant: str, args) -> dict:
    import torch

    if variant == "posttrain_vllm" and not (_cuda() and importlib.util.find_spec("vllm")):
        return {"variant": variant, "skipped": "vllm is not installed here (or no CUDA): its wheel pins its own "
                "torch and is far over the device tool's 64 MiB carry limit"}
    model_dir = build_bench_model(Path(args.workdir) / f"model-{args.size}", args.size)
    prompts = make_documents(512, 64, 64, SIZES[args.size][5], seed=1)
    out = Path(args.workdir) / f"grpo-{variant}"
    out.mkdir(parents=True, exist_ok=True)
    if variant.startswith("trl_"):
        trainer, resolved = _trl_trainer(variant, model_dir, prompts, out, args), None
    else:
        trainer, resolved = _product_trainer(variant, model_dir, prompts, out, args)
    if _cuda():
        torch.cuda.reset_peak_memory_stats()
    trainer.train()
    if _cuda():
        torch.cuda.synchronize()
    end = time.perf_counter()
    rounds = GENERATED[1:]
    round_start = _end_of_first_round(trainer)
    tokens = sum(n for _, n in rounds)
    seconds = end - round_start if round_start else 0.0
    per_round = trainer.args.generation_batch_size
    free, total = torch.cuda.mem_get_info() if _cuda() else (0, 0)
    per_step = trainer.args.per_device_train_batch_size * trainer.args.gradient_accumulation_steps
    return {"variant": variant, "size": args.size, "steps": trainer.state.global_step, "rounds": len(GENERATED),
            "completions_per_step": per_step,
            "completions_per_round": per_round, "timed_rounds": len(rounds), "completion_tokens": tokens,
            "seconds": round(seconds, 3),
            "completion_tokens_per_s": round(tokens / seconds, 1) if seconds > 0 and tokens else None,
            "mean_completion_len": round(sum(n for _, n in GENERATED) / max(1, len(GENERATED)) / per_round, 1),
            "peak_mem_gb": round(torch.cuda.max_memory_allocated() / 1e9, 2) if _cuda() else None,
            "card_used_gb_at_end": round((total - free) / 1e9, 2) if _cuda() else None,
            "rollout": "vllm" if trainer.args.use_vllm else (
                "continuous_batching" if trainer.args.use_transformers_continuous_batching else "generate"),
            "weights_dtype": str(next(trainer.model.parameters()).dtype), "resolved": resolved}


ROUND_ENDS: list[float] = []


def _end_of_first_round(trainer) -> float | None:
    """When round 1's last optimizer step ended (recorded by the callback below). TRL's steps_per_generation
    counts micro-batches; a round spans steps_per_generation / gradient_accumulation_steps optimizer steps."""
    steps_per_round = max(1, trainer.args.steps_per_generation // trainer.args.gradient_accumulation_steps)
    return ROUND_ENDS[steps_per_round - 1] if len(ROUND_ENDS) >= steps_per_round else None


def _step_end_recorder():
    from transformers import TrainerCallback

    class StepEnds(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            import torch

            if torch.cuda.is_available():
                torch.cuda.synchronize()
            ROUND_ENDS.append(time.perf_counter())

    return StepEnds()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="tiny")
    parser.add_argument("--variants", nargs="+", default=VARIANTS, choices=VARIANTS)
    parser.add_argument("--completions", type=int, default=64, help="Matched completions per optimizer step (×8).")
    parser.add_argument("--steps", type=int, default=8, help="posttrain steps (2 generation rounds of 4).")
    parser.add_argument("--trl-steps", type=int, default=3, help="TRL steps (one generation round each).")
    parser.add_argument("--max-completion", type=int, default=256, help="max_completion_length, every variant.")
    parser.add_argument("--timeout", type=int, default=300, help="Seconds per variant.")
    parser.add_argument("--workdir", default="/tmp/posttrain-bench")
    parser.add_argument("--out", type=Path, default=None, help="Write the run's JSON record here.")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.completions % 8:
        parser.error("--completions must be a multiple of 8 (8 completions per prompt)")
    if args.one:
        print("RESULT " + json.dumps(run_variant(args.one, args)), flush=True)  # noqa: T201
        return 0
    forwarded = list(argv if argv is not None else sys.argv[1:])
    run_variants_isolated(__file__, forwarded, args.variants, args.timeout, args.out, bench="grpo_throughput")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
