"""GPU check of the Data Engineer's vLLM teacher path: n seeded samples per prompt, reproducibility, rejection
sampling, and throughput next to the transformers fallback of the same interface.

Run on a machine with a CUDA GPU and vLLM installed (nothing is downloaded: the tiny model is built locally):

    python bench/vllm_generation_check.py                      # tiny Qwen3 model, 256 prompts × n=8
    python bench/vllm_generation_check.py --model /path/to/model --prompts 512 --n 4

Where vLLM or CUDA is absent it prints a SKIP line with the reason and exits 0. Otherwise it prints one JSON
object (also written to $OUT/vllm_generation_check.json when OUT is set) and exits 1 if a check failed.
"""

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time


def skip_reason() -> str | None:
    if importlib.util.find_spec("vllm") is None:
        return "vllm is not installed (pip install 'posttrain[gpu]' on a CUDA machine)"
    import torch

    if not torch.cuda.is_available():
        return "no CUDA device visible (vLLM's PyPI wheel is CUDA-only)"
    return None


def run(model: str, n_prompts: int, n: int, max_new_tokens: int) -> dict:
    from posttrain.tools.data.teacher import generate_samples
    from posttrain.tools.data.verify import verified_generation
    from posttrain.tools.evaluation import get_benchmark

    bench = "arithmetic:digits=2,n_eval=50"
    items = [i.model_copy(update={"answer": i.meta["gold"]}) for i in get_benchmark(bench).train_items(n_prompts, 0)]
    prompts = [item.prompt for item in items]
    sampling = dict(n=n, temperature=1.0, max_new_tokens=max_new_tokens)
    started = time.perf_counter()
    first = generate_samples(model, prompts, seed=0, backend="vllm", **sampling)
    first_wall = time.perf_counter() - started
    again = generate_samples(model, prompts, seed=0, backend="vllm", **sampling)
    other = generate_samples(model, prompts, seed=1, backend="vllm", **sampling)
    greedy = generate_samples(
        model, prompts[:16], seed=0, backend="vllm", n=2, temperature=0.0, max_new_tokens=max_new_tokens
    )
    fallback = generate_samples(model, prompts, seed=0, backend="transformers", batch_size=64, **sampling)
    verified = verified_generation(
        model, items, checks=[r"regex:\S*\d\S*"], benchmark=bench, backend="vllm", seed=0, **sampling
    )
    checks = {
        "backend_is_vllm": first.backend == "vllm",
        "n_samples_per_prompt": all(len(group) == n for group in first.samples) and len(first.samples) == n_prompts,
        "same_seed_reproduces": first.samples == again.samples,
        "other_seed_differs": first.samples != other.samples,
        "greedy_samples_identical": all(len(set(group)) == 1 for group in greedy.samples),
        "fallback_same_shape": [len(g) for g in fallback.samples] == [len(g) for g in first.samples],
        "acceptance_consistent": verified.n_samples == n_prompts * n
        and abs(verified.acceptance_rate - verified.n_accepted / verified.n_samples) < 1e-9,
    }
    total = n_prompts * n
    return {
        "model": model,
        "prompts": n_prompts,
        "n": n,
        "max_new_tokens": max_new_tokens,
        "vllm": {
            "load_s": round(first.load_s, 2),
            "generate_s": first.duration_s,
            "wall_s": round(first_wall, 2),
            "samples_per_s": round(total / first.duration_s, 1) if first.duration_s else None,
        },
        "transformers": {
            "generate_s": fallback.duration_s,
            "samples_per_s": round(total / fallback.duration_s, 1) if fallback.duration_s else None,
        },
        "acceptance_rate_format_check": round(verified.acceptance_rate, 4),
        "example": {"prompt": prompts[0], "samples": first.samples[0][:4]},
        "checks": checks,
        "passed": all(checks.values()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="Model path (default: build the tiny Qwen3 model in a temp dir).")
    parser.add_argument("--prompts", type=int, default=256, help="Number of prompts.")
    parser.add_argument("--n", type=int, default=8, help="Samples per prompt.")
    parser.add_argument("--max-new-tokens", type=int, default=6, help="Tokens per sample.")
    args = parser.parse_args()
    reason = skip_reason()
    if reason:
        print(f"SKIP vllm_generation_check: {reason}")  # noqa: T201 - a bench script reports on stdout
        return 0
    model = args.model
    if model is None:
        from posttrain.tools.tiny_model import build_tiny_model

        model = str(build_tiny_model(tempfile.mkdtemp(prefix="posttrain-tiny-") + "/model"))
    result = run(model, args.prompts, args.n, args.max_new_tokens)
    result["device"] = __import__("torch").cuda.get_device_name(0)
    text = json.dumps(result, indent=1)
    print(text)  # noqa: T201
    if os.environ.get("OUT"):
        with open(os.path.join(os.environ["OUT"], "vllm_generation_check.json"), "w") as handle:
            handle.write(text)
    return 0 if result["passed"] else 1


if __name__ == "__main__":  # vLLM starts an engine-core process: keep work under the main guard
    sys.exit(main())
