"""An example plug-in specialist: a Statistician who asks whether the evaluation can even see the gain we hope for.

Use it with:

    posttrain run "Teach the base model 3-digit addition" --agent examples/statistician.py:build_statistician

It joins every debate (with its own offline rule) and the Manager delegates to it after the Evaluator. Its tool reads
the run through `posttrain.run.context.current_run()` and computes the minimum detectable effect of the
benchmark's size, so a team does not chase differences its eval set cannot resolve.
"""

import math

from pydantic import BaseModel

from posttrain.agents.specialist import Specialist
from posttrain.run.context import RunContext, current_run


class PowerCheck(BaseModel):
    summary: str
    n: int
    best_score: float
    minimum_detectable_effect: float
    items_needed_for_5_points: int


def minimum_detectable_effect(p: float, n: int, z_alpha: float = 1.96, z_beta: float = 0.84) -> float:
    """Smallest difference in accuracy a two-sided 0.05 test detects with 80% power at n items per side."""
    p = min(max(p, 0.01), 0.99)
    return (z_alpha + z_beta) * math.sqrt(2 * p * (1 - p) / n)


def check_power() -> PowerCheck:
    """Compute the eval set's minimum detectable effect at the best score so far, and the items needed to see a
    5-point gain. Use after each evaluation, before trusting a small difference."""
    ctx = current_run()
    best, _ = ctx.ledger.best()
    if best is None:
        return PowerCheck(summary="No evaluation yet.", n=0, best_score=0.0, minimum_detectable_effect=1.0,
                          items_needed_for_5_points=0)
    mde = minimum_detectable_effect(best.score, best.n)
    p = min(max(best.score, 0.01), 0.99)
    needed = math.ceil(2 * p * (1 - p) * ((1.96 + 0.84) / 0.05) ** 2)
    return PowerCheck(
        summary=f"With n={best.n} at score {best.score:.3f}, the smallest gain we can reliably detect is "
                f"{mde:.3f}; seeing a 0.05 gain needs about {needed} items.",
        n=best.n, best_score=best.score, minimum_detectable_effect=mde, items_needed_for_5_points=needed,
    )


def debate_rule(ctx: RunContext) -> str:
    best, _ = ctx.ledger.best()
    if best is None:
        return "Statistician: nothing measured yet; make sure the eval set is large enough before the first gain."
    mde = minimum_detectable_effect(best.score, best.n)
    return (f"Statistician: at n={best.n} and score {best.score:.3f}, differences under {mde:.3f} are noise. "
            "I propose: judge this iteration only by the paired test.")


def build_statistician(model_client) -> Specialist:
    """Factory: receives the brain's model client, returns the specialist."""
    return Specialist(
        name="Statistician",
        description="Checks whether the evaluation has the statistical power to see the gains the team chases.",
        system_message="You are the Statistician. Call check_power and report the minimum detectable effect.",
        debate_stance="argue from statistical power: which differences the eval set can and cannot resolve",
        model_client=model_client,
        tools=[check_power],
        offline_debate=debate_rule,
    )
