"""The decision is a tool call: the decider's requests ask for `tool_choice: required` until `record_decision`
succeeded (after it, `auto`, so the model can answer instead of recording the plan again). A server that refuses
`required` (HTTP 400, as vLLM without guided decoding does) is asked with `auto` from then on, said once per run.
A scripted OpenAI-compatible server on loopback; no training (the delegator ends each work phase at once)."""

import json

import pytest

from tests.conftest import Recorded
from tests.orchestrator.test_llm_brain_run import INVALID, PLAN_1, ScriptedTeam, read_jsonl, start_run


def decisions(loopback_server) -> list[tuple[str, str]]:
    """(tool_choice, last message's role) of every request that offered record_decision, in order."""
    bodies = [json.loads(r.body) for r in loopback_server.requests if r.path == "/v1/chat/completions"]
    return [(b.get("tool_choice", "auto"), b["messages"][-1]["role"]) for b in bodies
            if any(t["function"]["name"] == "record_decision" for t in b.get("tools", []))]


@pytest.mark.parametrize(("tries", "asked"), [
    ([PLAN_1], [("required", "user"), ("auto", "tool")]),  # recorded at once: the model may answer after it
    ([INVALID, {**PLAN_1, "learning_rate": 0.03}], [("required", "user"), ("required", "tool")]),  # error: again
])
def test_the_decision_is_required_until_it_is_recorded(loopback_server, tmp_path, tries, asked):
    status, run_dir = start_run(loopback_server, tmp_path, ScriptedTeam([tries], work=False), max_iterations=1)
    assert status == "max_iterations"
    assert decisions(loopback_server) == asked
    assert "refused tool_choice" not in (run_dir / "events.jsonl").read_text()


def test_a_server_that_refuses_required_is_asked_with_auto_and_it_is_said_once(loopback_server, tmp_path):
    script = ScriptedTeam([[PLAN_1]], work=False)

    def strict(request) -> Recorded:
        if json.loads(request.body).get("tool_choice") == "required":
            error = {"error": {"message": "tool_choice 'required' is not supported without guided decoding",
                               "type": "BadRequestError", "code": 400}}
            return Recorded(400, json.dumps(error).encode())
        return script(request)

    status, run_dir = start_run(loopback_server, tmp_path, strict, max_iterations=1)
    assert status == "max_iterations"
    asked = decisions(loopback_server)
    assert asked[0] == ("required", "user") and asked[1] == ("auto", "user")  # refused once, asked again at once
    assert all(choice == "auto" for choice, _ in asked[1:])
    notices = [e["text"] for e in read_jsonl(run_dir / "events.jsonl") if e["type"] == "notice"]
    refused = [n for n in notices if "refused tool_choice 'required' (HTTP 400" in n]
    assert len(refused) == 1 and "asked with 'auto' from now on" in refused[0]
    plan = json.loads((run_dir / "summary.json").read_text())["iterations"][-1]["plan"]
    assert plan["learning_rate"] == PLAN_1["learning_rate"]  # the brain's plan, not the playbook's
