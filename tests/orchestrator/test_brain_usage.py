"""What the brain costs: tokens per agent, iteration and run (from the server's usage, or estimated without it), a
`max_tokens` fitted to each request's purpose, and `--brain-budget` stopping a run (status `budget`, exit 0) that
resumes with a larger budget. The scripted OpenAI-compatible server of test_llm_brain_run plays the team."""

import json
from pathlib import Path

import pytest

from posttrain.run.usage import check_budget, parse_budget, usage_line
from posttrain.tools.errors import ConfigError
from tests.conftest import Recorded
from tests.orchestrator.test_llm_brain_run import BENCH, PLAN_1, ScriptedTeam, read_jsonl


def serve(loopback_server, script, *, usage: bool = True) -> None:
    def answer(request):
        reply = script(request)
        if not usage:
            body = json.loads(reply.body)
            body.pop("usage")
            reply = Recorded(reply.status, json.dumps(body).encode())
        return reply

    loopback_server.route("/v1/models", Recorded(200, b'{"object": "list", "data": [{"id": "scripted"}]}'))
    loopback_server.route("/v1/chat/completions", answer, method="POST")


def start(loopback_server, tmp_path: Path, **config) -> tuple[str, Path]:
    from posttrain.orchestrator import session
    from posttrain.run.config import RunConfig

    run_dir = tmp_path / "run"
    settings = dict(goal="Teach the base model 2-digit addition", benchmark=BENCH, base_model="tiny",
                    brain=f"vllm:scripted@{loopback_server.url}", max_iterations=1, run_dir=str(run_dir))
    return session.start(RunConfig(**{**settings, **config})), run_dir


def chat_bodies(loopback_server) -> list[dict]:
    return [json.loads(r.body) for r in loopback_server.requests if r.path == "/v1/chat/completions"]


def purpose(body: dict) -> str:
    tools = {t["function"]["name"] for t in body.get("tools", [])}
    system = body["messages"][0]["content"] if body["messages"][0]["role"] == "system" else ""
    if "record_decision" in tools:
        return "decision"
    if tools:
        return "work step"
    return "debate turn" if "in the debate" in system else "delegation"


def test_usage_is_counted_per_agent_and_iteration_and_every_request_is_bounded(loopback_server, tmp_path):
    serve(loopback_server, ScriptedTeam([[PLAN_1]], work=False))
    status, run_dir = start(loopback_server, tmp_path)
    assert status == "max_iterations"
    bodies = chat_bodies(loopback_server)
    # every request carries the max_tokens of its purpose (a debate turn is short, a decision longer)
    limits = {purpose(b): b["max_tokens"] for b in bodies}
    assert all("max_tokens" in b for b in bodies)
    assert limits["debate turn"] == 256 and limits["decision"] == 512 and limits["delegation"] == 128

    usage = json.loads((run_dir / "summary.json").read_text())["brain_usage"]
    total = usage["total"]
    # the scripted server reports 10 prompt + 5 completion tokens per response: the sums are exact
    assert total["requests"] == len(bodies) and total["prompt"] == 10 * len(bodies)
    assert total["completion"] == 5 * len(bodies) and total["estimated"] == 0
    assert usage["note"] == "counts from the server's usage" and usage["price_per_mtok"] == [0.0, 0.0]
    assert set(usage["per_iteration"]) == {"0", "1"}
    per_agent = usage["per_agent"]
    assert {"Manager", "Librarian", "DataEngineer", "Trainer", "Evaluator"} <= set(per_agent)
    assert sum(a["requests"] for a in per_agent.values()) == len(bodies)
    # debaters spoke only in iteration 1: their requests are there
    assert per_agent["Librarian"]["requests"] >= 1
    # live for `posttrain status`, and the line at the end of the run
    from posttrain.orchestrator.run_status import run_status

    report = run_status(run_dir)
    assert report.brain_line.startswith(f"brain: {15 * len(bodies)} tokens")
    events = read_jsonl(run_dir / "events.jsonl")
    finished = [e for e in events if e["type"] == "run_finished"][-1]
    assert finished["brain_usage"] == report.brain_line
    waits = [e["text"] for e in events if e["type"] == "notice" and e["text"].startswith("asking the brain for")]
    assert "asking the brain for Librarian's debate turn (≤ 256 tokens, gives up after 600 s)…" in waits
    # this brain calls its tools: nothing is said about a model that does not (reflections answer in text)
    assert not any("where tools were offered" in e.get("text", "") for e in events)


