"""TrainerCallbacks every posttrain run adds: stream metrics to JSONL, stop at the time budget, eval in training.

The launcher tails ``metrics.jsonl`` while the run is going, so a row is flushed as soon as TRL logs it::

    trainer = SFTTrainer(..., callbacks=[MetricsStream(out / "metrics.jsonl"), TimeBudget(600.0)])
"""

import json
import math
import time
from pathlib import Path

from transformers import TrainerCallback


def _clean(value):
    """JSON-safe scalars: NaN/inf become strings so a diverged run still writes valid JSON lines."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


class MetricsStream(TrainerCallback):
    """Append every logged row (plus step and wall time) to a JSONL file, flushed at once."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.start = time.monotonic()

    def write(self, row: dict) -> None:
        row = {"time_s": round(time.monotonic() - self.start, 3), **{k: _clean(v) for k, v in row.items()}}
        with self.path.open("a") as handle:
            handle.write(json.dumps(row) + "\n")

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and state.is_world_process_zero:  # one writer when several processes train
            self.write({"step": state.global_step, **logs})


class TimeBudget(TrainerCallback):
    """Ask the trainer to stop after the step during which `budget_s` ran out (the checkpoint is still exported)."""

    def __init__(self, budget_s: float):
        self.budget_s = budget_s
        self.start = time.monotonic()
        self.exhausted = False

    def on_step_end(self, args, state, control, **kwargs):
        if _on_any_rank(time.monotonic() - self.start >= self.budget_s):
            self.exhausted = True
            control.should_training_stop = True
            control.should_log = True


def _on_any_rank(flag: bool) -> bool:
    """True when `flag` is true on any worker of a multi-worker run: every rank must stop at the same step, or the
    others wait in the next gradient all-reduce forever."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return flag
    import torch

    device = "cuda" if dist.get_backend() == "nccl" else "cpu"
    value = torch.tensor([int(flag)], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


class GreedyEval(TrainerCallback):
    """Score greedy completions on a benchmark's held-out items every `every` steps (and before step 1)."""

    def __init__(self, benchmark: str, tokenizer, stream: MetricsStream, every: int, limit: int):
        from posttrain.tools.evaluation import get_benchmark

        self.bench = get_benchmark(benchmark)
        self.items = self.bench.eval_items(limit=limit)
        self.tokenizer, self.stream, self.every = tokenizer, stream, every
        self.scores: list[tuple[int, float]] = []

    def _evaluate(self, model, step: int) -> None:
        score = greedy_accuracy(model, self.tokenizer, self.bench, self.items)
        self.scores.append((step, score))
        self.stream.write({"step": step, "eval_score": score, "eval_benchmark": self.bench.name})
        try:
            import trackio

            trackio.log({"eval/score": score}, step=step)
        except Exception:  # noqa: BLE001 - tracking must never break training; the JSONL row is the record
            pass

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        if state.is_world_process_zero:  # one scorer when several workers train
            self._evaluate(model, state.global_step)

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if not state.is_world_process_zero:
            return
        if state.global_step % self.every == 0 or state.global_step == state.max_steps:
            self._evaluate(model, state.global_step)


def greedy_accuracy(model, tokenizer, bench, items, batch_size: int = 128) -> float:
    """Share of items whose greedy completion the benchmark scores correct (left padding, no sampling)."""
    import torch

    was_training = model.training
    model.eval()
    tokenizer.padding_side = "left"
    correct = 0
    with torch.no_grad():
        for start in range(0, len(items), batch_size):
            batch = items[start : start + batch_size]
            enc = tokenizer([it.prompt for it in batch], return_tensors="pt", padding=True, add_special_tokens=False)
            enc = {k: v.to(model.device) for k, v in enc.items()}
            out = model.generate(
                **enc, do_sample=False, max_new_tokens=bench.max_new_tokens, pad_token_id=tokenizer.pad_token_id
            )
            texts = tokenizer.batch_decode(out[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)
            correct += sum(bench.score(text, item).correct for text, item in zip(texts, batch, strict=True))
    model.train(was_training)
    return correct / max(1, len(items))
