"""Training to convergence on a validation split (in-process TRL on the tiny model) and the curve rule.

- Early stopping (patience, then a cooldown of the rate to 0) keeps the best weights, not the last: validation rows whose labels contradict the training rows
  make the validation loss fall (format, characters) and then rise (the model commits to the training rule); the
  run must stop well before its cap and export the weights of its best validation.
- The curve rule on a cosine schedule: a run that learnt until the rate decayed is "still improving", not flat.
"""

import json
import math
from pathlib import Path

import torch

from posttrain.tools.training import SFTSpec, diagnose
from posttrain.tools.training.convergence import COOLDOWN_SHARE, PATIENCE_EVALS, eval_interval
from posttrain.tools.training.result import late_drop, read_metrics_file, summarize


def _shift(word: str, k: int) -> str:
    return "".join(chr((ord(c) - 97 + k) % 26 + 97) for c in word)


def _validation_loss(model_dir: str, rows: list[dict]) -> float:
    """Mean completion-token loss of a saved model on prompt/completion rows, as TRL's eval computes it."""
    from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for row in rows:
            prompt = tok(row["prompt"], add_special_tokens=False)["input_ids"]
            completion = tok(row["completion"], add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
            ids = torch.tensor([prompt + completion])
            logits = model(ids).logits[0, len(prompt) - 1:-1]
            total += torch.nn.functional.cross_entropy(logits, ids[0, len(prompt):], reduction="sum").item()
            count += len(completion)
    return total / count


def test_early_stopping_keeps_the_best_validated_weights(tiny_model_path, sft_data, tmp_path):
    from posttrain.tools.training.sft import train_sft

    rows = [json.loads(line) for line in Path(sft_data).read_text().splitlines()]
    # the held-out rows ask the same prompts for a shift of 2: what training teaches (a shift of 1) is wrong there
    held = [{"prompt": r["prompt"], "completion": _shift(r["prompt"].rstrip(">"), 2)} for r in rows[:40]]
    validation = tmp_path / "validation.jsonl"
    validation.write_text("".join(json.dumps(r) + "\n" for r in held))
    cap = 400
    spec = SFTSpec(base_model=str(tiny_model_path), dataset=sft_data, max_steps=cap, learning_rate=3e-3,
                   batch_size=32, validation_dataset=str(validation), validation_scorer="caesar")
    out = tmp_path / "run"
    out.mkdir()
    outcome = train_sft(spec, out, project="t-conv", run_name="stop", use_gpu=False)
    summary = summarize(read_metrics_file(out / "metrics.jsonl"))

    assert summary["val_stopped_early"] == 1.0 and summary["steps"] < cap  # stopped by patience, not the cap
    assert summary["last_val_loss"] > summary["best_val_loss"] * 1.05  # it got worse after the best
    assert summary["val_best_step"] < summary["steps"] - PATIENCE_EVALS * eval_interval(40, 40, 32) + 1
    exported = _validation_loss(outcome.checkpoint, held)
    assert abs(exported - summary["best_val_loss"]) < 0.02 * summary["best_val_loss"]  # the best, not the last
    assert abs(exported - summary["last_val_loss"]) > 0.04 * summary["best_val_loss"]
    metrics = read_metrics_file(out / "metrics.jsonl")
    kinds = {f.kind for f in diagnose(metrics)}
    assert "overfitting" in kinds and "plateau" in kinds
    # patience ran out, then the rate decayed to 0 over a fifth of the steps so far before the run stopped
    [cool] = [r for r in metrics if "val_cooldown_until" in r]
    assert summary["steps"] == cool["val_cooldown_until"] <= cap
    assert cool["val_cooldown_until"] - cool["step"] == math.ceil(COOLDOWN_SHARE * cool["step"])
    rates = [(r["step"], r["learning_rate"]) for r in metrics if "learning_rate" in r]
    before = [lr for step, lr in rates if step <= cool["step"]][-1]
    length = cool["val_cooldown_until"] - cool["step"]
    after = [(step, lr) for step, lr in rates if step > cool["step"]]
    left = cool["val_cooldown_until"]  # the logged rate is the step's own or the next one's, depending on when logged
    assert after and all(before * (left - step) / length - 1e-9 <= lr <= before * (left - step + 1) / length + 1e-9
                         for step, lr in after), (before, cool, after)


def _cosine_run(steps: int = 300, every: int = 10) -> list[dict]:
    """A curve logged under warm-up + cosine by a model that learns at the same pace throughout: its loss falls as
    a power of the progress made, and the progress of a step is proportional to its rate. Only the decaying rate
    flattens the tail."""
    import math

    rows, progress = [], 0.0
    for step in range(every, steps + 1, every):
        lr = 3e-3 * min(1.0, step / 15) * 0.5 * (1 + math.cos(math.pi * step / steps))
        progress += 0.3 * (lr / 3e-3) * every
        rows.append({"step": step, "loss": 0.5 + 2.8 / math.sqrt(1 + progress), "learning_rate": lr})
    return rows


def test_curve_rule_reads_matched_rates_not_the_decayed_tail():
    rows = _cosine_run()
    tail = late_drop([r["loss"] for r in rows])
    assert tail < 0.05  # the old rule: the last third of a cosine looks flat
    summary = summarize(rows)
    assert summary["late_improvement"] > 0.05  # at matched rates it was still learning
    assert "plateau" not in {f.kind for f in diagnose(rows)}


def test_curve_rule_still_sees_a_real_plateau_at_a_constant_rate():
    rows = [{"step": s, "loss": 3.0 - min(s, 100) / 50, "learning_rate": 3e-3} for s in range(10, 310, 10)]
    assert summarize(rows)["late_improvement"] < 0.05
    assert "plateau" in {f.kind for f in diagnose(rows)}


class _Stream:
    def __init__(self):
        self.rows = []

    def write(self, row):
        self.rows.append(row)


def test_patience_needs_both_validations_and_a_share_of_the_steps():
    from types import SimpleNamespace

    from transformers import TrainerControl

    from posttrain.tools.training.convergence import ValidationStop

    model = torch.nn.Linear(2, 1)
    stop = ValidationStop(_Stream(), None, [], scorer=None, batch_size=64, n_rows=50)
    control = TrainerControl()
    # 2.0 at step 1000 is the best; later losses within 1% of the first loss (0.03) are no gain
    for step, loss in [(500, 3.0), (1000, 2.0)] + [(1000 + 10 * k, 1.98) for k in range(1, 6)]:
        with torch.no_grad():
            model.weight.fill_(step)
        stop.on_evaluate(None, SimpleNamespace(global_step=step, max_steps=10_000), control, metrics={"eval_loss": loss}, model=model)
        if control.should_training_stop:
            break
    assert not control.should_training_stop  # 5 flat validations, but 50 steps < a quarter of 1,050
    stop.on_evaluate(None, SimpleNamespace(global_step=1300, max_steps=10_000), control, metrics={"eval_loss": 1.98}, model=model)
    assert not control.should_training_stop  # 300 steps < a quarter of 1,300
    stop.on_evaluate(None, SimpleNamespace(global_step=1400, max_steps=10_000), control, metrics={"eval_loss": 1.98}, model=model)
    assert control.should_training_stop and stop.best_step == 1000  # no schedule to cool down: stop at once
    stop.on_train_end(None, SimpleNamespace(global_step=1400), control, model=model)
    assert model.weight[0, 0].item() == 1000  # the step-1000 weights, not the last
    assert stop.stream.rows[-1] == {"step": 1400, "val_best_step": 1000, "val_stopped_early": True,
                                    "val_cooled": False}


def test_when_patience_runs_out_the_rate_cools_down_to_zero_then_the_run_stops():
    from types import SimpleNamespace

    from transformers import TrainerControl

    from posttrain.tools.training.convergence import ValidationStop

    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)  # constant, as after warm-up
    stop = ValidationStop(_Stream(), None, [], scorer=None, batch_size=64, n_rows=50)
    control = TrainerControl()
    for step, loss in [(100, 3.0), (200, 2.0)] + [(200 + 20 * k, 2.0) for k in range(1, 6)]:
        stop.on_evaluate(None, SimpleNamespace(global_step=step, max_steps=1000), control,
                         metrics={"eval_loss": loss}, model=model, lr_scheduler=schedule)
    assert stop.cooldown == (300, 360) and not control.should_training_stop  # 300 + a fifth of 300
    assert stop.stream.rows[-1] == {"step": 300, "val_cooldown_until": 360}
    assert [schedule.lr_lambdas[0](s) for s in (300, 330, 360, 400)] == [1.0, 0.5, 0.0, 0.0]
    stop.on_step_end(None, SimpleNamespace(global_step=360, max_steps=1000), control)
    assert control.should_evaluate  # the cooldown's end is validated
    stop.on_evaluate(None, SimpleNamespace(global_step=360, max_steps=1000), control, metrics={"eval_loss": 1.9},
                     model=model, lr_scheduler=schedule)
    assert control.should_training_stop and stop.best_step == 360  # the cooled weights were the best
    # a cooldown never passes the cap
    capped = ValidationStop(_Stream(), None, [], scorer=None, batch_size=64, n_rows=50)
    assert capped._cool_down(300, 320, torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0))
    assert capped.cooldown == (300, 320)
