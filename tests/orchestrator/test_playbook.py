"""The offline playbook's rules: same measured results, same plan — and the plan follows the numbers."""

import json

import pytest

from posttrain.orchestrator.brains.playbook import LARGE, SMALL, Playbook, regime_for
from posttrain.orchestrator.config import RunConfig
from posttrain.orchestrator.context import RunContext
from posttrain.orchestrator.events import EventBus
from posttrain.orchestrator.ledger import IterationRecord, Ledger, Plan, Score
from posttrain.orchestrator.workspace import RunWorkspace


@pytest.fixture
def ctx(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"hidden_size": 128, "num_hidden_layers": 2}))
    cfg = RunConfig(goal="Teach the base model 3-digit addition", run_dir=str(tmp_path / "run"))
    ledger = Ledger(baseline=Score(score=0.0, n=200, ci95=(0.0, 0.02), report="r0.json"))
    return RunContext(config=cfg, workspace=RunWorkspace(tmp_path / "run"), ledger=ledger, bus=EventBus(),
                      base_model_path=str(model))


def finished(index, method, score, *, diff, significant, late, status="succeeded", findings=()):
    plan = Plan(method=method, max_steps=1000, learning_rate=1e-2, n_train=4000)
    return IterationRecord(
        index=index, phase="done", plan=plan,
        training={"method": method, "status": status, "checkpoint": f"ck{index}" if status == "succeeded" else None,
                  "summary": {"first_loss": 3.0, "last_loss": 1.0, "late_improvement": late},
                  "findings": list(findings), "error": None if status == "succeeded" else "boom"},
        evaluation=Score(score=score, n=200, ci95=(max(0, score - 0.05), score + 0.05), report=f"r{index}.json",
                         checkpoint=f"ck{index}" if status == "succeeded" else None),
        comparison={"diff": diff, "significant": significant, "p_value": 0.001 if significant else 0.6},
    )


def test_regime_by_model_size(ctx, tmp_path):
    assert regime_for(ctx.base_model_path) is SMALL
    assert regime_for(str(tmp_path / "no-such")) is LARGE


def test_first_iteration_is_sft_from_base(ctx):
    plan = Playbook(ctx).next_plan()
    assert (plan.method, plan.init_from, plan.max_steps, plan.learning_rate) == ("sft", "base", 1500, 1e-2)


def test_significant_gain_with_falling_loss_trains_longer(ctx):
    it = finished(1, "sft", 0.30, diff=0.30, significant=True, late=0.2)
    it.dataset = {"n_rows": 4000, "label_accuracy": 1.0}
    ctx.ledger.iterations.append(it)
    plan = Playbook(ctx).next_plan()
    assert plan.method == "sft" and plan.max_steps == 2000 and plan.init_from == "best"
    assert plan.n_train == 4000  # measured: doubling the data here slowed learning (0.265 vs 0.815)
    data_engineer = Playbook(ctx).proposal("DataEngineer")  # 1000 steps × 64 / 4000 rows = 16 epochs
    assert "16.0 epochs" in data_engineer.evidence and data_engineer.n_train == 8000
    assert Playbook(ctx).dissent(plan, [data_engineer]) == ["DataEngineer: double the data before training longer"]


def test_plateau_switches_to_grpo_and_records_dissent(ctx):
    ctx.ledger.iterations.append(finished(1, "sft", 0.40, diff=0.01, significant=False, late=0.0))
    playbook = Playbook(ctx)
    plan = playbook.next_plan()
    assert plan.method == "grpo" and plan.learning_rate == SMALL.grpo_lr and "plateau" in plan.rationale
    evaluator = playbook.proposal("Evaluator")
    assert "p=0.6" in evaluator.evidence and "not significant" in evaluator.evidence


def test_floor_continues_from_latest_checkpoint(ctx):
    ctx.ledger.iterations.append(finished(1, "sft", 0.01, diff=0.01, significant=False, late=0.01))
    plan = Playbook(ctx).next_plan()
    assert plan.method == "sft" and plan.init_from == "latest" and plan.n_train == 8000
    assert ctx.model_for_next_training("latest") == "ck1"
    assert ctx.model_for_next_training("best") == "ck1"  # 0.01 beats the 0.0 baseline


def test_divergence_lowers_the_learning_rate(ctx):
    failure = {"kind": "loss_divergence", "severity": "error", "evidence": "loss nan at step 12", "fix": "lower lr"}
    ctx.ledger.iterations.append(finished(1, "sft", 0.0, diff=0.0, significant=False, late=0.0,
                                          status="failed", findings=[failure]))
    plan = Playbook(ctx).next_plan()
    assert plan.learning_rate == pytest.approx(1e-2 / 3)
    trainer = Playbook(ctx).proposal("Trainer")
    assert "loss nan at step 12" in trainer.evidence and trainer.action == "lower lr"


def test_dissent_lists_overruled_specialists(ctx):
    ctx.ledger.iterations.append(finished(1, "sft", 0.30, diff=0.30, significant=True, late=0.2))
    playbook = Playbook(ctx)
    plan = playbook.next_plan()
    proposals = [playbook.proposal(r) for r in ("Trainer", "Evaluator", "DataEngineer")]
    assert all(not d.startswith("Trainer") for d in playbook.dissent(plan, proposals))
    grpo = plan.model_copy(update={"method": "grpo"})
    assert any(d.startswith("Trainer") for d in playbook.dissent(grpo, proposals))


def test_noisy_teacher_labels_switch_to_grpo_even_while_loss_falls(ctx):
    it = finished(1, "sft", 0.34, diff=0.34, significant=True, late=0.3)
    it.dataset = {"n_rows": 4000, "format": "sft", "label_accuracy": 0.54, "contamination": {"dropped": 0, "rate": 0}}
    ctx.ledger.iterations.append(it)
    playbook = Playbook(ctx)
    plan = playbook.next_plan()
    assert plan.method == "grpo" and "54%" in plan.rationale
    assert playbook.proposal("DataEngineer").method == "grpo"
    assert any(d.startswith("Trainer") for d in playbook.dissent(plan, [playbook.proposal("Trainer")]))
