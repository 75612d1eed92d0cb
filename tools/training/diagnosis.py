"""Turn a run's metrics history (and its error, if any) into findings with evidence and a proposed fix.

Rows are what TRL logs (``loss``, ``reward``, ``reward_std``, ``frac_reward_zero_std``, ``entropy``, ``kl``) plus
posttrain's ``eval_score``; Trackio's ``train/`` prefix is accepted too::

    diagnose([{"step": 10, "loss": 2.3}, {"step": 20, "loss": "nan"}])
    # [Finding(kind='loss_divergence', severity='error', evidence='loss is nan at step 20 ...', fix='...')]
"""

import math
import re
from typing import Literal

from pydantic import BaseModel, Field

from posttrain.tools.errors import ConfigError


class Finding(BaseModel):
    """One diagnosed problem: what, how bad, the numbers that show it, and what to change."""

    kind: str = Field(description="reward_collapse, entropy_collapse, kl_blowup, loss_divergence, no_learning, "
                                  "overfitting, plateau, out_of_memory or crash.")
    severity: Literal["info", "warning", "error"] = Field(description="error = the run is unusable as it is.")
    evidence: str = Field(description="The numbers that show it, quoted from the metrics or the error.")
    fix: str = Field(description="What to change in the next run.")


# "cannot map zero-fill pages": the dynamic loader's mmap failing (ENOMEM) while importing a compiled module, what a
# memory limit looks like when it bites at import time rather than in the first allocation
OOM_PATTERN = re.compile(
    r"out of memory|OutOfMemoryError|can't allocate memory|cannot allocate memory|MemoryError|std::bad_alloc|"
    r"memory limit|killed.*memory|OOM|cannot map zero-fill pages", re.IGNORECASE
)


def _value(row: dict, key: str) -> float | None:
    raw = row.get(key, row.get(f"train/{key}"))
    if raw is None:
        return None
    try:
        return float(raw)  # "nan"/"inf" strings written by the metrics stream parse back to floats
    except (TypeError, ValueError):
        return None


def _series(metrics: list[dict], key: str) -> list[tuple[int, float]]:
    out = []
    for row in metrics:
        value = _value(row, key)
        if value is not None:
            out.append((int(row.get("step", len(out))), value))
    return out


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _error_findings(error: str | None) -> list[Finding]:
    if not error:
        return []
    if OOM_PATTERN.search(error):
        return [Finding(kind="out_of_memory", severity="error", evidence=error[:300],
                        fix="halve batch_size or max_length, train a LoRA adapter (lora={}), or declare more "
                            "memory (max_memory_gb) / a larger GPU")]
    return [Finding(kind="crash", severity="error", evidence=error[:300],
                    fix="read the run's train.log for the traceback; fix the spec or data it names, then rerun")]


# Token cross-entropy above this is worse than uniform guessing over e^25 ≈ 7·10^10 tokens: no sane run gets there.
ABSURD_LOSS = 25.0


def _loss_findings(loss: list[tuple[int, float]], is_rl: bool, metrics: list[dict]) -> list[Finding]:
    bad = [(s, v) for s, v in loss if not math.isfinite(v)]
    if bad:
        return [Finding(kind="loss_divergence", severity="error",
                        evidence=f"loss is {bad[0][1]} at step {bad[0][0]} (first logged loss {loss[0][1]:.4g})",
                        fix="lower learning_rate 10x, keep warmup, and check the data for empty/garbage rows")]
    if len(loss) < 3 or is_rl:  # GRPO's loss is not a progress signal; its rewards are read instead
        return []
    first, last, low = loss[0][1], loss[-1][1], min(v for _, v in loss)
    step, peak = max(loss, key=lambda sv: sv[1])
    if peak > ABSURD_LOSS:
        return [Finding(kind="loss_divergence", severity="error",
                        evidence=f"loss reached {peak:.4g} at step {step}, worse than guessing uniformly over any "
                                 "real vocabulary",
                        fix="lower learning_rate 10x (or add warmup); the optimiser is overshooting")]
    if last > 1.5 * max(first, 1e-8) or (low > 0 and last > 3 * low and last > first):
        return [Finding(kind="loss_divergence", severity="error",
                        evidence=f"loss went {first:.4g} -> min {low:.4g} -> {last:.4g} at step {loss[-1][0]}",
                        fix="lower learning_rate 10x (or add warmup); the optimiser is overshooting")]
    if abs(first - last) <= 0.02 * abs(first):
        return [Finding(kind="no_learning", severity="error",
                        evidence=f"loss stayed flat: {first:.4g} at step {loss[0][0]} -> {last:.4g} at step "
                                 f"{loss[-1][0]} ({len(loss)} logs)",
                        fix="raise learning_rate (is it 0 or tiny?), check labels are not all masked, train longer")]
    if any("val_loss" in r for r in metrics):
        return []  # the validation split judges the curve (_validation_findings)
    matched = [(s, v) for (s, v), keep in zip(loss, _matched_mask(metrics, loss), strict=True) if keep]
    return _loss_plateau(matched)


