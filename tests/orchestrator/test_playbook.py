"""The offline playbook's rules: same measured results, same plan; the plan follows the numbers, and measured
proposals from the debate override the Manager's default, with whose proposal it adopted and who dissented."""

import json

import pytest

from posttrain.agents.specialist import Specialist, builtin_factories
from posttrain.orchestrator.brains.playbook import Playbook
from posttrain.run.config import RunConfig
from posttrain.run.context import RunContext
from posttrain.run.events import EventBus
from posttrain.run.ledger import IterationRecord, Ledger, Plan, Score
from posttrain.run.workspace import RunWorkspace
from posttrain.tools.data.artifact import ContaminationSummary, DatasetArtifact
from posttrain.tools.evaluation.compare import Comparison
from posttrain.tools.training.diagnosis import Finding
from posttrain.tools.training.result import TrainingResult


def make_ctx(tmp_path, *, hidden=128, layers=2, random_init=True, budget=None, benchmark="arithmetic"):
    model = tmp_path / "model"
    model.mkdir(parents=True, exist_ok=True)
    (model / "config.json").write_text(json.dumps({"hidden_size": hidden, "num_hidden_layers": layers,
                                                   "vocab_size": 80, "posttrain_random_init": random_init}))
    cfg = RunConfig(goal="Teach the base model 3-digit addition", benchmark=benchmark, run_dir=str(tmp_path / "run"),
                    time_budget=budget, max_iterations=3)
    ledger = Ledger(baseline=Score(score=0.0, n=200, ci95=(0.0, 0.02), report="r0.json"))
    return RunContext(config=cfg, workspace=RunWorkspace(tmp_path / "run"), ledger=ledger, bus=EventBus(),
                      base_model_path=str(model))


@pytest.fixture
def ctx(tmp_path):
    return make_ctx(tmp_path)


def playbook(ctx, extra: dict | None = None) -> Playbook:
    team = {name: factory(None) for name, factory in builtin_factories().items()}
    return Playbook(ctx, {**team, **(extra or {})})


def finished(index, method, score, *, diff, significant, late, status="succeeded", findings=(), epochs=10.0,
             label_accuracy=1.0, rows=4000, beta=0.0, runtime=None):
    plan = Plan(method=method, max_steps=100_000, epochs=epochs, learning_rate=1e-2, n_train=rows, beta=beta)
    summary = {"first_loss": 3.0, "last_loss": 1.0, "late_improvement": late, "steps": epochs * rows / 64}
    if runtime:
        summary["train_runtime_s"] = runtime
    training = TrainingResult(method="grpo" if method == "grpo" else "sft", status=status,
                              checkpoint=f"ck{index}" if status == "succeeded" else None, metrics=[],
                              summary=summary, findings=list(findings), log_path="train.log", duration_s=30.0,
                              error=None if status == "succeeded" else "boom", project="p", run_name="r",
                              spec={"batch_size": 64, "max_steps": int(epochs * rows / 64)})
    dataset = DatasetArtifact(path="d.parquet", format="sft", n_rows=rows, columns=["prompt", "completion"],
                              card_path="README.md", counts={"generated": rows}, label_accuracy=label_accuracy,
                              contamination=ContaminationSummary(checked_against=["arithmetic"]))
    comparison = Comparison(n_pairs=200, baseline_score=score - diff, candidate_score=score, diff=diff,
                            ci95=(diff - 0.05, diff + 0.05), p_value=0.001 if significant else 0.6,
                            significant=significant, method="McNemar exact")
    return IterationRecord(
        index=index, phase="done", plan=plan, dataset=dataset, training=training, comparison=comparison,
        evaluation=Score(score=score, n=200, ci95=(max(0, score - 0.05), score + 0.05), report=f"r{index}.json",
                         checkpoint=f"ck{index}" if status == "succeeded" else None),
    )


def next_iteration(ctx, *records):
    ctx.ledger.iterations.extend(records)
    ctx.ledger.iterations.append(IterationRecord(index=len(ctx.ledger.iterations) + 1, phase="debate"))
    return playbook(ctx).decision()


