"""The playbook's rules once runs validate (tools/training/convergence.py): "still improving" comes from the
validation split, not the training loss's tail; a plateau at a constant rate anneals the rate (reduce on
plateau); a first validation that was the best restarts at a lower rate; epochs stay a cap."""

import pytest

from tests.orchestrator.test_playbook import finished, make_ctx, next_iteration


def validated(score, *, stopped_early, best_step=250, first_loss=2.3, best_loss=0.7, best_score=0.3, late=0.0,
              lr=None, epochs=200.0):
    record = finished(1, "sft", score, diff=score, significant=True, late=late, epochs=epochs, rows=504)
    if lr:
        record.plan.learning_rate = lr
    record.training.summary.update(first_val_loss=first_loss, best_val_loss=best_loss, last_val_loss=best_loss + 0.2,
                                   best_val_score=best_score, val_best_step=best_step, validations=15.0,
                                   val_stopped_early=float(stopped_early),
                                   val_improving=float(not stopped_early))
    record.dataset.counts["validation"] = 56
    return record


def test_validation_plateau_at_a_constant_rate_anneals_from_the_best(tmp_path):
    ctx = make_ctx(tmp_path)
    # the training loss's tail still fell 20%: that is not what decides once there is a validation split
    decision = next_iteration(ctx, validated(0.30, stopped_early=True, late=0.2))
    plan = decision.plan
    assert (plan.method, plan.init_from, plan.epochs) == ("sft", "latest", 200.0)
    assert plan.learning_rate == pytest.approx(1e-2 / 3)
    assert "noise floor" in decision.text
    assert plan.n_train == 504 + 56  # the same rows again: the build holds out the same validation rows


def test_validation_still_improving_at_the_cap_continues_at_the_same_rate(tmp_path):
    ctx = make_ctx(tmp_path)
    plan = next_iteration(ctx, validated(0.30, stopped_early=False, late=0.0)).plan
    assert (plan.method, plan.init_from, plan.learning_rate) == ("sft", "latest", 1e-2)


def test_first_validation_best_restarts_lower(tmp_path):
    ctx = make_ctx(tmp_path)
    record = validated(0.0, stopped_early=True, best_step=20, best_loss=2.3, best_score=0.0)
    plan = next_iteration(ctx, record).plan
    assert (plan.init_from, plan.learning_rate) == ("base", pytest.approx(1e-2 / 3))


def test_annealed_plateau_hands_over_to_the_catalogue(tmp_path):
    ctx = make_ctx(tmp_path)
    # already at a ninth of the measured rate (3e-3 for this width): no further reduction, the default applies
    plan = next_iteration(ctx, validated(0.30, stopped_early=True, lr=3e-3 / 9 * 0.9)).plan
    assert plan.learning_rate != pytest.approx(3e-3 / 9 * 0.9 / 3)


def test_a_converging_run_gets_its_iterations_share_of_the_budget(tmp_path):
    from posttrain.agents.trainer.budget import training_share_s as budget_share_s

    ctx = make_ctx(tmp_path, budget="30m")  # 3 iterations, none done: a third each
    assert budget_share_s(ctx) == pytest.approx(600, abs=5)
    ctx.ledger.iterations.append(validated(0.3, stopped_early=True))  # one done: half of what is left each
    assert budget_share_s(ctx) == pytest.approx(900, abs=5)
    assert budget_share_s(make_ctx(tmp_path / "none")) is None
