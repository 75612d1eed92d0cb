"""Items/s of the evaluator's batched transformers backend against naive one-by-one ``generate``.

Same model, same items, greedy decoding both ways; also reports how many completions agree (left padding must
not change greedy outputs). Without ``--model`` it builds the tiny Qwen3 model (random init) in a temp folder.

    python bench/eval_throughput.py --benchmark arithmetic --items 200 [--model PATH] [--threads 2] [--repeats 3]
"""

import argparse
import tempfile
import time
from pathlib import Path


def naive_generate(model_path: str, prompts: list[str], max_new_tokens: int) -> tuple[list[str], float]:
    """One prompt at a time, no padding: the baseline most eval scripts start from."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=dtype).to(device).eval()
    texts, started = [], time.perf_counter()
    with torch.inference_mode():
        for prompt in prompts:
            encoded = tokenizer(prompt, return_tensors="pt", add_special_tokens=False).to(device)
            out = model.generate(**encoded, do_sample=False, max_new_tokens=max_new_tokens,
                                 pad_token_id=tokenizer.pad_token_id, temperature=None, top_p=None, top_k=None)
            texts.append(tokenizer.decode(out[0, encoded["input_ids"].shape[1] :], skip_special_tokens=True))
    return texts, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="Model folder or Hub id; default: a freshly built tiny model.")
    parser.add_argument("--benchmark", default="arithmetic", help="Benchmark spec whose items are generated.")
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--max-new-tokens", type=int, default=None, help="Default: the benchmark's budget.")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice).")
    parser.add_argument("--repeats", type=int, default=3, help="Runs of each; the fastest counts (shared machines).")
    args = parser.parse_args()

    import torch

    from posttrain.tools.evaluation import GenerationSettings, generate, get_benchmark
    from posttrain.tools.tiny_model import build_tiny_model

    if args.threads:
        torch.set_num_threads(args.threads)
    model = args.model or str(build_tiny_model(Path(tempfile.mkdtemp(prefix="posttrain-bench-")) / "model"))
    bench = get_benchmark(args.benchmark)
    prompts = [item.prompt for item in bench.eval_items(limit=args.items)]
    budget = args.max_new_tokens or bench.max_new_tokens
    settings = GenerationSettings(max_new_tokens=budget, temperature=0.0)
    runs = [generate(model, prompts, settings, backend="transformers") for _ in range(args.repeats)]
    batched = min(runs, key=lambda run: run.duration_s)
    naive_runs = [naive_generate(model, prompts, budget) for _ in range(args.repeats)]
    naive_texts, naive_s = min(naive_runs, key=lambda run: run[1])
    agree = sum(a == b for a, b in zip(batched.texts, naive_texts, strict=True))
    device = "cuda" if torch.cuda.is_available() else f"cpu x{torch.get_num_threads()} threads"
    print(  # noqa: T201 - a bench script reports on stdout
        f"| {device} | {bench.spec} | {len(prompts)} items, {budget} new tokens, best of {args.repeats} | "
        f"batched (batch {batched.batch_size}): {len(prompts) / batched.duration_s:.1f} items/s | "
        f"one-by-one: {len(prompts) / naive_s:.1f} items/s | speed-up x{naive_s / batched.duration_s:.1f} | "
        f"greedy outputs identical: {agree}/{len(prompts)} |"
    )


if __name__ == "__main__":
    main()
