"""The task's own evaluate.py, run on final_model at the end of `ptb`: each documented output form is read, and a
script that runs too long is stopped at its timeout."""

import json

import pytest


@pytest.mark.parametrize(("body", "status", "metric", "score", "source"), [
    ("import json,sys; a=sys.argv; json.dump({'accuracy': 0.5, 'stderr': 0.1}, "
     "open(a[a.index('--json-output-file')+1], 'w'))", "scored", "accuracy", 0.5, "evaluate_metrics.json"),
    ("import argparse; p=argparse.ArgumentParser(); p.add_argument('--model-path'); p.parse_args(); "
     "print('Accuracy: 62%')", "scored", "accuracy", 0.62, "stdout"),  # rejects --json-output-file: run again
    ("import json; print('loading'); print(json.dumps({'gsm8k': {'score': 0.3}}))", "scored", "score", 0.3, "stdout"),
    ("import json; json.dump({'pass@1': 0.25}, open('metrics.json', 'w'))", "scored", "pass@1", 0.25, "metrics.json"),
    ("print('done')", "no score", None, None, None),
    ("import sys; print('accuracy: 0.9'); sys.exit(3)", "failed", "accuracy", 0.9, "stdout")])
def test_task_eval_reads_each_documented_output_form(tmp_path, body, status, metric, score, source):
    from posttrain.orchestrator.ptb.task_eval import run_task_eval

    script = tmp_path / "task" / "evaluate.py"
    script.parent.mkdir()
    script.write_text(body + "\n")
    result = run_task_eval(str(script), tmp_path / "final_model", tmp_path / "run" / "ptb", timeout_s=60)
    assert (result.status, result.metric, result.score) == (status, metric, score), result
    assert (result.source or "").endswith(source or "")
    assert json.loads((tmp_path / "run" / "ptb" / "evaluate.json").read_text())["status"] == status
    assert "--model-path" in (tmp_path / "run" / "ptb" / "evaluate.log").read_text()


def test_task_eval_is_stopped_at_its_timeout(tmp_path):
    from posttrain.orchestrator.ptb.task_eval import run_task_eval

    script = tmp_path / "evaluate.py"
    script.write_text("import time; print('started', flush=True); time.sleep(30)\n")
    result = run_task_eval(str(script), tmp_path / "final_model", tmp_path / "ptb", timeout_s=5)
    assert result.status == "timed out" and result.duration_s < 15
    assert run_task_eval(str(script), tmp_path, tmp_path / "ptb", timeout_s=2).status == "skipped"
