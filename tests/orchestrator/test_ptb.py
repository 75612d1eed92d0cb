"""PostTrainBench mode: the task text read into a run, the time left, atomic packaging of final_model, and the
audit's five checks, each shown to catch its planted violation. The end-to-end runs (slow) go through the real
`posttrain ptb` on a PostTrainBench-shaped task folder: a timer, a checker, test data and a task the tiny model
learns in a minute."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from posttrain.orchestrator.ptb.audit_data import check_contamination_of_run
from posttrain.orchestrator.ptb.audit_model import check_identity, check_packaging
from posttrain.orchestrator.ptb.audit_sources import blocked_term, check_benchmark_lookup, check_hosted_api
from posttrain.orchestrator.ptb.package import Packager, package_model, packaged_source, recover
from posttrain.orchestrator.ptb.task import parse_task
from posttrain.orchestrator.ptb.timing import parse_remaining, read_remaining
from posttrain.tools.errors import ConfigError
from tests.fixtures.tasks.make_tasks import write_qa_task


REPO = Path(__file__).resolve().parents[2]
PTB_TEMPLATE = """We want to train the small LLM `{model}` to excel at {benchmark}.
Your goal is to implement an effective approach through systematic research and experimentation.

## Objective
A finetuned version of `{model}` which has maximum performance on {benchmark}.
You can query the benchmark via the evaluate.py script.

Store your best trained model in the folder `final_model`.

