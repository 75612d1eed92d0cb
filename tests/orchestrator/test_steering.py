"""A person steers: `posttrain steer RUN "…"` stores a message that joins the next debate as the user's turn. The
offline Manager adopts a plan field it names over every specialist's proposal; an LLM Manager reads it. It shows in
the transcript, the summary (and so the report) and `posttrain status`; --approve can take a message too.

The runs stop at --approve's question (after the decision, before any training), so they take seconds."""

import json

from posttrain.orchestrator import session
from posttrain.orchestrator.cli import main
from posttrain.run.config import RunConfig
from posttrain.run.steering import add_message, read_messages
from tests.orchestrator.test_brain_usage import chat_bodies, purpose, serve
from tests.orchestrator.test_llm_brain_run import PLAN_1, ScriptedTeam, read_jsonl


GOAL = "Teach the base model 2-digit addition"
BENCH = "arithmetic:digits=2,n_eval=40"
SAID = "try a smaller learning rate; the data source X is licensed badly"


def config(run_dir, **more) -> RunConfig:
    return RunConfig(goal=GOAL, benchmark=BENCH, max_iterations=1, run_dir=str(run_dir), approve=True, **more)


def test_the_offline_manager_adopts_a_steered_plan_field(tmp_path):
    run_dir = tmp_path / "run"
    bench = session.check_inputs(config(run_dir))
    default = session.first_plan(config(run_dir), bench)  # what the Manager would plan unsteered
    run_dir.mkdir()
    assert main(["steer", str(run_dir), SAID]) == 2  # not a run yet: one line, exit 2
    add_message(run_dir, SAID)  # what `steer` writes (the run starts after it, so its first debate hears it)
    seen: list[str] = []
    status = session.start(config(run_dir), approve=lambda decision: seen.append(decision) or False)
    assert status == "stopped"

    plan = json.loads((run_dir / "state.json").read_text())["ledger"]["iterations"][1]["plan"]
    assert plan["learning_rate"] == default.learning_rate / 2 and plan["adopted_from"].startswith("user")
    assert "Adopted user's proposal (the user asked: try a smaller learning rate" in seen[0]

    lines = read_jsonl(run_dir / "transcript.jsonl")
    heard = [line for line in lines if line["phase"] == "debate" and line["source"] == "user"
             and SAID in str(line["content"])]
    assert heard and heard[0]["iteration"] == 1
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["steering"] == [{"iteration": 1, "text": SAID}]

    from posttrain.orchestrator.report.data import load_run
    from posttrain.orchestrator.report.render import render_overview
    from posttrain.orchestrator.run_status import run_status

    assert SAID.replace("'", "&#x27;") in render_overview(load_run(run_dir))
    report = run_status(run_dir)
    assert report.steering == [SAID] and report.steering_pending == 0
    # from another terminal, while the run waits: stored, shown as waiting for the next debate
    assert main(["steer", str(run_dir), "more epochs"]) == 0
    report = run_status(run_dir)
    assert report.steering == [SAID, "more epochs"] and report.steering_pending == 1


def test_a_message_naming_no_plan_field_changes_no_plan(tmp_path):
    run_dir = tmp_path / "run"
    bench = session.check_inputs(config(run_dir))
    default = session.first_plan(config(run_dir), bench)
    run_dir.mkdir()
    add_message(run_dir, "good luck, team")
    session.start(config(run_dir), approve=lambda decision: False)
    plan = json.loads((run_dir / "state.json").read_text())["ledger"]["iterations"][1]["plan"]
    assert plan["learning_rate"] == default.learning_rate and "user" not in plan["adopted_from"]


def test_an_llm_manager_reads_the_message_and_approve_takes_one(loopback_server, tmp_path):
    serve(loopback_server, ScriptedTeam([[PLAN_1]], work=False))
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    add_message(run_dir, SAID)
    answers = iter(["use 300 steps next time"])
    status = session.start(config(run_dir, brain=f"vllm:scripted@{loopback_server.url}"),
                           approve=lambda decision: next(answers))
    assert status == "max_iterations"  # a message is an approval too

    bodies = chat_bodies(loopback_server)
    decision = next(b for b in bodies if purpose(b) == "decision")
    debate = [b for b in bodies if purpose(b) == "debate turn"]
    for body in [decision, *debate]:
        assert any(SAID in str(m["content"]) and m["role"] == "user" for m in body["messages"])
    # the approval's message waits for the next debate, and status says so
    said = read_messages(run_dir)
    assert [(m["text"], m["source"]) for m in said] == [(SAID, "steer"), ("use 300 steps next time", "approve")]
    from posttrain.orchestrator.run_status import run_status

    assert run_status(run_dir).steering_pending == 1