# The curve rule. A training loss falls for two reasons: the model learns, or the step size shrinks (a decaying
# schedule averages out the gradient noise, so the loss drops where nothing new is learnt, and near a zero rate it
# cannot move at all). So "flat" and "still improving" are read only where the rate was matched: from the
# validation split when there is one (ValidationStop), else from the training losses logged while the rate was
# within a factor MATCHED_RATE of its peak (the constant phase of a constant schedule, the first half of a cosine)
# — never from the tail of a decaying schedule, where nearly every run looks flat.
MATCHED_RATE = 0.5


def matched_rate_losses(metrics: list[dict]) -> list[float]:
    """The logged training losses taken at a learning rate within `MATCHED_RATE` of the run's peak rate (all of
    them when the rows carry no learning rate)."""
    rows = [(v, _value(r, "learning_rate")) for r in metrics if (v := _value(r, "loss")) is not None]
    rates = [lr for _, lr in rows if lr is not None]
    if not rates:
        return [v for v, _ in rows]
    peak = max(rates)
    return [v for v, lr in rows if lr is not None and peak > 0 and lr >= MATCHED_RATE * peak]


def _matched_mask(metrics: list[dict], loss: list[tuple[int, float]]) -> list[bool]:
    """For each logged loss: was it taken at a matched rate (see `matched_rate_losses`)?"""
    rates = [_value(r, "learning_rate") for r in metrics if _value(r, "loss") is not None]
    peak = max((lr for lr in rates if lr is not None), default=None)
    if peak is None or len(rates) != len(loss):
        return [True] * len(loss)
    return [lr is not None and peak > 0 and lr >= MATCHED_RATE * peak for lr in rates]


def _loss_plateau(loss: list[tuple[int, float]]) -> list[Finding]:
    if len(loss) < 6:
        return []
    half = len(loss) // 2
    early_gain = loss[0][1] - loss[half][1]
    late_gain = loss[half][1] - loss[-1][1]
    if early_gain > 0.1 * abs(loss[0][1]) and late_gain < 0.01 * abs(loss[half][1]):
        return [Finding(kind="plateau", severity="info",
                        evidence=f"loss fell {loss[0][1]:.4g} -> {loss[half][1]:.4g} by step {loss[half][0]}, "
                                 f"then only to {loss[-1][1]:.4g} by step {loss[-1][0]}",
                        fix="more steps of the same will not help: stop here, change the data, or switch method")]
    return []


# Validation whose loss moved (fell or rose) by less than this share of its first value did not learn at all.
VALIDATION_BARELY_MOVED = 0.02
# Validation loss this far above its best while the training loss kept falling is memorisation, not noise.
OVERFIT_RISE = 0.1


