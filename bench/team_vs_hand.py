"""The team against a hand-set long SFT run, on small user tasks that need many passes over a few hundred rows.

    python bench/team_vs_hand.py --out bench/results/team_vs_hand-$(date +%F).json          # all three tasks
    python bench/team_vs_hand.py --only multiply --out /tmp/one.json

Per task (tests/fixtures/tasks/small_tasks.py, 560 train rows, 150 eval items): the team runs
`posttrain run GOAL --benchmark eval.jsonl --train-data train.jsonl --max-iterations 2` (offline playbook, tiny
model, local Ray) in a subprocess; then the hand recipe — SFT for 1,500 steps at batch 64, cosine, the team's own
learning-rate rule, on every row the team's build kept (its train and validation splits together) from the same
base model — runs through the same `run_training` and is scored by the same `evaluate_model` on the same items. The
paired test (McNemar, `compare_reports`) compares the team's best checkpoint with the hand recipe's. Wall time: the
whole team run (baseline, data build, debates, training, evaluations) against the hand run's training + eval.
"""

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
HAND_STEPS, HAND_BATCH = 1500, 64


def run_team(goal: str, files, run_dir: Path, iterations: int) -> dict:
    command = [sys.executable, "-m", "posttrain.orchestrator.cli", "run", goal, "--benchmark", str(files.eval),
               "--train-data", str(files.train), "--max-iterations", str(iterations), "--run-dir", str(run_dir)]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.monotonic() - started
    summary = json.loads((run_dir / "summary.json").read_text())
    state = json.loads((run_dir / "state.json").read_text())
    best_it = summary["best"]["iteration"]
    record = next(it for it in state["ledger"]["iterations"] if it["index"] == best_it)
    plans = [{"method": (it.get("plan") or {}).get("method"), "learning_rate": (it.get("plan") or {}).get(
        "learning_rate"), "init_from": (it.get("plan") or {}).get("init_from"),
        "steps": (it.get("training") or {}).get("steps"), "score": next(iter(it.get("scores", {}).values()), None),
        "findings": it.get("findings"), "decision": it.get("decision"), "duration_s": it.get("duration_s")}
        for it in summary["iterations"][1:]]
    return {"exit_code": done.returncode, "wall_s": round(wall, 1), "score": summary["best"]["score"],
            "best_iteration": best_it, "report": record["evaluation"]["report"], "iterations": plans,
            "stderr_tail": done.stderr[-600:] if done.returncode else ""}


def hand_data(run_dir: Path, out: Path) -> tuple[Path, int]:
    """Every row the team's first build kept (train + validation splits), as one JSONL."""
    import pyarrow.parquet as pq

    data = sorted((run_dir / "artifacts" / "1").glob("data*/*.parquet"))
    rows = [row for path in data if not path.name.endswith("-test.parquet") for row in pq.read_table(path).to_pylist()]
    out.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return out, len(rows)


def run_hand(base_model: str, data: Path, bench: str, out: Path, steps: int = HAND_STEPS) -> dict:
    from posttrain.tools.evaluation import evaluate_model
    from posttrain.tools.training import SFTSpec, run_training
    from posttrain.tools.training.sizing import model_size, sft_learning_rate

    started = time.monotonic()
    lr = sft_learning_rate(model_size(base_model))
    result = run_training(SFTSpec(base_model=base_model, dataset=str(data), max_steps=steps,
                                  batch_size=HAND_BATCH, learning_rate=lr), out / "train", project="hand",
                          run_name=out.name)
    report = evaluate_model(result.checkpoint, bench, out / "eval")
    return {"wall_s": round(time.monotonic() - started, 1), "score": report.score, "steps": steps,
            "learning_rate": lr, "report": report.path}


def compare_one(name: str, work: Path, iterations: int = 2, n_train: int = 560, hand_steps: int = HAND_STEPS) -> dict:
    """Team then hand recipe on task `name`; the paired test is team minus hand on the same eval items."""
    sys.path.insert(0, str(ROOT))
    from posttrain.tools.evaluation import compare_reports
    from tests.fixtures.tasks.small_tasks import GOALS, write_small_task

    files = write_small_task(name, work / f"{name}-task", n_train=n_train, n_eval=150, seed=0)
    team = run_team(GOALS[name], files, work / f"{name}-team", iterations)
    data, rows = hand_data(work / f"{name}-team", work / f"{name}-hand.jsonl")
    hand = run_hand(str(work / f"{name}-team" / "base-model"), data, str(files.eval), work / f"{name}-hand",
                    steps=hand_steps)
    c = compare_reports(hand["report"], team["report"])
    return {"rows": rows, "team": team, "hand": hand,
            "team_minus_hand": {"diff": c.diff, "ci95": list(c.ci95), "p_value": c.p_value,
                                "significant": c.significant}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="JSON file to write")
    parser.add_argument("--only", action="append", help="run only these tasks (repeatable)")
    parser.add_argument("--max-iterations", type=int, default=2, help="the team's iterations")
    parser.add_argument("--n-train", type=int, default=560, help="training rows per task")
    parser.add_argument("--hand-steps", type=int, default=HAND_STEPS, help="the hand recipe's SFT steps")
    options = parser.parse_args()
    from tests.fixtures.tasks.small_tasks import SMALL_TASKS

    work = Path(tempfile.mkdtemp(prefix="posttrain-team-vs-hand-"))
    results = {}
    for name in SMALL_TASKS:
        if options.only and name not in options.only:
            continue
        results[name] = compare_one(name, work, options.max_iterations, options.n_train, options.hand_steps)
        print(name, json.dumps(results[name])[:600], flush=True)  # noqa: T201 - a script's progress
        record = {"date": str(date.today()), "finished": datetime.now(UTC).isoformat(timespec="seconds"),
                  "machine": f"{platform.machine()} CPU, 2 cores shared with other work (load varies)",
                  "work_dir": str(work), "hand_recipe": f"SFT {options.hand_steps} steps, batch {HAND_BATCH}, cosine",
                  "tasks": results}
        Path(options.out).parent.mkdir(parents=True, exist_ok=True)
        Path(options.out).write_text(json.dumps(record, indent=2))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
