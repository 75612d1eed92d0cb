"""The playbook picks iterative DPO (Iterative RPO, arXiv:2404.19733) by measured conditions: RFT plateaued while the
model's own samples were both right and wrong for the same prompts (measured when RFT sampled them)."""

import pytest

from posttrain.run.facts import MIXED_OUTCOMES, Facts, conditions
from posttrain.tools.data.artifact import ContaminationSummary, DatasetArtifact

from .test_playbook import ctx, finished, next_iteration  # noqa: F401 - the shared fixture and builders


def sampled(mixed: float) -> DatasetArtifact:
    """RFT's on-policy data as the Trainer records it: the share of prompts answered both right and wrong."""
    return DatasetArtifact(path="rft.parquet", format="sft", n_rows=100, columns=["prompt", "completion"],
                           card_path="README.md", counts={"prompts": 200},
                           contamination=ContaminationSummary(checked_against=["arithmetic"]),
                           generation={"k": 8, "acceptance_rate": 0.5, "prompts_solved": 0.9, "prompts_mixed": mixed})


def rft_plateau(mixed: float):
    sft = finished(1, "sft", 0.40, diff=0.40, significant=True, late=0.0)
    rft = finished(2, "rft", 0.42, diff=0.02, significant=False, late=0.0)
    rft.on_policy = sampled(mixed)
    return sft, rft


def test_rft_plateau_with_mixed_outcomes_goes_to_iterative_dpo(ctx):  # noqa: F811
    decision = next_iteration(ctx, *rft_plateau(0.6))
    plan = decision.plan
    assert plan.method == "dpo" and plan.technique == "Iterative RPO" and plan.paper == "arxiv:2404.19733"
    assert plan.beta == 0.1 and plan.samples_per_prompt >= 8 and plan.epochs == 2.0
    assert plan.init_from == "best" and "DPO" in decision.text and "arxiv:2404.19733" in decision.text


def test_consistent_samples_leave_grpo(ctx):  # noqa: F811
    plan = next_iteration(ctx, *rft_plateau(MIXED_OUTCOMES / 2)).plan
    assert plan.method == "grpo"  # too few prompts with both a right and a wrong answer to pair


def test_mixed_outcomes_come_only_from_sampling(ctx):  # noqa: F811
    sft = finished(1, "sft", 0.40, diff=0.40, significant=True, late=0.0)
    ctx.ledger.iterations.append(sft)
    facts = Facts.from_run(ctx)
    assert facts.mixed_share is None and "mixed_outcomes" not in conditions(facts)  # nothing sampled yet


def test_a_dpo_iteration_without_gain_has_plateaued(ctx):  # noqa: F811
    sft, rft = rft_plateau(0.6)
    dpo = finished(3, "dpo", 0.43, diff=0.01, significant=False, late=0.0, beta=0.1)
    ctx.ledger.iterations.extend([sft, rft, dpo])
    assert "dpo_plateau" in conditions(Facts.from_run(ctx))


def test_dpo_arm_beside_rft_shares_the_built_data():
    from posttrain.agents.manager.ablation import testable_changes
    from posttrain.run.ledger import Plan

    rft = Plan(method="rft", max_steps=100, learning_rate=3e-3, n_train=500, samples_per_prompt=8)
    changes, why = testable_changes(rft, {"method": "dpo", "beta": 0.1})
    assert why is None and changes == {"method": "dpo", "beta": 0.1}  # both sample from prompts with answers
    sft = Plan(method="sft", max_steps=100, learning_rate=3e-3, n_train=500)
    assert "one dataset is built" in testable_changes(sft, {"method": "dpo"})[1]
    assert "does not read beta" in testable_changes(sft, {"beta": 0.5})[1]


@pytest.mark.parametrize("method,words", [("dpo", "(8 samples each), DPO beta 0.1"), ("rft", "(8 samples each)")])
def test_plans_describe_their_method(method, words):
    from posttrain.run.ledger import Plan

    plan = Plan(method=method, max_steps=100, learning_rate=1e-3, n_train=50, samples_per_prompt=8, beta=0.1)
    assert f"{method.upper()} from the best checkpoint for 100 steps at lr 0.001 on 50 prompts {words}" \
        in plan.describe()
