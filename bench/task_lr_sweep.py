"""The tiny model's full-fine-tuning learning rate on tasks outside the repository's generators: SFT 300 steps at
batch 64 on each task of tests/fixtures/tasks (digit sorting, word reversal in chat messages, swap-case from a
Hub-layout folder), at each learning rate, scored greedy on the held-out items with the path the team uses
(`build_dataset` → `run_training` → `evaluate_model`, the chat template where the data is chat-formatted).

    python bench/task_lr_sweep.py --out bench/results/task_lr_sweep-$(date +%F).json [--lrs 1e-2 3e-3]
"""

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]


def one(task: str, files, lr: float, work: Path, base: str) -> dict:
    from posttrain.tools.data import build_dataset, compose_build_spec, find_sources
    from posttrain.tools.evaluation import evaluate_model, get_benchmark
    from posttrain.tools.training import SFTSpec, run_training

    bench = get_benchmark(str(files.bench))
    found = find_sources(bench, fmt="sft", train_data=[str(files.train)], hub_search=False)
    spec = compose_build_spec(found, fmt="sft", n_rows=100_000, benchmark_spec=bench.spec)
    data = build_dataset(spec, work / f"{task}-data")
    started = time.monotonic()
    result = run_training(SFTSpec(base_model=base, dataset=data.path, max_steps=300, learning_rate=lr, batch_size=64,
                                  max_length=128, seed=0), work / f"{task}-{lr:g}", project="lr-sweep",
                          run_name=f"{task}-{lr:g}")
    report = evaluate_model(result.checkpoint, bench, work / f"{task}-{lr:g}-eval")
    return {"task": task, "lr": lr, "rows": data.n_rows, "steps": 300, "batch": 64, "score": report.score,
            "n": report.n, "ci95": list(report.ci95), "first_loss": result.summary.get("first_loss"),
            "last_loss": result.summary.get("last_loss"), "train_s": round(time.monotonic() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--lrs", type=float, nargs="+", default=[1e-2, 3e-3])
    options = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from posttrain.tools.tiny_model import build_tiny_model
    from tests.fixtures.tasks.make_tasks import write_hub_layout_task, write_messages_task, write_qa_task

    work = Path(tempfile.mkdtemp(prefix="posttrain-lr-sweep-"))
    base = str(build_tiny_model(work / "base-model"))
    tasks = {"sort-digits (qa jsonl)": write_qa_task(work / "qa", n_train=2000, n_eval=300, seed=0),
             "reverse-word (messages)": write_messages_task(work / "messages", n_train=2000, n_eval=300, seed=0),
             "swap-case (hub folder)": write_hub_layout_task(work / "hub", n_train=2000, n_eval=300, seed=0)}
    rows = []
    for task, files in tasks.items():
        for lr in options.lrs:
            rows.append(one(task.split(" ")[0], files, lr, work, base))
            print(json.dumps(rows[-1]), flush=True)  # noqa: T201 - a bench script reports
    import torch

    Path(options.out).write_text(json.dumps({"script": "bench/task_lr_sweep.py", "date": str(date.today()),
                                             "machine": "2 CPU cores", "torch": torch.__version__, "runs": rows},
                                            indent=2))


if __name__ == "__main__":
    main()
