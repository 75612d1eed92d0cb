"""When a decision runs ablation arms: a dissent a training run can settle, and a cluster with room to run it beside
the decision.

The principle: a dissent that one measurement could settle is measured instead of overruled, but only when it costs
no extra wall time — each arm runs *side by side* with the decision as a concurrent Ray task, never after it. So:

- testable: the dissenting proposal differs from the plan in fields a training run tests on the data this iteration
  builds (`TESTABLE_FIELDS`: method, learning rate, epochs, steps, init, beta, samples per prompt; fewer rows as a
  prefix of the rows built; a method only if it trains on the same data format, as one dataset is built);
- room: every arm gets a whole device of its own — one GPU each on a GPU cluster, else an equal share of at least
  one CPU core each; an arm that would have to queue behind another is not run, and the decision says why;
- at most `max_arms` arms, the control included (`--max-arms`, default 2; `--no-ablation` runs none).

The Manager's `record_decision` tool applies this rule to whatever arms it is given (the offline playbook's
measurable dissent, or an LLM Manager's choice), so both brains go through the same check.
"""

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from posttrain.run.facts import Proposal
from posttrain.run.ledger import CONTROL, TESTABLE_FIELDS, Ablation, Arm, Plan
from posttrain.tools.methods import METHODS, MethodName, get_format, get_method


class ArmRequest(BaseModel):
    """A second arm for this iteration: the decision's plan with these fields changed (unset ones keep the plan's)."""

    proposed_by: str = Field(description="Whose dissenting proposal this arm tests, e.g. 'Evaluator'.")
    method: MethodName | None = None
    learning_rate: float | None = Field(None, gt=0.0, lt=1.0)
    epochs: float | None = Field(None, gt=0.0, le=1000.0)
    max_steps: int | None = Field(None, ge=1, le=100_000)
    init_from: Literal["base", "best", "latest"] | None = None
    beta: float | None = Field(None, ge=0.0, le=10.0)
    samples_per_prompt: int | None = Field(None, ge=1, le=64)
    n_train: int | None = Field(None, ge=1, description="Fewer rows than the plan: trains on a prefix of them.")

    def changes(self) -> dict:
        return self.model_dump(exclude={"proposed_by"}, exclude_none=True)


@dataclass(frozen=True)
class ClusterResources:
    """What the Ray cluster that runs the training tasks has."""

    cpus: float
    gpus: float

    def describe(self) -> str:
        return f"{self.cpus:g} CPU{'' if self.cpus == 1 else 's'}, {self.gpus:g} GPU{'' if self.gpus == 1 else 's'}"


def arm_share(resources: ClusterResources, n_arms: int) -> tuple[int, float] | None:
    """(num_cpus, num_gpus) each of `n_arms` concurrent arms declares, or None when they cannot all run at once."""
    cpus = math.floor(resources.cpus / n_arms)
    if resources.gpus >= 1:
        return (cpus, 1.0) if resources.gpus >= n_arms and cpus >= 1 else None
    return (cpus, 0.0) if cpus >= 1 else None


def detect_resources(attach: bool = False) -> ClusterResources:
    """The cluster `run_training` uses: the one this process is attached to, or the one at RAY_ADDRESS (joined), or
    the local one Ray would start here (its CPU and GPU count; started only with `attach`)."""
    import ray

    if not ray.is_initialized() and (attach or os.environ.get("RAY_ADDRESS")):
        from posttrain.tools.training.launcher import ensure_ray  # the launcher's own start/join

        ensure_ray(0)
    if ray.is_initialized():
        total = ray.cluster_resources()
        return ClusterResources(cpus=float(total.get("CPU", 0)), gpus=float(total.get("GPU", 0)))
    try:
        from ray._private.utils import get_num_cpus  # what ray.init() would detect (cgroup quotas included)

        cpus = float(get_num_cpus())
    except Exception:  # noqa: BLE001 - a Ray without that helper: the CPUs this process may run on
        cpus = float(len(os.sched_getaffinity(0)))
    import torch

    return ClusterResources(cpus=cpus, gpus=float(torch.cuda.device_count()))


# Plan fields that only some methods read (the registry's arm_fields): an arm may vary them only for those methods.
METHOD_FIELDS = frozenset().union(*(m.arm_fields for m in METHODS.values()))


def _data_format(method: str) -> str:
    """The rows a method trains on, as the DataEngineer builds them (tools/methods.py): sft imitates completions;
    rft, grpo and dpo start from prompts with gold answers."""
    return get_format(get_method(method).data_format).rows


