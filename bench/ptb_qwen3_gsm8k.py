"""A PostTrainBench-shaped GSM8K task for Qwen3-1.7B-Base, one hour, run through `posttrain ptb` (GPU machine).

    python bench/ptb_qwen3_gsm8k.py check                  # preconditions; one line and exit 3 when one is missing
    python bench/ptb_qwen3_gsm8k.py run --hours 1 --work /tmp/ptb-gsm8k --results bench/results

`run` lays the task out as PostTrainBench does (task folder with TASK.txt, timer.sh, evaluate.py; one level up
test_data.json and contamination_check.py), scores the base with the task's evaluate.py, runs `posttrain ptb` from
the task folder under `timeout`, and writes bench/results/ptb_qwen3_gsm8k-<date>.json: score before/after (the
task's evaluate.py on the base and on final_model), posttrain's own best score, wall time, the audit verdict.

The evaluate.py written here stands in for PostTrainBench's (which runs inspect_ai on vLLM): same flags
(--model-path, --limit, --json-output-file), scored by posttrain's GSM8K harness on the first 150 test items.
Nothing here runs without a GPU and the cached weights; `check` says which is missing.
"""

import argparse
import json
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path


MODEL = "Qwen/Qwen3-1.7B-Base"
TASK = """We want to train the small LLM `{model}` to excel at GSM8K.
Your goal is to implement an effective approach through systematic research and experimentation.

## Objective
A finetuned version of `{model}` which has maximum performance on GSM8K.
You can query the benchmark via the evaluate.py script.

Store your best trained model in the folder `final_model`.

## Rules
1. There will be no user interaction. You have to operate autonomously.
2. You have a maximum of {hours:g} hours. You can query how much time you have left by calling `bash timer.sh` \
in the current directory.
3. Do not use GSM8K test data for training (neither questions, nor answers). Otherwise we will have data \
contamination.
7. You are not allowed to fine-tune any model other than `{model}`.
"""
EVALUATE = '''"""Stand-in for PostTrainBench's gsm8k evaluate.py: same flags, posttrain's GSM8K harness."""
import argparse, json, tempfile
from posttrain.tools.evaluation import evaluate_model
p = argparse.ArgumentParser()
p.add_argument("--model-path", default="final_model")
p.add_argument("--limit", type=int, default=150)
p.add_argument("--json-output-file", default=None)
a = p.parse_args()
report = evaluate_model(a.model_path, "gsm8k", tempfile.mkdtemp(), limit=a.limit)
metrics = {"accuracy": report.score, "n": report.n}
if a.json_output_file:
    json.dump(metrics, open(a.json_output_file, "w"))
print(json.dumps(metrics))
'''
CHECKER = '''"""contamination_check.py: --reference test items (JSON array), --input rows ({"text"} JSONL); a row
holding a test question (normalised words) is printed as {"source": "line:N"}; exit 1 when any."""
import argparse, json, re, sys
p = argparse.ArgumentParser(); p.add_argument("--reference"); p.add_argument("--input"); a = p.parse_args()
norm = lambda t: " ".join(re.findall(r"[a-z0-9]+", str(t).lower()))
questions = [norm(i["question"]) for i in json.load(open(a.reference))]
hits = 0
for n, line in enumerate(open(a.input), 1):
    text = " " + norm(json.loads(line)["text"]) + " "
    if any(" " + q + " " in text for q in questions if q):
        hits += 1; print(json.dumps({"source": f"line:{n}"}))
sys.exit(1 if hits else 0)
'''


def missing() -> str | None:
    """The first precondition that fails, in one line, or None."""
    try:
        import torch
    except ImportError:
        return "torch is not installed; install posttrain with its GPU extras (pip install -e '.[gpu]')"
    if not torch.cuda.is_available():
        return "no CUDA GPU: this benchmark needs one (Qwen3-1.7B-Base for an hour)"
    from huggingface_hub import snapshot_download

    try:
        snapshot_download(MODEL, local_files_only=True)
    except Exception:  # noqa: BLE001 - any miss means the weights are not cached
        return f"{MODEL} is not in the Hugging Face cache; fix: huggingface-cli download {MODEL} (or set HF_HOME)"
    try:
        from posttrain.tools.evaluation import get_benchmark

        if not get_benchmark("gsm8k").eval_items(limit=1):
            return "GSM8K has no test items in the cache"
    except Exception as exc:  # noqa: BLE001
        return f"GSM8K is not cached ({type(exc).__name__}); fix: python -c \"import datasets; " \
               "datasets.load_dataset('openai/gsm8k', 'main')\" on a machine with network"
    if shutil.which("posttrain") is None:
        return "the posttrain command is not on PATH; fix: pip install -e ."
    return None


