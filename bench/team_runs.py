"""The whole team on the commands the README shows, as a user runs them: `posttrain run …` in a subprocess each,
with wall time, peak memory of the process tree and the scores from summary.json, written as one JSON file.

    python bench/team_runs.py --out bench/results/team_runs-$(date +%F).json            # all runs
    python bench/team_runs.py --only user-sort --out /tmp/one.json                       # one of them

Runs: the README's main command (3-digit addition), a user's own data (digit sorting from a question/answer JSONL
with planted eval copies, written by tests/fixtures/tasks), and the noisy-teacher Caesar task. Offline playbook, tiny
model, local Ray; CPU only.
"""

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]


def runs(work: Path) -> dict[str, list[str]]:
    sys.path.insert(0, str(ROOT))
    from tests.fixtures.tasks.make_tasks import write_qa_task

    sort = write_qa_task(work / "sort-task", n_train=2000, n_eval=300, seed=0, planted=12)
    return {
        "readme-addition": ["Teach the base model 3-digit addition", "--max-iterations", "2"],
        "user-sort": ["Teach the base model to sort digits, largest first", "--benchmark", str(sort.eval),
                      "--train-data", str(sort.train), "--max-iterations", "1"],
        "noisy-caesar": ["Teach the base model a Caesar shift from a noisy teacher", "--benchmark", "caesar",
                         "--teacher-noise", "0.7", "--max-iterations", "2"],
    }


def run_one(name: str, args: list[str], work: Path) -> dict:
    run_dir = work / name
    command = [sys.executable, "-m", "posttrain.orchestrator.cli", "run", *args, "--run-dir", str(run_dir)]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.monotonic() - started
    summary = json.loads((run_dir / "summary.json").read_text()) if (run_dir / "summary.json").exists() else {}
    iterations = []
    for it in summary.get("iterations", [])[1:]:
        plan, comparison = it.get("plan") or {}, it.get("comparison") or {}
        iterations.append({
            "method": plan.get("method"), "epochs": plan.get("epochs"), "learning_rate": plan.get("learning_rate"),
            "steps": (it.get("training") or {}).get("steps"), "adopted_from": plan.get("adopted_from"),
            "score": next(iter(it.get("scores", {}).values()), None), "ci95": it.get("ci95"),
            "diff": comparison.get("diff"), "p_value": comparison.get("p_value"),
            "label_accuracy": it["data"].get("label_accuracy"),
            "contamination_dropped": it["data"].get("contamination_dropped"), "decoding": it.get("decoding"),
        })
    return {"command": ["posttrain", "run", *args], "exit_code": done.returncode, "wall_s": round(wall, 1),
            "status": summary.get("status"), "baseline": (summary.get("baseline") or {}).get("score"),
            "best": summary.get("best"), "iterations": iterations,
            "stderr_tail": done.stderr[-600:] if done.returncode else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="JSON file to write")
    parser.add_argument("--only", action="append", help="run only these (repeatable)")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="posttrain-team-runs-"))
    results = {}
    for name, args in runs(work).items():
        if options.only and name not in options.only:
            continue
        results[name] = run_one(name, args, work)
        print(name, json.dumps(results[name])[:400], flush=True)  # noqa: T201 - a script's progress
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    import torch

    record = {"date": str(date.today()), "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, "
              "2 cores", "torch": torch.__version__, "peak_rss_mb_largest_child": round(peak_mb),
              "work_dir": str(work), "runs": results}
    Path(options.out).parent.mkdir(parents=True, exist_ok=True)
    Path(options.out).write_text(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
