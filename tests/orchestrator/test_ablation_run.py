"""A 2-arm ablation in a real team run (tiny model, local Ray, TRL, Trackio, offline playbook): a plug-in Tuner
dissents from the first plan with a measurable change (three times the learning rate), the Manager records it as a
second arm, the Trainer runs both arms as concurrent Ray tasks, the Evaluator pairs them on the same items, and the
next debate starts from the table. The run is stopped at the second plan's approval, right after that debate."""

import json
from pathlib import Path

import pytest

from posttrain.agents.specialist import Specialist
from posttrain.run.facts import Proposal


def tuner_rule(ctx) -> Proposal:
    """A rule of thumb (rank 1), so the Manager overrules it and it stays dissent — a measurable one."""
    from posttrain.tools.training.sizing import model_size, sft_learning_rate

    if ctx.ledger.latest_checkpoint():
        return Proposal("Tuner", "A model is trained; I have nothing to add.", "", rank=0)
    lr = sft_learning_rate(model_size(ctx.base_model_path)) * 3
    return Proposal("Tuner", "A randomly initialised model this small tolerates a larger step.",
                    f"train at lr {lr:g}", rank=1, changes={"learning_rate": lr})


def build_tuner(model_client) -> Specialist:
    return Specialist(name="Tuner", description="Argues for learning rates.",
                      system_message="You tune learning rates.", model_client=model_client,
                      debate_stance="argues for larger learning rates on small models", offline_debate=tuner_rule)


@pytest.fixture
def two_cpu_cluster():
    """A local Ray cluster of 2 CPUs in this process, which the run attaches to: the ablation rule reads it."""
    import ray

    if ray.is_initialized() and ray.cluster_resources().get("CPU") != 2:
        ray.shutdown()
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray


def overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return min(a[1], b[1]) - max(a[0], b[0])


@pytest.mark.slow
def test_two_arm_ablation_in_a_team_run(tmp_path, two_cpu_cluster):
    from posttrain.orchestrator import session
    from posttrain.orchestrator.report import build_report
    from posttrain.tools.training.tracking import list_tracked_runs, read_tracked_metrics

    run_dir = tmp_path / "ablation-run"
    # Caesar: 19 steps already separate the arms (0.133 vs 0.067 when measured), the run stays short of a perfect score
    config = session.configure("Teach the base model a Caesar shift", brain="offline", run_dir=str(run_dir),
                               benchmark="caesar:n_eval=60", max_iterations=2, playbook_scale=0.1,
                               agents=["tests.orchestrator.test_ablation_run:build_tuner"])
    answers = iter([True, False])  # carry out plan 1; stop at plan 2, once its debate has read the table
    status = session.start(config, approve=lambda plan: next(answers))
    assert status == "stopped"

    summary = json.loads((run_dir / "summary.json").read_text())
    first = summary["iterations"][1]
    assert "Ablation: Tuner's learning_rate=0.009 runs as a second arm" in first["decision"]
    ablation = first["ablation"]
    control, arm = ablation["arms"]
    assert (control["arm"], arm["arm"], arm["proposed_by"]) == ("control", "learning_rate=0.009", "Tuner")
    assert control["status"] == arm["status"] == "succeeded"

    # two Ray tasks side by side: their Trackio runs (one each, in the run's project) logged over the same time
    assert {"iter1-control", "iter1-learning_rate-0.009"} <= set(list_tracked_runs(run_dir.name))
    from posttrain.orchestrator.report.data import iso_seconds

    for name in ("iter1-control", "iter1-learning_rate-0.009"):
        assert [iso_seconds(row["timestamp"]) for row in read_tracked_metrics(run_dir.name, name)]
    # each worker process's life: it writes worker.pid when it starts, the checkpoint when it ends. Both alive at once
    # = the arms ran side by side (Trackio's few log rows of a 19-step run are too narrow a window to show it)
    spans = []
    for entry in (control, arm):
        out = Path(entry["checkpoint"]).parent
        spans.append(((out / "worker.pid").stat().st_mtime,
                      max(f.stat().st_mtime for f in Path(entry["checkpoint"]).iterdir())))
    assert overlap(*spans) > 0, spans
    assert overlap((control["started_at"], control["finished_at"]), (arm["started_at"], arm["finished_at"])) > 0
    assert "1 CPU each of 2 CPUs" in ablation["resources"]

    # paired test of the arm against the control, on the same items; the winner's checkpoint is the iteration's
    assert control["n"] == arm["n"] == 60 and arm["vs_control"]["p_value"] is not None
    winner = next(a for a in ablation["arms"] if a["arm"] == ablation["winner"])
    assert winner["score"] == max(a["score"] for a in ablation["arms"])
    assert first["training"]["checkpoint"] == winner["checkpoint"]
    assert f"Ablation result: {'the control held' if winner['arm'] == 'control' else 'arm learning_rate'}" \
        in first["decision"]
    assert summary["best"]["checkpoint"] in (winner["checkpoint"], None)

    # the table is in the transcript (the Evaluator's tool result) and the next debate cites it
    lines = [json.loads(line) for line in (run_dir / "transcript.jsonl").read_text().splitlines()]
    results = [json.dumps(line["content"]) for line in lines
               if line["type"] == "ToolCallExecutionEvent" and line["iteration"] == 1]
    assert any("arm learning_rate=0.009 (Tuner)" in text and "vs control" in text for text in results)
    evaluator_turn = next(line["content"] for line in lines if line["iteration"] == 2 and line["phase"] == "debate"
                          and line["source"] == "Evaluator" and line["type"] == "TextMessage")
    assert "iteration 1's ablation:" in evaluator_turn and "p=" in evaluator_turn

    html = build_report(run_dir)
    assert "Ablation: 2 arms side by side" in html and "learning_rate=0.009" in html and "winner" in html