def test_first_plan_follows_model_size_and_the_catalogue(ctx):
    decision = next_iteration(ctx)
    plan = decision.plan
    # a randomly initialised model: the passes are a cap, the validation split stops the run (SCRATCH_PASS_CAP)
    assert (plan.method, plan.init_from, plan.epochs, plan.learning_rate) == ("sft", "base", 200.0, 3e-3)
    assert plan.n_train == 20 * 200  # a generator: 20 training rows per eval item
    assert plan.technique == "SFT / instruction tuning" and plan.paper == "arxiv:2109.01652"


def test_large_pretrained_model_gets_lora_sized_settings(tmp_path):
    ctx = make_ctx(tmp_path, hidden=2048, layers=28, random_init=False)
    plan = next_iteration(ctx).plan
    assert plan.epochs == 3.0 and plan.learning_rate == 2e-4  # QLoRA's LoRA learning rate below 20B
    width = make_ctx(tmp_path / "w", hidden=256)  # full fine-tuning: lr scales as 1/width
    assert next_iteration(width).plan.learning_rate == pytest.approx(1.5e-3)


def test_significant_gain_with_falling_loss_adopts_the_trainer(ctx):
    decision = next_iteration(ctx, finished(1, "sft", 0.30, diff=0.30, significant=True, late=0.2))
    plan = decision.plan
    assert plan.method == "sft" and plan.epochs == 20.0 and plan.init_from == "latest"
    assert plan.adopted_from == "Trainer" and "Adopted Trainer's proposal" in decision.text


def test_plateau_with_right_answers_goes_to_rejection_sampling(ctx):
    decision = next_iteration(ctx, finished(1, "sft", 0.40, diff=0.01, significant=False, late=0.0))
    plan = decision.plan
    assert plan.method == "rft" and plan.technique == "Rejection-sampling fine-tuning (RFT)"
    assert plan.epochs == 3.0  # a trained checkpoint on its own answers: the pretrained recipe's passes
    assert plan.samples_per_prompt == 5  # ceil(log 0.1 / log 0.6): 90% chance of one verified answer per prompt
    assert "Evaluator" in plan.adopted_from  # "not significant" is a measured verdict


def test_rft_plateau_goes_to_grpo_with_an_rl_learning_rate(ctx):
    sft = finished(1, "sft", 0.40, diff=0.40, significant=True, late=0.0)
    rft = finished(2, "rft", 0.42, diff=0.02, significant=False, late=0.0)
    plan = next_iteration(ctx, sft, rft).plan
    assert plan.method == "grpo" and plan.learning_rate == pytest.approx(3e-3 / 30) and plan.epochs == 1.0


def test_nothing_right_yet_means_more_sft_not_rl(ctx):
    plan = next_iteration(ctx, finished(1, "sft", 0.0, diff=0.0, significant=False, late=0.01)).plan
    assert plan.method == "sft" and plan.epochs == 20.0 and plan.init_from == "latest"


def test_divergence_finding_outranks_the_default(ctx):
    failure = Finding(kind="loss_divergence", severity="error", evidence="loss nan at step 12", fix="lower lr")
    decision = next_iteration(ctx, finished(1, "sft", 0.0, diff=0.0, significant=False, late=0.0,
                                            status="failed", findings=[failure]))
    assert decision.plan.learning_rate == pytest.approx(1e-2 / 3)
    assert "Trainer" in decision.plan.adopted_from and "diverged" in decision.text


def test_grpo_collapse_raises_the_kl_anchor(ctx):
    collapse = Finding(kind="entropy_collapse", severity="warning", evidence="entropy 0.01", fix="raise beta")
    sft = finished(1, "sft", 0.40, diff=0.40, significant=True, late=0.0)
    grpo = finished(2, "grpo", 0.45, diff=0.05, significant=True, late=0.0, findings=[collapse])
    plan = next_iteration(ctx, sft, grpo).plan
    assert plan.beta > 0 and "Trainer" in plan.adopted_from


def test_labels_that_fail_verification_ask_for_more_rows(ctx):
    decision = next_iteration(ctx, finished(1, "sft", 0.34, diff=0.34, significant=True, late=0.3,
                                            label_accuracy=0.5))
    assert decision.plan.n_train == 8000 and "DataEngineer" in decision.plan.adopted_from
    assert "labels fail verification" in decision.text


