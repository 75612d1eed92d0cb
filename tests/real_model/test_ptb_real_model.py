"""`posttrain ptb` with a real pretrained chat model as the base: baseline measured in the chat template, LoRA SFT on
chat-formatted rows sized to the time left, and a `final_model/` that loads in plain transformers, carries its chat
template and generation config, passes the audit (identity check on a merged LoRA model included), and scores on the
task's own evaluate.py."""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.orchestrator.test_ptb import PTB_TEMPLATE


REPO = Path(__file__).resolve().parents[2]
# the PostTrainBench task text the tiny-model ptb tests use, plus the training data it offers
TASK = PTB_TEMPLATE + "\nTraining data you may use: `{train}`\n"


def _task_folder(root: Path, model: Path, task_files, seconds: int) -> Path:
    task = root / "task"
    task.mkdir(parents=True)
    deadline = int(time.time()) + seconds
    (task / "timer.sh").write_text(f"#!/bin/bash\nR=$(( {deadline} - $(date +%s) )); [ $R -lt 0 ] && R=0\n"
                                   "printf 'Remaining time: %02d:%02d:%02d\\n' $((R/3600)) $((R%3600/60)) $((R%60))\n")
    evaluate = (REPO / "tests" / "fixtures" / "tasks" / "ptb_evaluate.py").read_text()
    (task / "evaluate.py").write_text(evaluate.replace("CHAT_TEMPLATE = False", "CHAT_TEMPLATE = True"))
    rows = [json.loads(line) for line in task_files.eval.read_text().splitlines()]
    (root / "test_data.json").write_text(json.dumps([{"question": r["question"], "answer": r["answer"]}
                                                     for r in rows]))
    shutil.copyfile(task_files.eval, root / "eval.jsonl")
    (task / "TASK.txt").write_text(TASK.format(model=model, benchmark=root / "eval.jsonl", train=task_files.train,
                                               hours=f"{seconds / 3600:.3f}"))
    return task


@pytest.mark.slow
def test_ptb_on_the_real_chat_model_hands_in_a_served_model(smollm2, parity_task, tmp_path):
    seconds = 660
    task = _task_folder(tmp_path, smollm2, parity_task, seconds)
    command = [sys.executable, "-m", "posttrain.orchestrator.cli", "ptb", "--prompt-file", str(task / "TASK.txt"),
               "--reserve", "1m", "--run-dir", str(tmp_path / "run"), "--brain", "offline"]
    done = subprocess.run(command, cwd=task, capture_output=True, text=True, timeout=seconds + 180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run = tmp_path / "run"
    state = json.loads((run / "state.json").read_text())
    assert state["ledger"]["base_decoding"]["chosen"] == "greedy+chat"  # measured, not assumed
    summary = json.loads((run / "summary.json").read_text())
    assert summary["best"]["score"] > summary["baseline"]["score"] > 0.2, summary  # non-empty, read baseline
    final = task / "final_model"
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    tokenizer = AutoTokenizer.from_pretrained(final)
    model = AutoModelForCausalLM.from_pretrained(final)
    assert tokenizer.chat_template and GenerationConfig.from_pretrained(final) is not None
    assert not (final / "adapter_config.json").exists()  # LoRA merged: plain transformers loads it
    assert model.config.model_type == "llama" and model.num_parameters() > 130e6  # the base model's architecture
    audit = json.loads((run / "audit.json").read_text())
    assert audit["verdict"] == "pass", audit
    assert {c["name"]: c["status"] for c in audit["checks"]}["model_identity"] == "pass"
    assert audit["task_eval"]["status"] == "scored" and audit["task_eval"]["score"] > 0.5, audit["task_eval"]
