"""When a decision runs ablation arms: a dissent a training run can settle (fields it tests on the data built), and a
cluster with a device for every arm (a GPU each, else a CPU core each); otherwise none, and the decision says why."""

import json

import pytest

from posttrain.agents.manager.ablation import ArmRequest, ClusterResources, measurable_dissent, plan_ablation
from posttrain.agents.manager.offline import decide
from posttrain.run.facts import Facts, Proposal
from posttrain.run.ledger import Ablation, Arm, Plan, Score
from posttrain.tools.evaluation.compare import Comparison
from posttrain.tools.training.sizing import size_from_config


TWO_CPUS, ONE_CPU = ClusterResources(cpus=2, gpus=0), ClusterResources(cpus=1, gpus=0)


def first_facts() -> Facts:
    size = size_from_config({"hidden_size": 128, "num_hidden_layers": 2, "vocab_size": 80,
                             "posttrain_random_init": True})
    return Facts(size=size, n_eval=200, has_generator=True, verifiable=True, max_new_tokens=8, baseline=0.0,
                 best=0.0, last=None, trained_methods=[], remaining_s=None, iterations_left=2)


def plan(**update) -> Plan:
    return Plan(method="sft", max_steps=1000, learning_rate=3e-3, n_train=4000, epochs=10.0).model_copy(update=update)


def test_a_dissent_on_the_learning_rate_becomes_an_arm():
    tuner = Proposal("Tuner", "small models take big steps", "train at lr 0.009", rank=1,
                     changes={"learning_rate": 9e-3})
    decision = decide(first_facts(), [tuner], seed=1)
    assert decision.plan.learning_rate == 3e-3 and decision.dissent == ["Tuner: train at lr 0.009"]
    assert [(a.proposed_by, a.changes()) for a in decision.arms] == [("Tuner", {"learning_rate": 9e-3})]


def test_dissent_a_training_run_cannot_settle_is_not_an_arm_and_the_decision_says_why():
    more_rows = Proposal("DataEngineer", "10 epochs seen", "double the data", rank=1, changes={"n_train": 8000})
    rl = Proposal("Critic", "imitation is not enough", "switch to GRPO", rank=1, changes={"method": "grpo"})
    decision = decide(first_facts(), [more_rows, rl], seed=1)
    assert decision.arms == [] and len(decision.dissent) == 2
    assert "it needs 8000 rows and this iteration builds 4000" in decision.text
    assert "one dataset is built per iteration" in decision.text


def test_fewer_rows_and_a_method_on_the_same_data_format_are_measurable():
    fewer = Proposal("DataEngineer", "", "half the rows", rank=1, changes={"n_train": 2000})
    rl = Proposal("Evaluator", "", "GRPO", rank=1, changes={"method": "grpo"})
    arms, reasons = measurable_dissent(plan(method="rft"), [fewer, rl])
    assert [a.changes() for a in arms] == [{"n_train": 2000}, {"method": "grpo"}] and reasons == []


def test_two_cpus_run_two_arms_side_by_side_one_core_each():
    ablation, text = plan_ablation(plan(), [ArmRequest(proposed_by="Tuner", learning_rate=9e-3)], max_arms=2,
                                   resources=TWO_CPUS)
    assert [a.name for a in ablation.arms] == ["control", "learning_rate=0.009"]
    assert ablation.resources == "1 CPU each of 2 CPUs, 0 GPUs" and "runs as a second arm" in text


def test_no_room_means_no_arm_and_says_why():
    request = [ArmRequest(proposed_by="Tuner", learning_rate=9e-3)]
    ablation, text = plan_ablation(plan(), request, max_arms=2, resources=ONE_CPU)
    assert ablation is None and "the Ray cluster has 1 CPU, 0 GPUs" in text and "a CPU core for each arm" in text
    ablation, text = plan_ablation(plan(), request, max_arms=2, resources=ClusterResources(cpus=16, gpus=1))
    assert ablation is None and "a GPU for each arm" in text  # one GPU: the arm would queue behind the control
    ablation, _ = plan_ablation(plan(), request, max_arms=2, resources=ClusterResources(cpus=16, gpus=2))
    assert ablation.resources == "8 CPUs and 1 GPU each of 16 CPUs, 2 GPUs"