def _validation_findings(metrics: list[dict]) -> list[Finding]:
    """Findings from the validation split (`convergence.ValidationStop` rows): plateau, overfitting, no learning."""
    rows = [r for r in metrics if "val_loss" in r]
    losses = [(int(r["step"]), v) for r in rows if (v := _value(r, "val_loss")) is not None and math.isfinite(v)]
    if len(losses) < 3:
        return []
    end = next((r for r in reversed(metrics) if "val_best_step" in r), {})
    first, (best_step, best) = losses[0][1], min(losses, key=lambda sv: sv[1])
    scores = [(int(r["step"]), float(r["val_score"])) for r in rows if "val_score" in r]
    shown = f"validation loss {first:.4g} -> best {best:.4g} at step {best_step} -> {losses[-1][1]:.4g} at step " \
            f"{losses[-1][0]}" + (f"; validation score best {max(v for _, v in scores):.3f}" if scores else "")
    findings = []
    spread = max(v for _, v in losses) - best  # fell or rose: either way the rate moved the model
    moved = spread > VALIDATION_BARELY_MOVED * abs(first) or bool(scores and max(v for _, v in scores) > scores[0][1])
    if not moved:
        findings.append(Finding(kind="no_learning", severity="error", evidence=f"{shown}: it barely moved",
                                fix="raise learning_rate (3x), check labels are not all masked"))
    train_after = [v for s, v in _series(metrics, "loss") if s >= best_step]
    if losses[-1][1] > best * (1 + OVERFIT_RISE) and len(train_after) >= 2 and train_after[-1] < train_after[0]:
        findings.append(Finding(kind="overfitting", severity="warning",
                                evidence=f"{shown} while the training loss fell {train_after[0]:.4g} -> "
                                         f"{train_after[-1]:.4g}",
                                fix=f"the step-{end.get('val_best_step', best_step)} weights were kept; more rows, "
                                    "or fewer passes, help more than more steps"))
    if end.get("val_stopped_early") and moved:
        findings.append(Finding(kind="plateau", severity="info",
                                evidence=f"{shown}: stopped at step {end.get('step')}, no validation gain since step "
                                         f"{end.get('val_best_step')}",
                                fix="the best checkpoint was kept; a plateau at a constant rate is that rate's noise "
                                    "floor: continue from it at a third of the learning rate, or change method/data"))
    return findings