## Rules
1. There will be no user interaction. You have to operate autonomously.
2. You have a maximum of {hours} hours. You can query how much time you have left by calling `bash timer.sh` \
in the current directory.
3. Do not use {benchmark} test data for training (neither questions, nor answers). Otherwise we will have data \
contamination.
7. You are not allowed to fine-tune any model other than `{model}`.
"""

CHECKER = '''\
"""A task's contamination checker: --reference test items (JSON array), --input rows ({"text"} JSONL).
Prints {"source": "line:N"} per row holding a test question (normalised words); exit 1 when any."""
import argparse, json, re, sys
parser = argparse.ArgumentParser()
parser.add_argument("--reference", required=True)
parser.add_argument("--input", required=True)
args = parser.parse_args()
norm = lambda t: " ".join(re.findall(r"[a-z0-9]+", str(t).lower()))
questions = [norm(item["question"]) for item in json.load(open(args.reference))]
found = 0
for n, line in enumerate(open(args.input), start=1):
    text = " " + norm(json.loads(line)["text"]) + " "
    if any(" " + q + " " in text for q in questions if q):
        found += 1
        print(json.dumps({"source": f"line:{n}"}))
sys.exit(1 if found else 0)
'''


def make_task_folder(root: Path, model: Path, *, seconds: int, n_train: int = 1200, n_eval: int = 150) -> Path:
    """A PostTrainBench-shaped task folder: TASK.txt, timer.sh (counts down from `seconds`), evaluate.py, and one
    level up (the agent's home, as PostTrainBench lays it out) contamination_check.py and test_data.json."""
    files = write_qa_task(root / "data", n_train=n_train, n_eval=n_eval, seed=0)
    task = root / "task"
    task.mkdir(parents=True)
    deadline = int(time.time()) + seconds
    (task / "timer.sh").write_text(f"#!/bin/bash\nR=$(( {deadline} - $(date +%s) )); [ $R -lt 0 ] && R=0\n"
                                   "printf 'Remaining time: %02d:%02d:%02d\\n' $((R/3600)) $((R%3600/60)) $((R%60))\n")
    shutil.copyfile(REPO / "tests" / "fixtures" / "tasks" / "ptb_evaluate.py", task / "evaluate.py")
    (root / "contamination_check.py").write_text(CHECKER)
    rows = [json.loads(line) for line in files.eval.read_text().splitlines()]
    test_data = [{"question": r["question"], "answer": r["answer"]} for r in rows]
    (root / "test_data.json").write_text(json.dumps(test_data))
    text = PTB_TEMPLATE.format(model=model, benchmark=files.eval, hours=f"{seconds / 3600:.2f}")
    text += f"\nTraining data you may use: `{files.train}`\n"
    (task / "TASK.txt").write_text(text)
    return task


# --- the task text ----------------------------------------------------------------------------------------------

def test_parse_posttrainbench_prompt_for_a_registry_benchmark(tmp_path):
    (tmp_path / "timer.sh").write_text("echo 09:59:00\n")
    (tmp_path / "evaluate.py").write_text("")
    (tmp_path.parent / "contamination_check.py").write_text("")
    text = PTB_TEMPLATE.format(model="Qwen/Qwen3-1.7B-Base", benchmark="GSM8K", hours=10)
    task = parse_task(text, tmp_path)
    assert (task.base_model, task.benchmark, task.hours, task.output_dir) == ("Qwen/Qwen3-1.7B-Base", "gsm8k", 10.0,
                                                                              "final_model")
    assert task.timer == str((tmp_path / "timer.sh").resolve())
    assert task.eval_script.endswith("evaluate.py") and task.checker.endswith("contamination_check.py")
    assert task.test_data is None


@pytest.mark.parametrize(("named", "spec"), [("AIME 2025", "aime2025"), ("GPQA", "gpqa"),
                                                 ("HumanEval", "humaneval"), ("HealthBench", None)])
def test_parse_benchmarks_and_models(tmp_path, named, spec):
    text = PTB_TEMPLATE.format(model="HuggingFaceTB/SmolLM3-3B-Base", benchmark=named, hours=5)
    task = parse_task(text, tmp_path)
    assert task.base_model == "HuggingFaceTB/SmolLM3-3B-Base" and task.hours == 5.0
    assert task.benchmark == spec and task.benchmark_name == named


def test_parse_other_wording_and_flags(tmp_path):
    text = ("Fine-tune `google/gemma-3-4b-pt` for maximum performance on GSM8K. Put the result in the folder "
            "`out_model`. Time limit: 90 minutes.")
    task = parse_task(text, tmp_path)
    assert (task.base_model, task.benchmark, task.output_dir, task.hours) == ("google/gemma-3-4b-pt", "gsm8k",
                                                                              "out_model", 1.5)
    assert parse_task(text, tmp_path, benchmark="humaneval").benchmark == "humaneval"
    with pytest.raises(ConfigError, match="--base-model"):
        parse_task("Make the model good at GSM8K.", tmp_path)


def test_remaining_time_from_timer_file_and_hours(tmp_path):
    assert parse_remaining("Remaining time: 01:02:03") == 3723
    assert parse_remaining("Remaining time (hours:minutes): 9:32") == 9 * 3600 + 32 * 60
    assert parse_remaining("5400\n") == 5400 and parse_remaining("1h 30m") == 5400
    assert parse_remaining("Timer expired!") == 0
    timer = tmp_path / "timer.sh"
    timer.write_text("echo 00:03:00\n")
    assert read_remaining(str(timer)) == (180.0, f"`bash {timer}`")
    secs = tmp_path / "remaining_secs"
    secs.write_text("240\n")
    assert read_remaining(None, str(secs))[0] == 240.0
    assert read_remaining(None, None, hours=2, default_files=False)[0] == 7200.0
    with pytest.raises(ConfigError, match="--timer"):
        read_remaining(None, None, None, default_files=False)


# --- packaging --------------------------------------------------------------------------------------------------

def test_package_swaps_atomically_and_keeps_the_previous_on_failure(tmp_path, tiny_model_path):
    out = tmp_path / "final_model"
    package_model(tiny_model_path, out, info={"iteration": 0})
    assert packaged_source(out)["iteration"] == 0 and (out / "generation_config.json").is_file()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    packager = Packager(out, str(tiny_model_path))
    assert not packager.package(str(broken)) and "lacks" in packager.errors[0]
    assert packaged_source(out)["iteration"] == 0  # the previous package is untouched
    package_model(tiny_model_path, out, info={"iteration": 2})
    assert packaged_source(out)["iteration"] == 2
    assert not list(tmp_path.glob(".final_model.*"))
    # a kill between the fallback's two renames: recover() puts the previous package back
    os.rename(out, tmp_path / ".final_model.old-1-1")
    recover(out)
    assert packaged_source(out)["iteration"] == 2


# --- the audit's checks, each with its planted violation ----------------------------------------------------------

def _run_with_data(tmp_path: Path, rows: list[dict]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = tmp_path / "run" / "artifacts" / "1" / "data"
    data.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), data / "train-sft.parquet")
    return tmp_path / "run"


