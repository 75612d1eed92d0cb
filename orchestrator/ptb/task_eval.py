"""Run the task's own evaluation script on the packaged `final_model/` and read its score.

PostTrainBench's `evaluate.py` takes ``--model-path`` (default final_model) and ``--json-output-file`` (the metrics
as a JSON object, e.g. ``{"accuracy": 0.62, "stderr": 0.04}``), and runs from its own folder (it reads
``templates/`` relatively). The score is read, first found wins, from:

1. the ``--json-output-file`` it wrote: a JSON object with a number under ``accuracy``, ``score``, ``mean``,
   ``pass@1``, ``exact_match`` or ``acc`` (also one level down, e.g. ``{"gsm8k": {"accuracy": ...}}``);
2. a ``metrics.json`` it left in its folder, read the same way;
3. its stdout: the last JSON line holding one of those keys, else the last ``accuracy: 0.62`` / ``score = 62%``.

A script that rejects ``--json-output-file`` (argparse exit 2, "unrecognized arguments") is run again with
``--model-path`` only. Output goes to ``RUN/ptb/evaluate.log``; the result to ``RUN/ptb/evaluate.json``.
"""

import json
import re
import subprocess
import sys
import time
from pathlib import Path

from pydantic import BaseModel


MIN_S = 5.0  # less time than this left: not started (a model load alone takes longer)
SCORE_KEYS = ("accuracy", "score", "mean", "pass@1", "exact_match", "acc")
_LINE = re.compile(r"\b(accuracy|score|pass@1|exact_match|acc)\b\s*[:=]\s*(-?\d+(?:\.\d+)?)\s*(%?)", re.I)


class TaskEval(BaseModel):
    """The task's evaluate.py run on final_model."""

    script: str
    status: str  # scored | no score | failed | timed out | skipped
    score: float | None = None
    metric: str | None = None
    source: str | None = None  # where the score was read
    returncode: int | None = None
    duration_s: float = 0.0
    log: str | None = None
    reason: str = ""


def score_from_metrics(metrics) -> tuple[str, float] | None:
    """(key, value) of the first score key holding a number, searching one level of nesting."""
    if not isinstance(metrics, dict):
        return None
    for key in SCORE_KEYS:
        value = metrics.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return key, float(value)
    for value in metrics.values():
        if isinstance(value, dict) and (found := score_from_metrics(value)):
            return found
    return None


def score_from_text(text: str) -> tuple[str, float] | None:
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                if found := score_from_metrics(json.loads(line)):
                    return found
            except json.JSONDecodeError:
                pass
    matches = _LINE.findall(text)
    if matches:
        key, number, percent = matches[-1]
        return key.lower(), float(number) / (100 if percent else 1)
    return None


def run_task_eval(script: str, final_model: Path, out_dir: Path, *, timeout_s: float) -> TaskEval:
    """Run `script` on `final_model` within `timeout_s`; write evaluate.log / evaluate.json under `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    log, metrics_file = out_dir / "evaluate.log", out_dir / "evaluate_metrics.json"
    result = TaskEval(script=script, status="skipped", log=str(log))
    if timeout_s < MIN_S:
        result.reason = f"{timeout_s:.0f} s left: not enough to run it"
        return _save(result, out_dir)
    metrics_file.unlink(missing_ok=True)
    base = [sys.executable, script, "--model-path", str(final_model)]
    started = time.monotonic()
    try:
        done = subprocess.run([*base, "--json-output-file", str(metrics_file)], cwd=Path(script).parent,
                              capture_output=True, text=True, timeout=timeout_s)
        if done.returncode == 2 and "unrecognized arguments" in done.stderr:
            done = subprocess.run(base, cwd=Path(script).parent, capture_output=True, text=True,
                                  timeout=max(1.0, timeout_s - (time.monotonic() - started)))
    except subprocess.TimeoutExpired as exc:
        log.write_text(_text(exc.stdout) + _text(exc.stderr), encoding="utf-8")
        result.status, result.reason = "timed out", f"no answer within {timeout_s:.0f} s"
        result.duration_s = time.monotonic() - started
        return _save(result, out_dir)
    result.duration_s, result.returncode = time.monotonic() - started, done.returncode
    log.write_text(f"$ {' '.join(done.args)}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}", encoding="utf-8")
    found, where = None, None
    for path in (metrics_file, Path(script).parent / "metrics.json"):
        if path.is_file():
            try:
                found, where = score_from_metrics(json.loads(path.read_text(encoding="utf-8"))), str(path)
            except json.JSONDecodeError:
                found = None
            if found:
                break
    if not found and (found := score_from_text(done.stdout)):
        where = "stdout"
    if done.returncode != 0:
        result.status, result.reason = "failed", f"exit {done.returncode}: {done.stderr.strip()[-200:]}"
    elif found:
        result.status = "scored"
    else:
        result.status, result.reason = "no score", "no metrics file and no score line on stdout"
    if found:
        result.metric, result.score, result.source = found[0], found[1], where
    return _save(result, out_dir)


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else (value or "")


def _save(result: TaskEval, out_dir: Path) -> TaskEval:
    (out_dir / "evaluate.json").write_text(result.model_dump_json(indent=1) + "\n", encoding="utf-8")
    return result
