"""The Evaluator's offline rules: judge by paired tests, never point estimates; measure and check decoding."""

from posttrain.run.context import RunContext
from posttrain.run.facts import Facts, Proposal, applicable_techniques


def proposal(ctx: RunContext) -> Proposal:
    facts = Facts.from_run(ctx)
    base, last = ctx.ledger.baseline, facts.last
    if last is None or last.evaluation is None:
        if base is None:
            return Proposal("Evaluator", "We have no baseline yet.", "train, then judge by a paired test", rank=1)
        evidence = f"We only have the baseline {base.describe()}" + baseline_setting(ctx)
        failures = _failures(base.report)
        if failures:
            evidence += f". Outcomes: {failures.describe()}"
        if failures and failures.format_bound:
            return Proposal("Evaluator", evidence + ".", "teach the answer in the form the scorer reads, in the prompt "
                            "format the baseline chose; judge the skill only once answers are read", rank=1)
        return Proposal("Evaluator", evidence + ".", "train, then judge by a paired test", rank=1)
    evidence = f"Iteration {last.index} scored {last.evaluation.describe()}"
    failures = _failures(last.evaluation.report)
    if failures:
        evidence += f" ({failures.describe()})"
    if last.comparison:
        evidence += f"; paired vs the previous best: {last.comparison.describe()}"
    if last.decoding:
        evidence += f"; decoding: {last.decoding}"
    if last.ablation and last.ablation.winner:
        evidence += f"; iteration {last.index}'s ablation: {last.ablation.verdict()}"
    diff, significant = facts.gain
    if significant and diff > 0:
        return Proposal("Evaluator", evidence + ".", "keep the method, the gain is real", rank=1)
    if facts.still_improving:  # within noise, but the model is still learning: the curve decides, not the score
        return Proposal("Evaluator", evidence + ".", "no verdict yet: the gain is within noise while the loss still "
                        "falls", rank=1)
    alternatives = [t for t in applicable_techniques(facts) if t.method and t.method != facts.last_method]
    if alternatives:
        alt = alternatives[0]
        return Proposal("Evaluator", evidence + ".", f"change the method to {alt.method.upper()} ({alt.name}): this "
                        "gain is within noise", rank=2, changes={"method": alt.method},
                        why=f"Δ {diff:+.3f} is not significant, so {facts.last_method} has stopped paying")
    return Proposal("Evaluator", evidence + ".", "no other method can use this model yet; let the curve decide",
                    rank=1)


def baseline_setting(ctx: RunContext) -> str:
    """' with greedy+chat decoding (raw greedy 0.000, …)': how the baseline was measured, for debates."""
    chosen = ctx.ledger.base_decoding
    if not chosen:
        return ""
    others = ", ".join(f"{name} {score:.3f}" for name, score in chosen["scores"].items() if name != chosen["chosen"])
    return f" with {chosen['chosen']} decoding" + (f" (also measured: {others})" if others else "")


def _failures(report_path: str):
    from posttrain.tools.errors import ConfigError
    from posttrain.tools.evaluation.report import load_report

    try:
        return load_report(report_path).failures()
    except ConfigError:  # a report moved or deleted by hand: the debate goes on without the breakdown
        return None


def request(ctx: RunContext) -> str | None:
    it = ctx.iteration
    if it.index == 0:
        return f"measure the baseline on {ctx.benchmark.name}." if ctx.ledger.baseline is None else None
    if it.trained and it.evaluation is None:
        if it.ablation and len(it.ablation.arms) > 1:
            return ("evaluate every ablation arm on the same items, each paired with the control; the best arm "
                    "against the best so far (paired test); then check its decoding.")
        return "evaluate the new checkpoint against the best so far (paired test), then check its decoding."
    return None


def work(ctx: RunContext) -> list[tuple[str, dict]]:
    it = ctx.iteration
    if request(ctx) is not None:
        return [("evaluate_checkpoint", {})]
    # Fix decoding before drawing conclusions: every new checkpoint is checked greedy vs sampled, with vs without
    # the chat template (a model trained on chat-formatted data may only answer inside its template).
    if it.index > 0 and it.evaluation is not None and it.decoding is None:
        return [("check_decoding", {})]
    return []
