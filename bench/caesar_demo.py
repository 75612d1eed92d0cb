"""CPU demonstration: SFT on a noisy teacher plateaus, GRPO with an exact-match reward repairs it (issue 3).

The teacher leaves vowels unshifted in 70% of the Caesar labels ("qzmfe>" -> "range" instead of "rangf"); SFT
learns the bug, GRPO against the true answer removes it. Runs through `run_training` on the local Ray cluster,
exactly as the team does, and prints one JSON line per seed (held-out greedy accuracy base -> SFT -> GRPO)::

    python bench/caesar_demo.py --seeds 0 1 2 [--sft-steps 300 --grpo-steps 100] [--out runs/caesar-demo]
"""

import argparse
import json
import os
import time
from pathlib import Path


def write_rows(rows: list[dict], path: Path) -> str:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(path)


def accuracy(model_dir: str, bench) -> float:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from posttrain.tools.training.callbacks import greedy_accuracy

    model = AutoModelForCausalLM.from_pretrained(model_dir)
    return greedy_accuracy(model, AutoTokenizer.from_pretrained(model_dir), bench, bench.eval_items())


def run_seed(seed: int, args, out: Path) -> dict:
    from posttrain.tools.evaluation import get_benchmark
    from posttrain.tools.tiny_model import TinyModelConfig, build_tiny_model
    from posttrain.tools.training import GRPOSpec, RewardSpec, SFTSpec, run_training

    bench = get_benchmark("caesar")
    root = out / f"seed{seed}"
    root.mkdir(parents=True, exist_ok=True)
    base = str(build_tiny_model(root / "base-model", TinyModelConfig(seed=seed)))
    noisy = bench.train_items(3000, seed=seed, teacher_noise=0.7)
    sft_rows = [{"prompt": it.prompt, "completion": it.answer} for it in noisy]
    rl_rows = [{"prompt": it.prompt, "answer": it.answer} for it in bench.train_items(1000, seed=seed + 1000)]
    label_acc = sum(it.meta["teacher_correct"] for it in noisy) / len(noisy)
    start = time.monotonic()
    sft = run_training(SFTSpec(base_model=base, dataset=write_rows(sft_rows, root / "sft.jsonl"), seed=seed,
                               max_steps=args.sft_steps, learning_rate=3e-3, batch_size=64, max_length=32,
                               logging_steps=20), root / "sft", project=args.project, run_name=f"sft-seed{seed}")
    grpo = run_training(GRPOSpec(base_model=sft.checkpoint, dataset=write_rows(rl_rows, root / "rl.jsonl"),
                                 rewards=[RewardSpec(name="exact_match")], seed=seed, max_steps=args.grpo_steps,
                                 learning_rate=args.grpo_lr, num_generations=16, prompts_per_step=8,
                                 max_completion_length=6, logging_steps=10),
                        root / "grpo", project=args.project, run_name=f"grpo-seed{seed}")
    return {"seed": seed, "label_accuracy": round(label_acc, 3), "acc_base": accuracy(base, bench),
            "acc_sft": accuracy(sft.checkpoint, bench), "acc_grpo": accuracy(grpo.checkpoint, bench),
            "sft_s": round(sft.duration_s, 1), "grpo_s": round(grpo.duration_s, 1),
            "wall_s": round(time.monotonic() - start, 1), "grpo_reward_first": grpo.summary.get("first_reward"),
            "grpo_reward_last": grpo.summary.get("last_reward"),
            "sft_findings": [f.kind for f in sft.findings], "grpo_findings": [f.kind for f in grpo.findings]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--sft-steps", type=int, default=300)
    parser.add_argument("--grpo-steps", type=int, default=100)
    parser.add_argument("--grpo-lr", type=float, default=3e-4)
    parser.add_argument("--project", default="caesar-demo")
    parser.add_argument("--out", type=Path, default=Path("runs/caesar-demo"))
    args = parser.parse_args(argv)
    os.environ.setdefault("TRACKIO_DIR", str((args.out / "trackio").resolve()))
    for seed in args.seeds:
        print(json.dumps(run_seed(seed, args, args.out)), flush=True)  # noqa: T201 - a bench script reports
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