def testable_changes(plan: Plan, changes: dict) -> tuple[dict, str | None]:
    """The part of `changes` an arm beside `plan` can test, or ({}, why not)."""
    differing = {k: v for k, v in changes.items() if getattr(plan, k, None) != v}
    if not differing:
        return {}, "it asks for nothing the plan does not already do"
    untestable = sorted(set(differing) - set(TESTABLE_FIELDS))
    if untestable:
        return {}, f"{', '.join(untestable)} cannot be tested by a training run"
    if differing.get("n_train", 0) > plan.n_train:
        return {}, (f"it needs {differing['n_train']} rows and this iteration builds {plan.n_train}: an arm can only "
                    "train on a prefix of the rows built")
    method = differing.get("method", plan.method)
    idle = sorted(k for k in differing if k in METHOD_FIELDS and k not in get_method(method).arm_fields)
    if idle:  # e.g. a KL beta for SFT: the arm would train the control again
        return {}, f"{method} does not read {', '.join(idle)}, so the arm would repeat the control"
    if _data_format(method) != _data_format(plan.method):
        return {}, (f"{method} trains on {_data_format(method)} and the plan's {plan.method} on "
                    f"{_data_format(plan.method)}; one dataset is built per iteration")
    return differing, None


def measurable_dissent(plan: Plan, proposals: list[Proposal]) -> tuple[list[ArmRequest], list[str]]:
    """Arms for the dissenting proposals a training run can settle (strongest evidence first), and why each other
    dissent cannot be measured."""
    arms, reasons, seen = [], [], []
    for p in sorted(proposals, key=lambda p: -p.rank):
        if not p.changes or all(getattr(plan, k, None) == v for k, v in p.changes.items()):
            continue  # not a dissent: the plan already does what it asks
        changes, why = testable_changes(plan, p.changes)
        if why:
            reasons.append(f"{p.speaker}'s proposal is not measurable here: {why}")
        elif changes not in seen:
            seen.append(changes)
            arms.append(ArmRequest(proposed_by=p.speaker, **changes))
    return arms, reasons


def arm_name(changes: dict) -> str:
    return ",".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in changes.items())


def plan_ablation(plan: Plan, requests: list[ArmRequest], *, max_arms: int,
                  resources: "ClusterResources | Callable[[], ClusterResources]") -> tuple[Ablation | None, str]:
    """The ablation to run beside `plan` (None for none) and one sentence for the decision saying what and why.
    `resources` may be a callable, asked only when there is an arm to place."""
    arms, reasons = [], []
    for request in requests:
        changes, why = testable_changes(plan, request.changes())
        if why:
            reasons.append(f"{request.proposed_by}: {why}")
        elif all(changes != a.changes for a in arms):
            arms.append(Arm(name=arm_name(changes), proposed_by=request.proposed_by, changes=changes))
    if not arms:
        return None, (f"No ablation: {'; '.join(reasons)}." if reasons else "")
    if max_arms < 2:
        return None, "No ablation: arms are turned off for this run (--no-ablation or --max-arms 1)."
    cluster = resources() if callable(resources) else resources
    wanted = arms[: max_arms - 1]
    while wanted and arm_share(cluster, len(wanted) + 1) is None:
        wanted.pop()
    if not wanted:
        need = "a GPU for each arm" if cluster.gpus >= 1 else "a CPU core for each arm"
        return None, (f"No ablation: the Ray cluster has {cluster.describe()} and two arms side by side need {need}; "
                      f"{arms[0].proposed_by}'s proposal ({arms[0].name}) stays dissent.")
    cpus, gpus = arm_share(cluster, len(wanted) + 1)
    share = f"{cpus} CPU{'s' if cpus > 1 else ''}" + (" and 1 GPU" if gpus else "") + f" each of {cluster.describe()}"
    control = Arm(name=CONTROL, proposed_by=plan.adopted_from)
    ablation = Ablation(arms=[control, *wanted], resources=share)
    tested = "; ".join(f"{a.proposed_by}'s {a.name}" for a in wanted)
    left = [a for a in arms if a not in wanted]
    runs = "runs as a second arm" if len(wanted) == 1 else "run as arms"
    text = (f"Ablation: {tested} {runs} beside this plan, as concurrent Ray tasks ({share}); the best-scoring arm's "
            "checkpoint is this iteration's result.")
    if left:
        text += f" Not run (no room or --max-arms): {', '.join(a.name for a in left)}."
    return ablation, text