def _reward_findings(metrics: list[dict]) -> list[Finding]:
    reward, std = _series(metrics, "reward"), _series(metrics, "reward_std")
    zero_std = _series(metrics, "frac_reward_zero_std")
    if not reward:
        return []
    tail = max(1, len(reward) // 3)
    last_reward = _mean([v for _, v in reward[-tail:]])
    last_zero = _mean([v for _, v in zero_std[-tail:]]) if zero_std else None
    last_std = _mean([v for _, v in std[-tail:]]) if std else None
    collapsed = (last_zero is not None and last_zero >= 0.9) or (last_std is not None and last_std <= 0.01)
    if not collapsed:
        return []
    shown = f"frac_reward_zero_std {last_zero:.2f}" if last_zero is not None else f"reward_std {last_std:.3f}"
    evidence = f"{shown} and mean reward {last_reward:.3f} over the last {tail} logs (to step {reward[-1][0]})"
    if last_reward >= 0.95:
        return [Finding(kind="reward_collapse", severity="info", evidence=evidence + ": every sample is right",
                        fix="the rewarded task is solved; stop GRPO or give it harder prompts")]
    early_zero = _mean([v for _, v in zero_std[:tail]]) if zero_std else None
    if early_zero is not None and early_zero < 0.9:  # the groups still varied early on: the policy collapsed
        evidence += f" (it was {early_zero:.2f} over the first {tail} logs)"
    fix = ("every group gets the same reward, so advantages are 0 and nothing is learnt: SFT first so some samples "
           "are right, add a partial-credit reward, raise temperature or num_generations, and raise beta (the KL "
           "anchor to the reference, see next_beta) so the policy cannot collapse onto one answer")
    return [Finding(kind="reward_collapse", severity="error", evidence=evidence, fix=fix)]


def _entropy_and_kl(metrics: list[dict]) -> list[Finding]:
    findings = []
    entropy, kl, reward = _series(metrics, "entropy"), _series(metrics, "kl"), _series(metrics, "reward")
    # Entropy falling to ~0 is what SFT on a deterministic task should do; it is a collapse only under RL.
    if reward and len(entropy) >= 3 and entropy[0][1] > 0:
        first, last = entropy[0][1], entropy[-1][1]
        if last < 0.05 and last < 0.1 * first:
            solved = bool(reward) and reward[-1][1] >= 0.95
            findings.append(Finding(
                kind="entropy_collapse", severity="info" if solved else "warning",
                evidence=f"entropy fell {first:.3g} -> {last:.3g} by step {entropy[-1][0]}"
                         + (f" with reward {reward[-1][1]:.2f}" if reward else ""),
                fix="the policy samples one answer: raise beta (the KL anchor to the reference, see next_beta), "
                    "lower learning_rate, or raise temperature"
                    if not solved else "expected once the task is solved; stop or move to harder prompts"))
    finite_kl = [(s, v) for s, v in kl if math.isfinite(v)]
    if len(finite_kl) < len(kl) or (finite_kl and max(v for _, v in finite_kl) > 1.0):
        step, peak = max(kl, key=lambda sv: sv[1] if math.isfinite(sv[1]) else math.inf)
        findings.append(Finding(kind="kl_blowup", severity="error",
                                evidence=f"kl reached {peak:.3g} at step {step} (first {kl[0][1]:.3g})",
                                fix="lower learning_rate 3-10x or raise beta; the policy left the reference"))
    return findings


def _eval_findings(scores: list[tuple[int, float]], loss: list[tuple[int, float]]) -> list[Finding]:
    if len(scores) < 3:
        return []
    best_step, best = max(scores, key=lambda sv: sv[1])
    last_step, last = scores[-1]
    if best - last >= 0.05 and best_step < last_step:
        after = [v for s, v in loss if s >= best_step]
        if len(after) >= 2 and after[-1] < after[0]:
            return [Finding(kind="overfitting", severity="warning",
                            evidence=f"eval score fell {best:.3f} (step {best_step}) -> {last:.3f} (step {last_step}) "
                                     f"while train loss fell {after[0]:.4g} -> {after[-1]:.4g}",
                            fix=f"keep the step-{best_step} model (fewer steps), lower learning_rate, or fix/clean "
                                "the training labels")]
    tail = scores[-3:]
    earlier_best = max(v for _, v in scores[:-3]) if len(scores) > 3 else tail[0][1]
    if max(v for _, v in tail) - min(v for _, v in tail) <= 0.02 and max(v for _, v in tail) <= earlier_best + 0.03:
        level = "stalled low" if last < 0.2 else "stopped improving"
        return [Finding(kind="plateau", severity="warning" if last < 0.2 else "info",
                        evidence=f"eval score {level}: {', '.join(f'{v:.3f}@{s}' for s, v in tail)}",
                        fix="re-seed or raise learning_rate (stalled low), or stop SFT and run GRPO on the "
                            "systematic errors (stopped improving)")]
    return []


# The KL anchor rule. GRPO runs start without it (beta 0: no reference model to hold in memory, as DAPO and
# TRL's default do); when the policy collapses, beta goes to a small floor, then doubles on each new collapse.
BETA_FLOOR = 0.01
BETA_FACTOR = 2.0
BETA_MAX = 1.0
COLLAPSE_KINDS = {"entropy_collapse", "reward_collapse", "kl_blowup"}


def next_beta(current: float, findings: list[Finding]) -> float:
    """The GRPO beta (KL coefficient to the reference model) for the next run, given this run's findings.

    Principle: anchor the policy to its reference only as much as needed. Start small (0, or a small value), and
    when the policy collapses (entropy_collapse, reward_collapse or kl_blowup at warning/error severity; the
    "task solved" info findings do not count) multiply beta by BETA_FACTOR, from BETA_FLOOR when it was 0, up
    to BETA_MAX. Without a collapse beta stays as it is. Pure: no I/O, same inputs give the same output.
    """
    if not math.isfinite(current) or current < 0:
        raise ConfigError(f"beta must be a finite number >= 0, got {current}; fix: pass the spec's beta (e.g. 0.0)")
    if not any(f.kind in COLLAPSE_KINDS and f.severity != "info" for f in findings):
        return current
    return min(BETA_MAX, max(BETA_FLOOR, current * BETA_FACTOR))


def diagnose(
    metrics: list[dict], *, error: str | None = None, eval_scores: list[float] | None = None
) -> list[Finding]:
    """Findings for one run, most severe first. `eval_scores` (in order) adds to any `eval_score` rows."""
    loss = _series(metrics, "loss")
    is_rl = bool(_series(metrics, "reward"))
    scores = _series(metrics, "eval_score")
    if eval_scores and not scores:  # plain scores: assume they were taken evenly over the logged steps
        last_step = loss[-1][0] if loss else len(eval_scores) - 1
        span = max(1, len(eval_scores) - 1)
        scores = [(round(i * last_step / span), score) for i, score in enumerate(eval_scores)]
    findings = (_error_findings(error) + _loss_findings(loss, is_rl, metrics) + _reward_findings(metrics)
                + _entropy_and_kl(metrics) + _eval_findings(scores, loss) + _validation_findings(metrics))
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: order[f.severity])
