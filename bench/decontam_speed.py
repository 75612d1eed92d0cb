"""Time ``check_contamination`` on 100k training rows against 1k eval items (the issue's target: seconds).

Texts are random words from a 5k-word vocabulary (eval items ~40 words, training rows ~100 words), with 50 eval
items planted in training rows so the check also has real hits to verify.

    python bench/decontam_speed.py [--train 100000] [--eval 1000] [--n 8]
"""

import argparse
import random
import time

from posttrain.tools.evaluation import Item, check_contamination


def make_texts(n_train: int, n_eval: int, seed: int = 0) -> tuple[list[str], list[Item]]:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(5000)]
    evals = [Item(id=str(i), prompt=" ".join(rng.choices(vocab, k=40)), answer="0") for i in range(n_eval)]
    train = [" ".join(rng.choices(vocab, k=100)) for _ in range(n_train)]
    for k in range(50):  # plant 50 eval items, reformatted (upper case, commas)
        train[k * (n_train // 50)] += " " + evals[k * (n_eval // 50)].prompt.upper().replace(" ", ", ")
    return train, evals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=100_000)
    parser.add_argument("--eval", type=int, default=1000)
    parser.add_argument("--n", type=int, default=8)
    args = parser.parse_args()
    train, evals = make_texts(args.train, args.eval)
    words = sum(len(t.split()) for t in train)
    started, cpu = time.perf_counter(), time.process_time()
    report = check_contamination(train, evals, n=args.n)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(  # noqa: T201
        f"{args.train} train rows ({words / 1e6:.1f} M words) x {args.eval} eval items, n={args.n}: "
        f"{elapsed:.2f} s wall, {cpu:.2f} s CPU, "
        f"{len(report.contaminated_eval_ids)} contaminated eval items (50 planted)"
    )


if __name__ == "__main__":
    main()
