"""CPU timings of the Data Engineer's tools: synthetic build, dedupe, teacher sampling (transformers, tiny model).

    python bench/data_bench.py [--rows 3000] [--prompts 256] [--n 8]

Prints one line per measurement; the figures recorded in bench/README.md come from this script.
"""

import argparse
import random
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000, help="Rows for the synthetic build and the dedupe.")
    parser.add_argument("--prompts", type=int, default=256, help="Teacher prompts.")
    parser.add_argument("--n", type=int, default=8, help="Teacher samples per prompt.")
    args = parser.parse_args()

    from posttrain.tools.data import build_benchmark_dataset
    from posttrain.tools.data.dedupe import find_duplicates
    from posttrain.tools.data.teacher import generate_samples
    from posttrain.tools.tiny_model import build_tiny_model

    out = Path(tempfile.mkdtemp(prefix="posttrain-data-bench-"))
    started = time.perf_counter()
    artifact = build_benchmark_dataset("arithmetic", out / "sft", n=args.rows, fmt="sft", teacher_noise=0.2)
    print(  # noqa: T201 - a bench script reports on stdout
        f"build_benchmark_dataset arithmetic n={args.rows}: {time.perf_counter() - started:.2f} s, "
        f"counts {artifact.counts}, label_accuracy {artifact.label_accuracy:.3f}"
    )

    rng = random.Random(0)
    words = [f"w{i}" for i in range(2000)]
    texts = [" ".join(rng.choices(words, k=60)) for _ in range(args.rows)]
    texts += [t + " extra" for t in texts[:100]]  # 100 planted near duplicates
    started = time.perf_counter()
    found = find_duplicates(texts)
    print(  # noqa: T201 - a bench script reports on stdout
        f"find_duplicates {len(texts)} rows × 60 words: {time.perf_counter() - started:.2f} s, "
        f"{len(found.exact)} exact, {len(found.near)} near (100 planted)"
    )

    model = str(build_tiny_model(out / "tiny"))
    prompts = [f"{rng.randrange(100)}+{rng.randrange(100)}=" for _ in range(args.prompts)]
    result = generate_samples(
        model, prompts, n=args.n, temperature=1.0, max_new_tokens=4, backend="transformers", batch_size=64
    )
    total = args.prompts * args.n
    print(  # noqa: T201 - a bench script reports on stdout
        f"teacher transformers {args.prompts} prompts × n={args.n}, 4 new tokens: "
        f"{result.duration_s:.2f} s ({total / result.duration_s:.0f} samples/s), load {result.load_s:.2f} s"
    )


if __name__ == "__main__":
    main()
