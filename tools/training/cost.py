"""What training and evaluation cost on this machine, measured before a plan is sized, not guessed.

A plan of "3 epochs of 2,000 rows" is 750 LoRA steps; whether that is two minutes or two hours depends on the model,
the prompt format (a chat template with a default system prompt makes rows 4× longer), the batch and the machine.
So the run times a few real optimizer steps of the product's own SFT path on rows shaped like its training rows, and
takes the evaluation's cost from the baseline it just measured::

    cost = measure_step_cost(model, rows, batch_size=8, lora=True, max_length=2048, out_dir=run / "cost")
    cost.steps_within(600)        # steps that fit 10 minutes
    cost.describe()               # "SFT step 3.4 s at batch 8 (rows ~95 tokens; 3 timed steps after 1 warm-up)…"

The weights of the timed steps are thrown away; the rows only need the run's shape (prompt format and lengths).
"""

import contextlib
import io
import json
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel, Field


# Steps timed after one warm-up step (the first step pays for lazy initialisation: allocator, kernels, data loader).
TIMED_STEPS, WARMUP_STEPS = 3, 1


class StepCost(BaseModel):
    """Seconds per optimizer step and per evaluation, as measured on this machine."""

    step_s: float = Field(description="Wall seconds per SFT optimizer step at `batch_size` rows.")
    batch_size: int = Field(description="Rows per optimizer step when it was timed.")
    row_tokens: float = Field(description="Mean tokens per timed row (prompt format included).")
    setup_s: float = Field(0.0, description="Seconds to load the model and build the trainer (paid once per run).")
    eval_s: float | None = Field(None, description="Wall seconds of one full evaluation (the baseline's, in the "
                                                   "chosen prompt format).")
    device: str = Field("cpu", description="Where it was measured.")

    def steps_within(self, seconds: float) -> int:
        """Optimizer steps that fit `seconds` of training after the run's set-up."""
        return max(1, int((seconds - self.setup_s) / self.step_s))

    def seconds_for(self, steps: int) -> float:
        return self.setup_s + steps * self.step_s

    def describe(self) -> str:
        line = (f"SFT step {self.step_s:.2f} s at batch {self.batch_size} on {self.device} (rows ~{self.row_tokens:.0f}"
                f" tokens; {TIMED_STEPS} timed steps after {WARMUP_STEPS} warm-up), set-up {self.setup_s:.0f} s")
        if self.eval_s is not None:
            line += f"; one evaluation {self.eval_s:.0f} s"
        return line


class _StepTimer:
    """A trainer callback that records each optimizer step's wall time."""

    def __init__(self) -> None:
        from transformers import TrainerCallback

        timer = self

        class Callback(TrainerCallback):
            def on_step_begin(self, args, state, control, **kwargs):
                timer.started = time.perf_counter()

            def on_step_end(self, args, state, control, **kwargs):
                timer.durations.append(time.perf_counter() - timer.started)

        self.started = 0.0
        self.durations: list[float] = []
        self.callback = Callback()


def measure_step_cost(model: str, rows: list[dict], *, batch_size: int, lora: bool, max_length: int,
                      learning_rate: float = 1e-4) -> StepCost:
    """Time WARMUP_STEPS + TIMED_STEPS optimizer steps of SFT on `rows` (prompt/completion or messages, shaped like
    the run's data) through the product's SFT path, in this process; nothing is saved."""
    import torch

    from posttrain.tools.training.base_config import LoraSpec
    from posttrain.tools.training.sft import prepare_sft
    from posttrain.tools.training.sft_config import SFTSpec

    use_gpu = torch.cuda.is_available()
    needed = batch_size * (WARMUP_STEPS + TIMED_STEPS)
    rows = (rows * (needed // max(1, len(rows)) + 1))[:needed]
    with tempfile.TemporaryDirectory(prefix="posttrain-cost-") as tmp:
        data = Path(tmp) / "rows.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        spec = SFTSpec(base_model=model, dataset=str(data), max_steps=WARMUP_STEPS + TIMED_STEPS,
                       batch_size=batch_size, learning_rate=learning_rate, max_length=max_length,
                       lora=LoraSpec() if lora else None, warmup_ratio=0.0,
                       trl_overrides={"report_to": []})  # a timing probe is not an experiment: no Trackio run
        started = time.perf_counter()
        timer = _StepTimer()
        run = prepare_sft(spec, Path(tmp), project="posttrain-cost", run_name="cost", use_gpu=use_gpu,
                          extra_callbacks=[timer.callback])
        setup_s = time.perf_counter() - started
        with contextlib.redirect_stdout(io.StringIO()):  # the Trainer prints its metrics dict: not for the console
            run.trainer.train()
        tokens = [len(run.tokenizer(str(r.get("prompt", "")) + str(r.get("completion", "")))["input_ids"])
                  for r in rows[:batch_size]]
    timed = timer.durations[WARMUP_STEPS:] or timer.durations
    return StepCost(step_s=sum(timed) / len(timed), batch_size=batch_size, row_tokens=sum(tokens) / len(tokens),
                    setup_s=setup_s, device="cuda" if use_gpu else "cpu")
