"""Train to convergence on a validation split: evaluate the held-out rows during training, keep the best weights,
stop when the validation measure has not improved for a while.

The run's `max_steps` is a cap (the time budget's share, or a cap on passes), not a target: small data gets as many
passes as help, and a run whose validation stopped improving ends early with its best checkpoint, not its last::

    callback = ValidationStop(stream, tokenizer, items, scorer="path/to/eval.jsonl", patience=True)
    trainer = SFTTrainer(..., eval_dataset=validation, callbacks=[callback])   # validation loss from TRL's eval
    trainer.train()                                                            # on_train_end restores the best

Rows written to metrics.jsonl: ``{"step", "val_loss", "val_score", "val_improved"}`` at each validation, one
``{"step", "val_cooldown_until"}`` when patience runs out and the rate starts to decay, and one
``{"step", "val_best_step", "val_stopped_early", "val_cooled"}`` at the end (`result.summarize` reads them).
"""

import math
from pathlib import Path

from transformers import TrainerCallback


# Patience, in two measures that must both run out. In evaluations: one or two flat readings are noise (a 100-row
# score moves by single items). In steps: a run that improved at step s is judged on a window that grows with s
# (progress slows on a log-step scale), so a long run is not cut by the fixed window that suits a short one.
PATIENCE_EVALS = 5
PATIENCE_SHARE = 0.25
# A validation loss has improved when it fell by more than this share of the *first* validation loss (the scale
# of what there was to learn). Measured against the current best instead, a loss creeping towards 0 on data the model
# already answers would count as progress forever, and the run would go to its cap for gains no score can show.
MIN_LOSS_GAIN = 0.01
# Validation may take this share of the run's compute. Counted in tokens processed, so the interval is the same on
# every machine and a run is reproducible: a validation runs each held-out row forward once (the loss) and each
# prompt and answer token once more (greedy generation with a cache), about two forwards per row; a training step
# is a forward and a backward (about 3 forwards) over the batch. Decoding's per-token latency is not counted, so on
# a small model the wall-clock share is higher than this.
EVAL_COMPUTE_SHARE = 0.2
# Never more often than the metrics are logged (the default logging interval).
MIN_EVAL_STEPS = 10
# With a convergence stop the schedule is constant after warm-up: the stopping point is unknown in advance, so a
# schedule tied to max_steps would decay at an arbitrary point, and only at a constant rate do the losses of any
# two steps compare. The warm-up settles Adam's moment estimates; it does not grow with the cap.
CONVERGENCE_SCHEDULE = "constant_with_warmup"
WARMUP_STEPS_MAX = 100
# When patience runs out the run does not stop at once: it cools down, the learning rate falling linearly to 0 over a
# fifth of the steps taken so far (warmup-stable-decay: MiniCPM, arXiv:2404.06395; a cooldown of ~20% of the run
# matches a cosine schedule of the same length, Hägele et al., arXiv:2405.18392). A plateau at a constant rate is that
# rate's noise floor; the decay is what settles below it, as the end of a cosine run does.
COOLDOWN_SHARE = 0.2


def validation_items(path: str | Path, tokenizer) -> list:
    """Evaluation items (prompt + gold answer) from held-out SFT rows: prompt/completion rows as they are, chat
    `messages` rows through the tokenizer's chat template (the prompt the model was trained to answer). The gold
    answer is the row's `answer` column when the build kept it, else the completion."""
    from posttrain.tools.data.load import load_rows
    from posttrain.tools.evaluation.benchmark import Item

    rows, _ = load_rows(path=str(path))
    items = []
    for i, row in enumerate(rows):
        if row.get("messages"):
            messages = list(row["messages"])
            prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
            completion = messages[-1]["content"]
        elif row.get("prompt") is not None and row.get("completion") is not None:
            prompt, completion = str(row["prompt"]), str(row["completion"])
        else:
            continue  # plain `text` rows have no prompt to answer: they count in the loss only
        answer = row.get("answer")
        gold = str(answer) if answer is not None and str(answer).strip() else completion
        items.append(Item(id=f"val-{i}", prompt=prompt, answer=gold))
    return items