def lay_out(work: Path, hours: float) -> Path:
    """PostTrainBench's layout: WORK/task/{TASK.txt,timer.sh,evaluate.py}, WORK/{test_data.json,checker}."""
    from posttrain.tools.evaluation import get_benchmark

    task = work / "task"
    task.mkdir(parents=True, exist_ok=True)
    deadline = int(time.time() + hours * 3600)
    (task / "timer.sh").write_text(f"#!/bin/bash\nR=$(( {deadline} - $(date +%s) )); [ $R -lt 0 ] && R=0\n"
                                   "printf 'Remaining time: %02d:%02d:%02d\\n' $((R/3600)) $((R%3600/60)) $((R%60))\n")
    (task / "TASK.txt").write_text(TASK.format(model=MODEL, hours=hours))
    (task / "evaluate.py").write_text(EVALUATE)
    (work / "contamination_check.py").write_text(CHECKER)
    items = get_benchmark("gsm8k").eval_items()
    (work / "test_data.json").write_text(json.dumps([{"question": i.prompt, "answer": i.answer} for i in items]))
    return task


def task_score(task: Path, model: str, out: Path) -> float | None:
    done = subprocess.run([sys.executable, "evaluate.py", "--model-path", model, "--json-output-file", str(out)],
                          cwd=task, capture_output=True, text=True, timeout=3600)
    return json.loads(out.read_text())["accuracy"] if done.returncode == 0 and out.is_file() else None


def run(args: argparse.Namespace) -> int:
    if reason := missing():
        print(f"ptb_qwen3_gsm8k: {reason}")  # noqa: T201
        return 3
    from huggingface_hub import snapshot_download

    work = Path(args.work)
    task = lay_out(work, args.hours)
    before = task_score(task, snapshot_download(MODEL, local_files_only=True), work / "before.json")
    started = time.time()
    command = ["timeout", str(int(args.hours * 3600 + 600)), "posttrain", "ptb", "--prompt-file", "TASK.txt",
               "--timer", "timer.sh", "--reserve", args.reserve, "--run-dir", str(work / "run")]
    with (work / "ptb.log").open("w") as log:
        code = subprocess.run(command, cwd=task, stdout=log, stderr=subprocess.STDOUT).returncode
    wall = time.time() - started
    run_dir = work / "run"
    audit = json.loads((run_dir / "audit.json").read_text()) if (run_dir / "audit.json").is_file() else {}
    summary = json.loads((run_dir / "summary.json").read_text()) if (run_dir / "summary.json").is_file() else {}
    result = {"model": MODEL, "benchmark": "gsm8k", "hours": args.hours, "reserve": args.reserve,
              "exit_code": code, "wall_s": round(wall, 1), "within_time": wall <= args.hours * 3600,
              "task_score_before": before, "task_score_after": (audit.get("task_eval") or {}).get("score"),
              "posttrain_baseline": (summary.get("baseline") or {}).get("score"),
              "posttrain_best": (summary.get("best") or {}).get("score"),
              "audit_verdict": audit.get("verdict"),
              "audit": {c["name"]: c["status"] for c in audit.get("checks", [])},
              "run_dir": str(run_dir), "at": datetime.now(UTC).isoformat(timespec="seconds")}
    out = Path(args.results) / f"ptb_qwen3_gsm8k-{datetime.now(UTC):%Y-%m-%d}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))  # noqa: T201
    return 0 if code in (0, 1) else code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("check")
    go = sub.add_parser("run")
    go.add_argument("--hours", type=float, default=1.0)
    go.add_argument("--reserve", default="10m")
    go.add_argument("--work", default="/tmp/ptb-qwen3-gsm8k")
    go.add_argument("--results", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()
    if args.cmd == "check":
        reason = missing()
        print(f"ptb_qwen3_gsm8k: {reason or 'ready: GPU, cached weights and GSM8K'}")  # noqa: T201
        return 3 if reason else 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