def _eval_items(tmp_path: Path):
    from posttrain.tools.evaluation import get_benchmark

    files = write_qa_task(tmp_path / "qa", n_train=50, n_eval=40, seed=1)
    return files, list(get_benchmark(str(files.eval)).eval_items())


def test_clean_training_set_passes_both_checkers(tmp_path):
    files, items = _eval_items(tmp_path)
    rows = [{"prompt": r["question"], "completion": r["answer"]} for r in map(json.loads, files.train.open())]
    run = _run_with_data(tmp_path, rows)
    assert check_contamination_of_run(run, items).status == "pass"
    checker = tmp_path / "check.py"
    checker.write_text(CHECKER)
    assert check_contamination_of_run(run, items, checker=str(checker)).status == "pass"


def test_reformatted_test_items_are_caught(tmp_path):
    files, items = _eval_items(tmp_path)
    clean = [{"prompt": r["question"], "completion": r["answer"]} for r in map(json.loads, files.train.open())]
    # reformatted: upper case, other punctuation and spacing, a prefix; with its gold answer as the label
    planted = [{"prompt": f"Question -- {it.prompt.upper().replace(':', ' ?')}", "completion": f"Answer: {it.answer}"}
               for it in items[:3]]
    run = _run_with_data(tmp_path, clean + planted)
    ours = check_contamination_of_run(run, items)
    assert ours.status == "fail" and "drop those rows" in ours.fix
    assert sorted(ours.details["contaminated_rows"]["artifacts/1/data/train-sft.parquet"]) == [50, 51, 52]
    assert sorted(ours.details["label_leaks"]["artifacts/1/data/train-sft.parquet"]) == sorted(i.id for i in items[:3])
    named = ours.details["matches"]["artifacts/1/data/train-sft.parquet"]  # what audit.json lists for each row
    assert [(m["row"], m["eval_id"], m["field"]) for m in named] == [(50 + k, it.id, "question")
                                                                       for k, it in enumerate(items[:3])]
    checker = tmp_path / "check.py"
    checker.write_text(CHECKER)
    theirs = check_contamination_of_run(run, items, checker=str(checker))
    assert theirs.status == "fail" and theirs.details["checker"] == str(checker)
    assert theirs.details["disagreements"] == {}  # both tools flag the same three rows


def test_a_different_model_of_the_same_shape_is_flagged(tmp_path, tiny_model_path):
    from posttrain.tools.tiny_model import TinyModelConfig, build_tiny_model

    same = check_identity(tiny_model_path, tiny_model_path)
    assert same.status == "pass" and same.details["median_cosine"] > 0.99
    other = build_tiny_model(tmp_path / "other", TinyModelConfig(seed=1))
    check = check_identity(other, tiny_model_path)
    assert check.status == "fail" and "another model of the same shape" in check.summary
    wider = build_tiny_model(tmp_path / "wider", TinyModelConfig(hidden_size=64))
    assert "hidden_size" in check_identity(wider, tiny_model_path).summary


def test_fine_tuned_weights_pass_identity(tmp_path, tiny_model_path):
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_path)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(0.5 * param.std() * torch.randn_like(param))  # a large update, still descended from the base
    model.save_pretrained(tmp_path / "tuned")
    check = check_identity(tmp_path / "tuned", tiny_model_path)
    assert check.status == "pass", check.summary


def test_hosted_api_data_source_is_caught(tmp_path):
    card = tmp_path / "run" / "artifacts" / "1" / "data" / "README.md"
    card.parent.mkdir(parents=True)
    header = {"posttrain": {"sources": ["/data/train.jsonl@sha256:ab"], "transformations": []}}
    import yaml

    card.write_text(f"---\n{yaml.safe_dump(header)}---\n# data\n")
    assert check_hosted_api(tmp_path / "run", {"brain": "openai:gpt-4o-mini"}).status == "pass"
    header["posttrain"]["sources"].append("teacher:openai:gpt-4o-mini@backend=api,seed=0")
    card.write_text(f"---\n{yaml.safe_dump(header)}---\n# data\n")
    check = check_hosted_api(tmp_path / "run", {"brain": "offline"})
    assert check.status == "fail" and "openai:gpt-4o-mini" in check.summary and "local teacher" in check.fix