def test_max_arms_caps_and_turns_off():
    requests = [ArmRequest(proposed_by="Tuner", learning_rate=9e-3), ArmRequest(proposed_by="Critic", epochs=5.0)]
    ablation, text = plan_ablation(plan(), requests, max_arms=1, resources=TWO_CPUS)
    assert ablation is None and "turned off" in text
    ablation, text = plan_ablation(plan(), requests, max_arms=3, resources=TWO_CPUS)  # 3 arms need 3 cores
    assert len(ablation.arms) == 2 and "Not run (no room or --max-arms): epochs=5" in text
    ablation, _ = plan_ablation(plan(), requests, max_arms=3, resources=ClusterResources(cpus=6, gpus=0))
    assert len(ablation.arms) == 3 and ablation.resources.startswith("2 CPUs each")


def test_the_cluster_is_asked_only_when_there_is_an_arm_to_place():
    def never() -> ClusterResources:
        raise AssertionError("resources asked without a measurable arm")

    assert plan_ablation(plan(), [], max_arms=2, resources=never) == (None, "")
    same = [ArmRequest(proposed_by="Tuner", learning_rate=3e-3)]
    ablation, text = plan_ablation(plan(), same, max_arms=2, resources=never)
    assert ablation is None and "nothing the plan does not already do" in text


def scored(name: str, value: float, diff: float | None = None) -> Arm:
    arm = Arm(name=name, proposed_by="x", changes={} if name == "control" else {"learning_rate": 9e-3},
              evaluation=Score(score=value, n=100, ci95=(0.0, 1.0), report=f"{name}.json"))
    if diff is not None:
        arm.comparison = Comparison(n_pairs=100, baseline_score=value - diff, candidate_score=value, diff=diff,
                                    ci95=(diff - 0.1, diff + 0.1), p_value=0.02, significant=True, method="m")
    return arm


def test_the_best_arm_wins_and_a_tie_keeps_the_control():
    assert Ablation(arms=[scored("control", 0.4), scored("lr", 0.4, 0.0)]).pick_winner().name == "control"
    ablation = Ablation(arms=[scored("control", 0.4), scored("lr", 0.6, 0.2)], resources="1 CPU each")
    ablation.winner = ablation.pick_winner().name
    assert ablation.winner == "lr" and "arm lr (x: learning_rate=0.009) beat the control by Δ +0.200" in \
        ablation.verdict() and "p=0.02" in ablation.verdict()
    assert len(ablation.describe().splitlines()) == 4  # header, one line per arm, the verdict


def test_record_decision_takes_arms_through_its_tool_schema(ctx, ray_cluster):
    """The LLM path: the arms arrive as JSON through the same tool the offline brain calls."""
    from autogen_core import CancellationToken
    from autogen_core.tools import FunctionTool

    from posttrain.agents.manager.tools import make_manager_tools
    from posttrain.run.ledger import IterationRecord

    ctx.ledger.iterations.append(IterationRecord(index=1, phase="debate"))
    tool = FunctionTool(make_manager_tools(ctx)[0], description="record")
    assert "ablation_arms" in json.dumps(tool.schema)
    args = {"decision": "SFT.", "method": "sft", "max_steps": 100, "learning_rate": 3e-3, "n_train": 400,
            "rationale": "first", "dissent": ["Tuner: lr 0.009"],
            "ablation_arms": [{"proposed_by": "Tuner", "learning_rate": 9e-3}]}
    import asyncio

    result = asyncio.run(tool.run_json(args, CancellationToken()))
    assert "Ablation: Tuner's learning_rate=0.009 runs as a second arm" in result.summary
    assert [a.name for a in ctx.iteration.ablation.arms] == ["control", "learning_rate=0.009"]
    ctx.config = ctx.config.model_copy(update={"ablation": False})
    asyncio.run(tool.run_json(args, CancellationToken()))
    assert ctx.iteration.ablation is None and "turned off" in ctx.iteration.decision


@pytest.mark.parametrize("bad", [{"proposed_by": "T", "learning_rate": 2.0}, {"proposed_by": "T", "method": "ppo"}])
def test_an_invalid_arm_is_refused_by_the_schema(bad):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        ArmRequest(**bad)