def test_without_usage_from_the_server_tokens_are_estimated_and_it_says_so(loopback_server, tmp_path):
    serve(loopback_server, ScriptedTeam([[PLAN_1]], work=False), usage=False)
    status, run_dir = start(loopback_server, tmp_path)
    assert status == "max_iterations"
    usage = json.loads((run_dir / "summary.json").read_text())["brain_usage"]
    total = usage["total"]
    assert total["estimated"] == total["requests"] == len(chat_bodies(loopback_server))
    # estimated from the prompts actually sent: a debate prompt is hundreds of tokens, not the fixed 10
    assert total["prompt"] > 100 * total["requests"] and total["completion"] > 0
    assert "estimated" in usage["note"]
    notices = [e["text"] for e in read_jsonl(run_dir / "events.jsonl") if e["type"] == "notice"]
    assert sum("the server sends no token usage" in n for n in notices) == 1  # said once per run


def test_the_budget_stops_the_run_resumably_and_a_larger_budget_continues(loopback_server, tmp_path):
    from posttrain.orchestrator import session
    from posttrain.orchestrator.cli import main

    script = ScriptedTeam([[PLAN_1], [PLAN_1]], work=False)
    serve(loopback_server, script)
    status, run_dir = start(loopback_server, tmp_path, brain_budget="60", max_iterations=2)
    assert status == "budget"  # exit 0 from the CLI: `budget` is not a failure
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "budget" and summary["reason"].startswith("brain budget reached: ")
    assert "--brain-budget LARGER" in summary["reason"] and "\n" not in summary["reason"]
    assert summary["brain_usage"]["budget_used"] >= 1.0
    used = summary["brain_usage"]["total"]["tokens"]
    # the step in flight finished and was saved: the state is consistent
    state = json.loads((run_dir / "state.json").read_text())
    assert state["status"] == "budget" and state["ledger"]["brain_usage"]["iterations"]

    # the same budget again is refused in one line; a larger one continues where it stopped
    assert main(["resume", str(run_dir)]) == 2
    with pytest.raises(ConfigError, match="larger --brain-budget"):
        session.resume(str(run_dir), brain_budget=str(used))  # not larger than what it used
    status = session.resume(str(run_dir), brain_budget="1M")
    assert status == "max_iterations"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["brain_usage"]["total"]["tokens"] > used  # the counts carried over the resume
    assert [it["index"] for it in summary["iterations"]] == [0, 1, 2]


def test_near_the_budget_the_manager_is_told(loopback_server, tmp_path):
    script = ScriptedTeam([[PLAN_1]], work=False)
    serve(loopback_server, script)
    # the baseline iteration costs 2 requests (Manager, Evaluator...) of 15 tokens; the debate 4 more: 90 of 110 used
    status, run_dir = start(loopback_server, tmp_path, brain_budget="110")
    decided = [b for b in chat_bodies(loopback_server) if purpose(b) == "decision"]
    told = [m["content"] for m in decided[0]["messages"] if "Brain budget:" in str(m["content"])]
    assert told and "% of 110 tokens used" in told[0]
    notices = [e["text"] for e in read_jsonl(run_dir / "events.jsonl") if e["type"] == "notice"]
    assert any(n.startswith("brain budget: ") and "the Manager is told" in n for n in notices)


def test_budgets_parse_and_money_needs_a_price():
    assert parse_budget("2M").tokens == 2_000_000 and parse_budget("500k").tokens == 500_000
    assert parse_budget("$5").dollars == 5.0 and parse_budget("2.5 USD").dollars == 2.5
    with pytest.raises(ConfigError, match="neither tokens nor money"):
        parse_budget("lots")
    check_budget("openai:gpt-4o-mini", "$5", None)  # in the price table
    check_budget("vllm:m@http://h:1/v1", "$5", None)  # your own server costs no money
    with pytest.raises(ConfigError, match="--brain-price"):
        check_budget("hf:meta-llama/Llama-3.1-8B-Instruct", "$5", None)
    check_budget("hf:meta-llama/Llama-3.1-8B-Instruct", "$5", "0.2/0.6")


def test_the_offline_brain_costs_nothing_and_says_so():
    from posttrain.run.usage import UsageLedger

    summary = UsageLedger().summary("offline", (0.0, 0.0), None)
    assert summary["offline"] and summary["total"]["tokens"] == 0
    assert usage_line(summary) == "brain: offline playbook, no model calls: costs nothing"
