"""CPU demonstration on a noisy teacher: imitate every label (SFT), keep only the labels the benchmark's scorer
verifies (filter, then SFT), or repair the imitation with GRPO against the true answer.

The teacher leaves vowels unshifted in 70% of the Caesar labels ("qzmfe>" -> "range" instead of "rangf"). SFT on
all labels learns the bug; the label check (`posttrain.tools.data.labels.check_labels`, the scorer against each
row's gold answer — what the team runs) drops the wrong rows; GRPO against the true answer removes the bug after the
fact. Runs through `run_training` on the local Ray cluster, exactly as the team does, and prints one JSON line per
seed (held-out greedy accuracy of each arm; `label_accuracy` measured by the scorer, `teacher_correct_share` read from
the generator only to check that measurement)::

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
    from posttrain.tools.data.labels import check_labels
    from posttrain.tools.evaluation import get_benchmark
    from posttrain.tools.tiny_model import TinyModelConfig, build_tiny_model
    from posttrain.tools.training import GRPOSpec, RewardSpec, SFTSpec, run_training

    bench = get_benchmark("caesar")
    root = out / f"seed{seed}"
    root.mkdir(parents=True, exist_ok=True)
    base = str(build_tiny_model(root / "base-model", TinyModelConfig(seed=seed)))
    noisy = bench.train_items(3000, seed=seed, teacher_noise=0.7)
    sft_rows = [{"prompt": it.prompt, "completion": it.answer, "answer": it.meta["gold"]} for it in noisy]
    verified, check = check_labels(sft_rows, bench)
    rl_rows = [{"prompt": it.prompt, "answer": it.answer} for it in bench.train_items(1000, seed=seed + 1000)]
    teacher_share = sum(it.meta["teacher_correct"] for it in noisy) / len(noisy)
    start = time.monotonic()
    sft = run_training(SFTSpec(base_model=base, dataset=write_rows(sft_rows, root / "sft.jsonl"), seed=seed,
                               max_steps=args.sft_steps, learning_rate=3e-3, batch_size=64, max_length=32,
                               logging_steps=20), root / "sft", project=args.project, run_name=f"sft-seed{seed}")
    filtered = run_training(SFTSpec(base_model=base, dataset=write_rows(verified, root / "sft-verified.jsonl"),
                                    seed=seed, max_steps=args.sft_steps, learning_rate=3e-3, batch_size=64,
                                    max_length=32, logging_steps=20),
                            root / "sft-verified", project=args.project, run_name=f"sft-verified-seed{seed}")
    grpo = run_training(GRPOSpec(base_model=sft.checkpoint, dataset=write_rows(rl_rows, root / "rl.jsonl"),
                                 rewards=[RewardSpec(name="exact_match")], seed=seed, max_steps=args.grpo_steps,
                                 learning_rate=args.grpo_lr, num_generations=16, prompts_per_step=8,
                                 max_completion_length=6, logging_steps=10),
                        root / "grpo", project=args.project, run_name=f"grpo-seed{seed}")
    return {"seed": seed, "label_accuracy": round(check.accuracy, 3), "teacher_correct_share": round(teacher_share, 3),
            "verified_rows": len(verified), "acc_base": accuracy(base, bench),
            "acc_sft": accuracy(sft.checkpoint, bench), "acc_sft_verified": accuracy(filtered.checkpoint, bench),
            "acc_grpo": accuracy(grpo.checkpoint, bench), "sft_verified_s": round(filtered.duration_s, 1),
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
    parser.add_argument("--json", type=Path, help="also write all seeds' lines to this JSON file")
    args = parser.parse_args(argv)
    os.environ.setdefault("TRACKIO_DIR", str((args.out / "trackio").resolve()))
    lines = []
    for seed in args.seeds:
        lines.append(run_seed(seed, args, args.out))
        print(json.dumps(lines[-1]), flush=True)  # noqa: T201 - a bench script reports
    if args.json:
        import torch

        args.json.write_text(json.dumps({"script": "bench/caesar_demo.py", "date": time.strftime("%Y-%m-%d"),
                                         "machine": "2 CPU cores (shared)", "torch": torch.__version__,
                                         "sft_steps": args.sft_steps, "grpo_steps": args.grpo_steps,
                                         "seeds": lines}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
