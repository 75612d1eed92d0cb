"""Baseline vs trained tiny model on ``arithmetic``: Wilson CIs and a paired McNemar test, end to end on CPU.

Builds the tiny Qwen3 char model, fine-tunes it with a plain torch loop on clean ``train_items`` (disjoint from
the eval set, loss on the answer only), then evaluates both models with ``evaluate_model`` on the same items and
compares them with ``compare_reports``. Checkpoints every ``--eval-every`` steps show the learning curve.

    python bench/arithmetic_baseline_vs_trained.py --spec arithmetic:digits=2 --steps 1200 --out /tmp/arith-demo
"""

import argparse
import math
import time
from pathlib import Path


def encode(tokenizer, items, length: int):
    """Left-padded inputs with labels on answer + eos only, and the attention mask."""
    import torch

    inputs, labels = [], []
    for item in items:
        prompt = tokenizer(item.prompt, add_special_tokens=False)["input_ids"]
        answer = tokenizer(item.answer, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        pad = length - len(prompt) - len(answer)
        inputs.append([tokenizer.pad_token_id] * pad + prompt + answer)
        labels.append([-100] * (pad + len(prompt)) + answer)
    inputs = torch.tensor(inputs)
    return inputs, torch.tensor(labels), (inputs != tokenizer.pad_token_id).long()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="arithmetic:digits=2")
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--train-items", type=int, default=3000)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-every", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("/tmp/posttrain-arith-demo"))
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from posttrain.tools.evaluation import compare_reports, evaluate_model, get_benchmark
    from posttrain.tools.tiny_model import TinyModelConfig, build_tiny_model

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    bench = get_benchmark(args.spec)
    base = build_tiny_model(args.out / "base", TinyModelConfig(hidden_size=args.hidden, seed=args.seed))
    baseline = evaluate_model(str(base), bench, args.out / "eval-base")
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base)
    items = bench.train_items(args.train_items, seed=args.seed)
    length = max(len(i.prompt) + len(i.answer) + 1 for i in items)
    inputs, labels, mask = encode(tokenizer, items, length)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * s / args.steps)))
    print(f"baseline: {baseline.score:.1%} CI [{baseline.ci95[0]:.1%}, {baseline.ci95[1]:.1%}] n={baseline.n}")  # noqa: T201
    started, trained = time.perf_counter(), None
    for step in range(1, args.steps + 1):
        model.train()
        batch = torch.randint(0, len(items), (args.batch,))
        loss = model(input_ids=inputs[batch], attention_mask=mask[batch], labels=labels[batch]).loss
        loss.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        if step % args.eval_every == 0 or step == args.steps:
            model.eval()
            folder = args.out / f"step-{step}"
            model.save_pretrained(folder)
            tokenizer.save_pretrained(folder)
            trained = evaluate_model(str(folder), bench, folder / "eval")
            print(f"step {step:5d}  loss {loss.item():.3f}  score {trained.score:.1%}  "  # noqa: T201
                  f"({time.perf_counter() - started:.0f} s)", flush=True)
    comparison = compare_reports(baseline, trained)
    print(  # noqa: T201
        f"\n{bench.spec}, n={comparison.n_pairs}: baseline {baseline.score:.1%} "
        f"[{baseline.ci95[0]:.1%}, {baseline.ci95[1]:.1%}] -> trained {trained.score:.1%} "
        f"[{trained.ci95[0]:.1%}, {trained.ci95[1]:.1%}]; diff {comparison.diff:+.1%} "
        f"(95% CI [{comparison.ci95[0]:+.1%}, {comparison.ci95[1]:+.1%}]), McNemar p={comparison.p_value:.2g}, "
        f"significant={comparison.significant}; SFT {args.steps} steps in {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