def test_time_budget_caps_steps_and_says_why(tmp_path):
    ctx = make_ctx(tmp_path, budget="20m")
    decision = next_iteration(ctx, finished(1, "sft", 0.30, diff=0.30, significant=True, late=0.2, runtime=62.5))
    assert decision.plan.max_steps < 100_000 and "Steps capped" in decision.text


def test_a_falling_loss_outranks_a_gain_within_noise_and_overruled_proposals_are_dissent(ctx):
    # the gain is not significant yet, but the loss still falls: the Trainer's measured curve decides (continue);
    # the DataEngineer's rule of thumb (10 epochs seen: double the data) is overruled and recorded as dissent
    decision = next_iteration(ctx, finished(1, "sft", 0.40, diff=0.01, significant=False, late=0.2))
    assert decision.plan.method == "sft" and decision.plan.adopted_from == "Trainer"
    assert decision.dissent == ["DataEngineer: double the data before training longer"]


def test_rft_needs_enough_right_answers_to_sample(ctx):
    # at 1% right, 16 samples find a verified answer for only 15% of prompts: more SFT, not RFT
    plan = next_iteration(ctx, finished(1, "sft", 0.01, diff=0.01, significant=False, late=0.0)).plan
    assert plan.method == "sft" and plan.init_from == "latest"


def test_same_ledger_same_plan(ctx, tmp_path):
    first = next_iteration(ctx, finished(1, "sft", 0.30, diff=0.30, significant=True, late=0.2))
    again = playbook(ctx).decision()
    assert first.plan == again.plan and first.text == again.text


def test_librarian_cites_what_fits_the_model(ctx, tmp_path):
    assert "QLoRA" not in playbook(ctx).proposal("Librarian").evidence
    big = make_ctx(tmp_path / "big", hidden=4096, layers=32, random_init=False)
    oom = Finding(kind="out_of_memory", severity="error", evidence="CUDA OOM", fix="LoRA")
    big.ledger.iterations.append(finished(1, "sft", 0.0, diff=0.0, significant=False, late=0.0, status="failed",
                                          findings=[oom]))
    assert "QLoRA" in playbook(big).proposal("Librarian").evidence


def test_plugin_without_offline_rule_speaks_from_measurements_or_abstains(ctx):
    critic = Specialist(name="Critic", description="d", system_message="s", debate_stance="x", model_client=None)
    said = playbook(ctx, {"Critic": critic}).proposal("Critic")
    assert "abstain" in said.evidence and "baseline 0.000" in said.evidence
    ctx.ledger.iterations.append(finished(1, "sft", 0.30, diff=0.30, significant=True, late=0.2))
    ctx.ledger.iterations[-1].reports["Critic"] = "power is fine"
    said = playbook(ctx, {"Critic": critic}).proposal("Critic")
    assert "iteration 1 scored 0.300" in said.evidence and "power is fine" in said.evidence
    assert "follow the plan" not in said.text()


def test_a_work_turn_reports_every_tool_result_of_the_turn_not_only_the_last():
    """The Evaluator evaluates, then checks decoding: its spoken turn must carry both (the score and any ablation
    table, then the decoding), not only the decoding check."""
    from autogen_core import FunctionCall
    from autogen_core.models import (
        AssistantMessage,
        FunctionExecutionResult,
        FunctionExecutionResultMessage,
        UserMessage,
    )

    from posttrain.orchestrator.brains.playbook_client import _this_turns_results

    def call(name):
        return AssistantMessage(content=[FunctionCall(id=name, name=name, arguments="{}")], source="Evaluator")

    def result(name, summary):
        return FunctionExecutionResultMessage(content=[FunctionExecutionResult(
            call_id=name, name=name, content=json.dumps({"summary": summary}), is_error=False)])

    earlier = [call("old"), result("old", "an earlier turn")]
    messages = [*earlier, UserMessage(content="@Evaluator evaluate", source="Manager"),
                call("evaluate_checkpoint"), result("evaluate_checkpoint", "Score 0.9; ablation: arm lr won"),
                call("check_decoding"), result("check_decoding", "greedy kept")]
    turn = _this_turns_results(messages)
    assert [m.content[0].name for m in turn] == ["evaluate_checkpoint", "check_decoding"]