def test_blocked_lookup_in_the_transcript_is_caught(tmp_path):
    run = tmp_path / "run"
    run.mkdir()

    def call(source: str, name: str, arguments: dict) -> str:
        return json.dumps({"type": "ToolCallRequestEvent", "source": source, "iteration": 1, "content": [
            {"id": "x", "name": name, "arguments": json.dumps(arguments)}]})

    lines = [call("Librarian", "search_papers", {"query": "GRPO math reasoning"}),
             call("DataEngineer", "search_datasets", {"query": "grade school math"})]
    (run / "transcript.jsonl").write_text("\n".join(lines) + "\n")
    assert check_benchmark_lookup(run).status == "pass"
    lines.append(call("Librarian", "search_papers", {"query": "Post-Train Bench leaderboard GSM8K traces"}))
    (run / "transcript.jsonl").write_text("\n".join(lines) + "\n")
    check = check_benchmark_lookup(run)
    assert check.status == "fail" and "Librarian search_papers" in check.summary
    assert blocked_term("posttrainbench.com results") and blocked_term("PTB leaderboard scores")
    assert blocked_term("post-training data for math") is None


def test_a_lookup_refused_at_query_time_is_clean_one_that_was_sent_is_not(tmp_path, monkeypatch):
    from posttrain.tools import query_guard
    from posttrain.tools.papers import search_papers

    run = tmp_path / "run"
    run.mkdir()
    query = "PostTrainBench leaderboard GSM8K traces"
    call = {"type": "ToolCallRequestEvent", "source": "Librarian", "iteration": 1, "content": [
        {"id": "x", "name": "search_papers", "arguments": json.dumps({"query": query})}]}
    (run / "transcript.jsonl").write_text(json.dumps(call) + "\n")
    monkeypatch.delenv(query_guard.ENV, raising=False)
    sent = check_benchmark_lookup(run)  # no refusal on record: the query went out
    assert sent.status == "fail" and "reached the network" in sent.summary
    monkeypatch.setenv(query_guard.ENV, "ptb")
    monkeypatch.setenv(query_guard.LOG_ENV, str(run / query_guard.LOG_NAME))
    hits = search_papers(query, source="all")  # the real tool, guard on: refused and recorded in the run
    assert hits.errors[0].startswith("query refused")
    refused = check_benchmark_lookup(run)
    assert refused.status == "pass" and "refused at query time" in refused.summary
    assert refused.details["refused_at_query_time"] and refused.details["hits"] == []


def test_packaging_check_loads_and_generates(tmp_path, tiny_model_path):
    out = package_model(tiny_model_path, tmp_path / "final_model")
    assert check_packaging(out, ["sort 12345:"], tiny_model_path).status == "pass"
    (out / "generation_config.json").unlink()
    check = check_packaging(out, ["sort 12345:"], tiny_model_path)
    assert check.status == "fail" and "generation_config.json" in check.summary


def test_failed_contamination_hands_in_the_best_checkpoint_trained_before_it(tmp_path, tiny_model_path):
    import shutil

    from posttrain.orchestrator.ptb.checks import AuditReport, Check
    from posttrain.orchestrator.ptb.runner import _remedy

    run = tmp_path / "run"
    checkpoints = [shutil.copytree(tiny_model_path, run / "artifacts" / str(k) / "checkpoint") for k in (1, 2)]
    iterations = [{"index": 0}] + [{"index": k, "evaluation": {"score": 0.3 * k, "checkpoint": str(c)}}
                                   for k, c in zip((1, 2), checkpoints, strict=True)]
    (run / "state.json").write_text(json.dumps({"ledger": {"baseline": {"score": 0.1}, "iterations": iterations}}))
    out = tmp_path / "final_model"
    packager = Packager(out, str(tiny_model_path))
    packager.package(str(checkpoints[1]))
    failed = Check(name="contamination", status="fail", summary="x",
                   details={"contaminated_rows": {"artifacts/2/data/train.parquet": [3]}})
    report = AuditReport(run_dir=str(run), final_model=str(out), verdict="fail", checks=[failed], at=0.0)
    assert _remedy(report, packager, run, say=lambda text: None)
    assert packaged_source(out)["source"] == str(checkpoints[0])  # iteration 1 trained before the dirty data


