"""How long the Trainer may train this iteration, and how many steps that buys at the measured cost.

The rule: an iteration's even share of the time left (the remaining budget over the iterations left) pays for its
training and for judging the result; judging costs about three evaluations (the checkpoint's score, then its decoding
check's sampled and other-format settings — the greedy one is the score itself), each as long as the baseline's
evaluation in the run's prompt format. Training gets the rest. Steps are then what the measured step cost fits.
"""

import json
import threading
from pathlib import Path

from posttrain.run.context import RunContext
from posttrain.tools.training.cost import StepCost, measure_step_cost


# Evaluations an iteration pays for after training: the score, then the decoding check's two other settings.
EVALS_PER_ITERATION = 3
# A cost measured on rows of one length predicts rows of another badly; past this ratio of mean row lengths the
# steps are timed again on the rows actually built.
ROW_LENGTH_TOLERANCE = 1.25
# Ablation arms launch from concurrent threads: one probe at a time (two probes would time each other, and trl's lazy
# imports are not safe to race: "cannot import name 'SFTTrainer'"); the second arm then finds the first one's cost.
_PROBE_LOCK = threading.Lock()
# A run given less than this is all start-up (loading the model, building the trainer): it would train nothing.
MIN_TRAINING_S = 60.0


def judging_s(ctx: RunContext, completion_tokens: float | None) -> float:
    """Seconds to judge a new checkpoint: EVALS_PER_ITERATION evaluations. An evaluation's time scales with the
    tokens generated; a model trained on these rows answers at about their completions' length (+ its end token),
    where the baseline generated `mean_new_tokens` — so the baseline's time is scaled by that ratio (never up).
    The last trained checkpoint's own evaluation, when there is one, is measured and used as it is."""
    from posttrain.tools.errors import ConfigError
    from posttrain.tools.evaluation.report import load_report

    last = ctx.ledger.last_evaluated()
    source = last.evaluation.report if last and last.index > 0 else (ctx.ledger.baseline.report
                                                                      if ctx.ledger.baseline else None)
    if source is None:
        return 0.0
    try:
        report = load_report(source)
    except ConfigError:
        return 0.0
    seconds = report.duration_s
    generated = report.timings.get("mean_new_tokens")
    if not (last and last.index > 0) and generated and completion_tokens:
        seconds *= min(1.0, (completion_tokens + 1) / generated)
    return EVALS_PER_ITERATION * seconds


def training_share_s(ctx: RunContext, completion_tokens: float | None = None) -> float | None:
    """Seconds this iteration may spend training: its even share of the time left, less judging; None without a
    time budget."""
    remaining = ctx.remaining_s()
    if remaining is None:
        return None
    done = len([it for it in ctx.ledger.completed() if it.index > 0])
    left = max(1, ctx.config.max_iterations - done)
    return max(0.0, remaining / left - judging_s(ctx, completion_tokens))


def _sample_rows(dataset: str, n: int) -> list[dict]:
    """The first `n` rows of a local .jsonl or .parquet dataset."""
    path = Path(dataset)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        batch = next(pq.ParquetFile(path).iter_batches(batch_size=n), None)
        return batch.to_pylist() if batch is not None else []
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                rows.append(json.loads(line))
            if len(rows) >= n:
                break
    return rows


def step_cost(ctx: RunContext, model: str, dataset: str, *, batch_size: int, lora: bool, max_length: int,
              learning_rate: float) -> StepCost | None:
    """The run's measured SFT step cost for rows like `dataset`'s: the one in the ledger when its rows were about as
    long, else timed now (a few steps, weights thrown away) and kept in the ledger. None for a dataset that is not
    a local JSONL file (a Hub id: nothing to time before the run)."""
    if not str(dataset).endswith((".jsonl", ".parquet")) or not Path(dataset).is_file():
        return None
    with _PROBE_LOCK:
        return _step_cost(ctx, model, dataset, batch_size=batch_size, lora=lora, max_length=max_length,
                          learning_rate=learning_rate)


def _step_cost(ctx: RunContext, model: str, dataset: str, *, batch_size: int, lora: bool, max_length: int,
               learning_rate: float) -> StepCost:
    rows = _sample_rows(dataset, 4 * batch_size)
    known = ctx.ledger.cost
    if known and known.batch_size == batch_size:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(model)
        lengths = [len(tokenizer(str(r.get("prompt", "")) + str(r.get("completion", "")))["input_ids"])
                   for r in rows[:batch_size]]
        mean = sum(lengths) / max(1, len(lengths))
        if max(mean, known.row_tokens) / max(1.0, min(mean, known.row_tokens)) <= ROW_LENGTH_TOLERANCE:
            return known
    ctx.progress("time a few training steps", 0, 1)
    cost = measure_step_cost(model, rows, batch_size=batch_size, lora=lora, max_length=max_length,
                             learning_rate=learning_rate)
    ctx.progress("time a few training steps", 1, 1)
    eval_s = (ctx.ledger.base_decoding or {}).get("eval_s")
    ctx.ledger.cost = cost.model_copy(update={"eval_s": eval_s})
    return ctx.ledger.cost


def completion_tokens(model: str, dataset: str) -> float | None:
    """Mean tokens of the dataset's completions (what a model trained on it will answer at)."""
    if not str(dataset).endswith((".jsonl", ".parquet")) or not Path(dataset).is_file():
        return None
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    texts = [str(r["completion"]) for r in _sample_rows(dataset, 64) if "completion" in r]
    if not texts:
        return None
    return sum(len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts) / len(texts)


def fit_steps(ctx: RunContext, steps: int, cost: StepCost | None,
              answer_tokens: float | None = None) -> tuple[int, float | None, str]:
    """(steps, expected seconds, note): `steps` capped by what this iteration's share of the budget buys."""
    if cost is None:
        return steps, None, ""
    share = training_share_s(ctx, answer_tokens)
    if share is not None and cost.seconds_for(steps) > share:
        fitted = cost.steps_within(share)
        note = (f"{steps} steps would take {cost.seconds_for(steps) / 60:.1f} min at the measured {cost.step_s:.2f} s "
                f"a step; this iteration's share of the budget ({share / 60:.1f} min after evaluation) buys {fitted}")
        return fitted, cost.seconds_for(fitted), note
    return steps, cost.seconds_for(steps), ""
