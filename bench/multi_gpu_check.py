"""Ray Train data-parallel SFT on 2+ GPUs (DDP through `run_training(num_gpus=N)`), against one GPU on the same data
and global batch; where the machine has fewer than 2 GPUs, or no ray, it writes a skip record with the reason.

    python bench/multi_gpu_check.py --out bench/results/multi_gpu-DATE.json        # on the GPU machine
"""

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).parent))
from throughput_setup import SIZES, build_bench_model, make_documents, write_record  # noqa: E402


def visible_gpus() -> int:
    """GPUs `nvidia-smi -L` lists (0 without the tool)."""
    if shutil.which("nvidia-smi") is None:
        return 0
    listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, check=False).stdout
    return sum(1 for line in listing.splitlines() if line.startswith("GPU "))


def skip_reason(gpus: int) -> str | None:
    if gpus < 2:
        return f"nvidia-smi -L lists {gpus} GPU(s); the data-parallel check needs 2 or more"
    if importlib.util.find_spec("ray") is None:
        return "ray is not installed here (its wheel is over the device tool's 64 MiB carry limit); install ray[train]"
    return None


def run_pair(size: str, gpus: int, steps: int, workdir: Path) -> dict:
    from posttrain.tools.training import SFTSpec, run_training

    model_dir = build_bench_model(workdir / f"model-{size}", size)
    data = workdir / "multi-gpu-docs.jsonl"
    data.write_text("".join(json.dumps({"text": d}) + "\n" for d in make_documents(800, 64, 1024, SIZES[size][5])))
    common = dict(base_model=str(model_dir), dataset=str(data), max_steps=steps, logging_steps=1, learning_rate=3e-4,
                  batch_size=8 * gpus, max_length=2048, trl_overrides={"report_to": "none"})
    rows = {}
    for n in (1, gpus):
        start = time.perf_counter()
        result = run_training(SFTSpec(**common, num_gpus=n), workdir / f"multi-gpu-{n}", project="bench",
                              run_name=f"gpus-{n}")
        rows[n] = {"gpus": n, "status": result.status, "error": result.error, "wall_s": round(
            time.perf_counter() - start, 1), "losses": [r["loss"] for r in result.metrics if "loss" in r],
                   "resolved": result.spec.get("resolved")}
    one, many = rows[1]["losses"], rows[gpus]["losses"]
    gap = max((abs(a - b) / abs(a) for a, b in zip(one, many, strict=False)), default=None)
    return {"variant": "ray_train_ddp", "gpus": gpus, "runs": list(rows.values()), "max_relative_loss_gap": gap}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="335m")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--workdir", default="/tmp/posttrain-bench")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    gpus = visible_gpus()
    reason = skip_reason(gpus)
    row = {"variant": "ray_train_ddp", "gpus": gpus, "skipped": reason} if reason else run_pair(
        args.size, gpus, args.steps, Path(args.workdir))
    print(json.dumps(row), flush=True)  # noqa: T201 - bench output
    if args.out:
        write_record(args.out, "multi_gpu_check", [row])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