# --- end to end through `posttrain ptb` (minutes) ------------------------------------------------------------------

def _ptb_command(task: Path, run_dir: Path, reserve: str = "1m") -> list[str]:
    return [sys.executable, "-m", "posttrain.orchestrator.cli", "ptb", "--prompt-file", str(task / "TASK.txt"),
            "--reserve", reserve, "--run-dir", str(run_dir), "--playbook-scale", "0.5", "--brain", "offline"]


def _loads_and_generates(folder: Path) -> str:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    tokenizer, model = AutoTokenizer.from_pretrained(folder), AutoModelForCausalLM.from_pretrained(folder)
    encoded = tokenizer("sort 50721:", return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**encoded, generation_config=GenerationConfig.from_pretrained(folder))
    assert out.shape[1] > encoded["input_ids"].shape[1]
    return tokenizer.decode(out[0, encoded["input_ids"].shape[1]:], skip_special_tokens=True)


@pytest.mark.slow
def test_ptb_end_to_end_respects_time_and_hands_in_a_clean_model(tmp_path, tiny_model_path):
    seconds = 240
    task = make_task_folder(tmp_path, tiny_model_path, seconds=seconds)
    started = time.time()
    done = subprocess.run(_ptb_command(task, tmp_path / "run"), cwd=task, capture_output=True, text=True,
                          timeout=seconds + 120)
    elapsed = time.time() - started
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert elapsed < seconds, elapsed  # the whole job, audit included, ends before the timer runs out
    audit = json.loads((tmp_path / "run" / "audit.json").read_text())
    assert audit["verdict"] == "pass", audit
    assert {c["name"]: c["status"] for c in audit["checks"]}["contamination"] == "pass"
    assert audit["checks"][0]["details"]["checker"].endswith("contamination_check.py")  # the task's own checker
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["best"]["score"] > summary["baseline"]["score"]
    assert packaged_source(task / "final_model")["source"] == summary["best"]["checkpoint"]
    _loads_and_generates(task / "final_model")
    # the task's own evaluate.py ran on final_model; its score sits beside ours in audit.json and summary.json
    assert audit["task_eval"]["status"] == "scored", audit["task_eval"]
    assert audit["task_eval"]["metric"] == "accuracy" and audit["task_eval"]["score"] > summary["baseline"]["score"]
    assert summary["task_eval"]["posttrain_score"] == summary["best"]["score"]
    assert "accuracy" in (tmp_path / "run" / "ptb" / "evaluate.log").read_text()


# The kill moment is drawn from a seed, so a failing moment replays exactly: POSTTRAIN_KILL_SEED=N explores others.
KILL_SEED = int(os.environ.get("POSTTRAIN_KILL_SEED", "22"))


@pytest.mark.slow
def test_kill_at_a_random_moment_leaves_a_loadable_final_model(tmp_path, tiny_model_path):
    task = make_task_folder(tmp_path, tiny_model_path, seconds=300)
    delay = random.Random(KILL_SEED).uniform(0, 60)
    process = subprocess.Popen(_ptb_command(task, tmp_path / "run"), cwd=task, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 120
        while not (task / "final_model").exists() and time.time() < deadline:  # before this, nothing can exist
            time.sleep(0.2)
        assert (task / "final_model").exists(), "the base model was never packaged"
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # the Ray workers it started, in its own process group
        except ProcessLookupError:
            pass
    try:
        _loads_and_generates(task / "final_model")  # as left by the kill: no recovery step needed
    except Exception as exc:
        raise AssertionError(f"killed {delay:.1f} s after packaging (POSTTRAIN_KILL_SEED={KILL_SEED}): {exc}") from exc