class ValidationStop(TrainerCallback):
    """Validate every few steps (loss from the trainer's `eval_dataset`, score by greedy generation), keep the best
    trainable weights in memory; after `PATIENCE_EVALS` validations and `PATIENCE_SHARE` of the steps without
    improvement (neither a better score nor a lower loss; `patience=False` never stops early) cool down (the rate
    decays to 0 over `COOLDOWN_SHARE` of the steps so far) and stop, and restore the best weights at the end.

    Best = highest validation score, ties broken by the lower loss (the score is what the benchmark measures; the
    loss still moves while the score sits at 0). Without a scorer, the lowest loss."""

    def __init__(self, stream, tokenizer, items: list, *, scorer: str | None, batch_size: int, n_rows: int,
                 patience: bool = True):
        self.stream, self.tokenizer, self.items, self.patience = stream, tokenizer, items, patience
        self.bench = None
        if scorer and items:
            from posttrain.tools.evaluation import get_benchmark

            self.bench = get_benchmark(scorer)
        self.interval = eval_interval(n_rows, len(items) if self.bench else 0, batch_size)
        self.last_eval_step = 0
        self.last_gain_step = 0
        self.best: tuple[float, float] | None = None  # (score or 0, loss) of the kept weights
        self.lowest_loss = math.inf
        self.first_loss: float | None = None
        self.best_step: int | None = None
        self.best_weights: dict | None = None
        self.history: list[tuple[int, float | None, float]] = []
        self.stopped_early = False
        self.cooldown: tuple[int, int] | None = None  # (first step, last step) of the decay once patience ran out

    # -- when to validate ---------------------------------------------------------------------------------------
    def on_step_end(self, args, state, control, **kwargs):
        due = state.global_step - self.last_eval_step >= self.interval
        cooled = self.cooldown is not None and state.global_step >= self.cooldown[1]
        if due or cooled or state.global_step >= state.max_steps or control.should_training_stop:
            control.should_evaluate = True

    # -- what a validation means -------------------------------------------------------------------------------
    def on_evaluate(self, args, state, control, metrics=None, model=None, lr_scheduler=None, **kwargs):
        from posttrain.tools.training.callbacks import greedy_accuracy

        loss = float((metrics or {}).get("eval_loss", math.nan))
        score = greedy_accuracy(model, self.tokenizer, self.bench, self.items) if self.bench else None
        if self.first_loss is None and math.isfinite(loss):
            self.first_loss = loss
        better = self._better(score, loss)
        # patience counts validations where nothing improved: a new best score, or a new lowest loss (a small
        # split's score moves by whole items, so the loss carries the trend between them)
        improved = better or (math.isfinite(loss) and loss < self.lowest_loss - self._min_gain())
        self.lowest_loss = min(self.lowest_loss, loss) if math.isfinite(loss) else self.lowest_loss
        if better:
            self.best, self.best_step = (score or 0.0, loss), state.global_step
            self.best_weights = snapshot(model)
        if improved:
            self.last_gain_step = state.global_step
        self.history.append((state.global_step, score, loss))
        row = {"step": state.global_step, "val_loss": loss, "val_improved": improved}
        if score is not None:
            row["val_score"] = score
        self.stream.write(row)
        # A perfect validation score is not a stop by itself: a small split reads 1.0 while held-out items still
        # fail (the caesar run: 60/60 on validation at step 30, 0.973 on the benchmark), and the loss keeps the margin
        # growing; patience on the loss decides, as for any score.
        step = state.global_step
        if self.cooldown is not None:
            if step >= self.cooldown[1]:
                control.should_training_stop = True
        elif self.patience and self._patience_ran_out(step):
            self.stopped_early = True
            if not self._cool_down(step, state.max_steps, lr_scheduler):
                control.should_training_stop = True
            else:
                self.stream.write({"step": step, "val_cooldown_until": self.cooldown[1]})
        self.last_eval_step = step

    def _cool_down(self, step: int, cap: int, scheduler) -> bool:
        """Decay the rate linearly to 0 from `step` over COOLDOWN_SHARE of the steps so far (within the cap); False
        when there is no room or the schedule is not a multiplier schedule this can wrap."""
        scheduler = getattr(scheduler, "scheduler", scheduler)  # accelerate wraps it when it prepares the optimiser
        length = min(math.ceil(COOLDOWN_SHARE * step), cap - step)
        if length < 1 or not hasattr(scheduler, "lr_lambdas"):
            return False
        end = step + length
        scheduler.lr_lambdas = [lambda s, f=f: f(s) * max(0.0, (end - s) / length) for f in scheduler.lr_lambdas]
        self.cooldown = (step, end)
        return True

    def _better(self, score: float | None, loss: float) -> bool:
        """Better than the kept weights: a higher score, or the same score at a lower loss."""
        if not math.isfinite(loss) and score is None:
            return False
        if self.best is None:
            return True
        best_score, best_loss = self.best
        if score is not None and score != best_score:
            return score > best_score
        return math.isfinite(loss) and loss < best_loss - self._min_gain()

    def _min_gain(self) -> float:
        return MIN_LOSS_GAIN * abs(self.first_loss or 0.0)

    def _patience_ran_out(self, step: int) -> bool:
        since = [s for s, _, _ in self.history if s > self.last_gain_step]
        return len(since) >= PATIENCE_EVALS and step - self.last_gain_step >= PATIENCE_SHARE * step

    def on_train_end(self, args, state, control, model=None, **kwargs):
        if self.best_weights is not None and self.history and self.history[-1][0] != self.best_step:
            restore(model, self.best_weights)
        self.stream.write({"step": state.global_step, "val_best_step": self.best_step or 0,
                           "val_stopped_early": self.stopped_early, "val_cooled": self.cooldown is not None})


def eval_interval(n_rows: int, n_prompts: int, batch_size: int) -> int:
    """Steps between validations so that validation costs `EVAL_COMPUTE_SHARE` of the run (see the constant)."""
    validation = n_rows + n_prompts
    return max(MIN_EVAL_STEPS, math.ceil(validation / (EVAL_COMPUTE_SHARE * 3 * batch_size)))


def snapshot(model) -> dict:
    """A CPU copy of the trainable weights (all of them for full fine-tuning, the adapter for LoRA)."""
    return {name: p.detach().to("cpu", copy=True) for name, p in model.named_parameters() if p.requires_grad}


def restore(model, weights: dict) -> None:
    import torch

    with torch.no_grad():
        for name, p in model.named_parameters():
            if name in weights:
                p.copy_(weights[name].to(p.device))
