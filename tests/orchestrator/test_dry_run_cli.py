"""`posttrain run GOAL --dry-run [--json]` through the real entry point: how the goal sentence is read (benchmark,
base model, target, budget), flags overriding the text, the first plan printed, and nothing created or loaded."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from posttrain.orchestrator.cli import main


@pytest.fixture
def items_file(tmp_path) -> Path:
    """A small user benchmark: question/answer rows."""
    path = tmp_path / "items.jsonl"
    rows = [{"question": f"What is {a} + {a}?", "answer": str(2 * a)} for a in range(1, 13)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def dry_run_json(capsys, goal: str, *flags: str) -> dict:
    code = main(["run", goal, *flags, "--dry-run", "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert out.err.strip() == "", out.err
    return json.loads(out.out)


def assert_first_plan(plan: dict) -> None:
    assert plan["method"] in {"sft", "grpo", "rft", "dpo"}
    assert plan["max_steps"] > 0 and plan["learning_rate"] > 0 and plan["n_train"] > 0
    assert plan["rationale"].strip()


# goal → (benchmark, base_model, target, time_budget_s, items or None)
GOALS = [
    ("Improve Qwen/Qwen3-1.7B-Base on GSM8K to 30% within 2 hours", "gsm8k", "Qwen/Qwen3-1.7B-Base", 0.30, 7200, 1319),
    ("Teach the base model 2-digit multiplication", "arithmetic:digits=2,ops=*", "tiny", None, None, None),
    ("Teach the base model 3-digit addition", "arithmetic:digits=3,ops=+", "tiny", None, None, None),
    ("Teach the base model a Caesar shift", "caesar", "tiny", None, None, None),
    ("Improve on GPQA diamond to 40%", "gpqa:diamond", "tiny", 0.40, None, 198),
    ("Get HumanEval pass@1 above 50% in 30 minutes", "humaneval", "tiny", 0.50, 1800, 164),
    ("Reach 60% on MATH-500", "math500", "tiny", 0.60, None, 500),
    ("Improve meta-llama/Llama-3.2-1B on gsm8k to 0.45 within 90 minutes", "gsm8k", "meta-llama/Llama-3.2-1B", 0.45,
     5400, 1319),
    ("Push Qwen/Qwen3-4B-Base on AIME 2025 from 3% to 10% in 10 GPU-hours", "aime2025", "Qwen/Qwen3-4B-Base", 0.10,
     36000, 30),
    ("Train the model to do 4-digit subtraction to 90% accuracy", "arithmetic:digits=4,ops=-", "tiny", 0.90, None,
     None),
]


@pytest.mark.parametrize("goal, bench, base_model, target, budget, items", GOALS, ids=[g[0][:40] for g in GOALS])
def test_goal_sentence_is_read(capsys, goal, bench, base_model, target, budget, items):
    result = dry_run_json(capsys, goal)
    objective = result["objective"]
    assert objective["goal"] == goal
    assert objective["benchmark"] == bench
    assert objective["benchmark_from"] == "goal"
    assert objective["base_model"] == base_model
    assert objective["base_model_from"] == ("default" if base_model == "tiny" else "goal")
    assert objective["target"] == (pytest.approx(target) if target is not None else None)
    if budget is not None:
        assert objective["time_budget_s"] == pytest.approx(budget)
    else:  # a goal silent on time gets the default, and the reading says how it was derived
        assert objective["time_budget_s"] == 1800 and objective["compute_note"].startswith("default")
        assert any(line.startswith("time budget 30 min: default") for line in objective["reading"])
    if items is not None:
        assert objective["benchmark_items"] == items
    assert objective["reading"], "each field read must say where it came from"
    assert any(line.startswith(f"benchmark {bench}") for line in objective["reading"])
    assert_first_plan(result["first_plan"])


def test_local_jsonl_benchmark_in_the_goal(capsys, items_file):
    result = dry_run_json(capsys, f"Reach 80% on {items_file} within 1.5 hours")
    objective = result["objective"]
    assert Path(objective["benchmark"]) == items_file.resolve()
    assert objective["benchmark_from"] == "goal"
    assert objective["benchmark_items"] == 12
    assert objective["target"] == pytest.approx(0.80)
    assert objective["time_budget_s"] == pytest.approx(5400)
    assert objective["base_model"] == "tiny"
    assert_first_plan(result["first_plan"])


def test_flags_override_the_text(capsys, items_file):
    goal = "Improve Qwen/Qwen3-1.7B-Base on GSM8K to 30% within 2 hours"
    result = dry_run_json(capsys, goal, "--benchmark", "math500", "--target", "0.55", "--time-budget", "45m",
                          "--base-model", "Qwen/Qwen3-0.6B")
    objective = result["objective"]
    assert objective["benchmark"] == "math500" and objective["benchmark_from"] == "flag"
    assert objective["benchmark_items"] == 500
    assert objective["base_model"] == "Qwen/Qwen3-0.6B" and objective["base_model_from"] == "flag"
    assert objective["target"] == pytest.approx(0.55)
    assert objective["time_budget_s"] == pytest.approx(2700)
    reading = "\n".join(objective["reading"])
    for flag, old in [("--benchmark", "gsm8k"), ("--base-model", "Qwen/Qwen3-1.7B-Base"), ("--target", "0.3"),
                      ("--time-budget 45m", "7200")]:
        assert flag in reading and old in reading and "overridden" in reading, (flag, reading)
    assert_first_plan(result["first_plan"])

    # a file benchmark by flag, on a goal that names none
    result = dry_run_json(capsys, "Make the model better at doubling numbers", "--benchmark", str(items_file))
    assert result["objective"]["benchmark_from"] == "flag"
    assert Path(result["objective"]["benchmark"]).resolve() == items_file.resolve()
    assert result["objective"]["benchmark_items"] == 12


def test_human_reading_without_json(capsys):
    code = main(["run", "Improve Qwen/Qwen3-1.7B-Base on GSM8K to 30% within 2 hours", "--dry-run"])
    out = capsys.readouterr()
    assert code == 0 and out.err.strip() == ""
    lines = out.out.splitlines()
    assert lines[0].startswith("benchmark   gsm8k (1319 items; from the goal)")
    assert any(line.startswith("base model  Qwen/Qwen3-1.7B-Base (from the goal)") for line in lines)
    assert any(line.startswith("target      30%") for line in lines)
    assert any(line.startswith("budget      2h") for line in lines)
    assert lines[-1].startswith("first plan: ") and ", because " in lines[-1]
    with pytest.raises(json.JSONDecodeError):
        json.loads(out.out)


def test_goal_naming_no_benchmark_is_one_line_exit_2(tmp_path, capsys):
    run_dir = tmp_path / "run"
    for extra in ([], ["--json"]):
        code = main(["run", "Make my model smarter at everything", "--dry-run", *extra, "--run-dir", str(run_dir)])
        out = capsys.readouterr()
        assert code == 2
        err = out.err.strip()
        assert len(err.splitlines()) == 1, err
        assert err.startswith("error: ") and "no benchmark" in err and "--benchmark" in err
        assert "Traceback" not in out.err + out.out
        assert out.out == ""
        assert not run_dir.exists()


def test_dry_run_creates_nothing_and_never_imports_torch(tmp_path, items_file):
    """In a fresh interpreter (so an earlier test's imports cannot hide one): several dry runs, human and JSON, with
    and without --run-dir; afterwards torch is not imported and neither the run dirs nor ./runs exist."""
    work = tmp_path / "cwd"
    work.mkdir()
    explicit = tmp_path / "explicit-run"
    script = textwrap.dedent(f"""
        import json, sys
        from posttrain.orchestrator.cli import main
        codes = [
            main(["run", "Improve Qwen/Qwen3-1.7B-Base on GSM8K to 30% within 2 hours", "--dry-run", "--json"]),
            main(["run", "Teach the base model 2-digit multiplication", "--dry-run"]),
            main(["run", "Reach 80% on {items_file}", "--dry-run", "--json", "--run-dir", {str(explicit)!r}]),
            main(["run", "Teach the base model a Caesar shift", "--dry-run", "--base-model", "Qwen/Qwen3-0.6B"]),
        ]
        heavy = sorted(m for m in ("torch", "transformers", "trl", "ray", "vllm") if m in sys.modules)
        print("RESULT " + json.dumps({{"codes": codes, "torch": "torch" in sys.modules, "heavy": heavy}}))
    """)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "POSTTRAIN_OFFLINE": "1",
           "RAY_USAGE_STATS_ENABLED": "0"}
    proc = subprocess.run([sys.executable, "-c", script], cwd=work, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(next(line for line in proc.stdout.splitlines() if line.startswith("RESULT "))[7:])
    assert result["codes"] == [0, 0, 0, 0]
    assert result["torch"] is False, f"--dry-run imported torch (heavy modules: {result['heavy']})"
    assert not explicit.exists()
    assert list(work.iterdir()) == [], "--dry-run created files in the working directory (e.g. runs/)"
    assert "first plan: " in proc.stdout and '"first_plan"' in proc.stdout
