"""Loops and stalls of an LLM brain, on a real HTTP server on loopback: the same tool called with the same arguments
three times in a row gets one corrective message, then the turn ends; a turn that repeats the previous one gets one
too; a work phase with no progress for six turns ends the iteration, saying so; a request over the model's context
is compacted, not sent."""

import asyncio
import json

from autogen_core.models import AssistantMessage, SystemMessage, UserMessage

from posttrain.orchestrator.brains import parse_brain
from posttrain.orchestrator.brains.endpoints import build_endpoint_client
from posttrain.orchestrator.brains.meter import BrainMeter
from posttrain.orchestrator.brains.metered import MeteredClient
from posttrain.orchestrator.brains.resilient import RetryPolicy
from tests.conftest import Recorded
from tests.orchestrator.test_brain_usage import serve
from tests.orchestrator.test_llm_brain_run import PLAN_1, ScriptedTeam, completion, read_jsonl, text


LONG = "The baseline is 0.000 on 50 items, so the model cannot add yet; I propose SFT on 300 rows for 30 epochs."


def client(loopback_server, said: list[str]) -> MeteredClient:
    spec = parse_brain(f"vllm:scripted@{loopback_server.url}")
    meter = BrainMeter(spec, say=said.append)
    return MeteredClient(build_endpoint_client(spec, RetryPolicy(max_tries=1)), meter, "Calculator")


def add_call() -> Recorded:
    call = {"id": "call_1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'}}
    return completion({"content": None, "tool_calls": [call]}, finish="tool_calls")


def run_calculator(metered: MeteredClient) -> str:
    from autogen_agentchat.agents import AssistantAgent

    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    agent = AssistantAgent("Calculator", metered, tools=[add], max_tool_iterations=5)
    result = asyncio.run(agent.run(task="What is 1 + 2?"))
    return result.messages[-1].to_text()


def corrected(request) -> bool:
    return "same arguments 3 times in a row" in json.loads(request.body)["messages"][-1]["content"]


def test_a_repeated_call_gets_one_correction_then_the_turn_ends(loopback_server):
    loopback_server.route("/v1/chat/completions", lambda request: add_call(), method="POST")  # it insists
    said: list[str] = []
    answer = run_calculator(client(loopback_server, said))
    bodies = loopback_server.requests
    assert len(bodies) == 4 and [corrected(r) for r in bodies] == [False, False, False, True]
    assert answer.startswith("(posttrain stopped a loop: add was called with the same arguments again")
    said = [s for s in said if not s.startswith("asking the brain")]
    assert said == ["Calculator called add with the same arguments 3 times in a row: one corrective message sent",
                         "Calculator repeated add again: its turn ends and the Manager moves on"]


def test_a_corrected_call_goes_on(loopback_server):
    loopback_server.route("/v1/chat/completions",
                          lambda request: text("It is 3.") if corrected(request) else add_call(), method="POST")
    said: list[str] = []
    assert run_calculator(client(loopback_server, said)) == "It is 3."
    assert len(loopback_server.requests) == 4 and sum("moves on" in s for s in said) == 0


def test_a_repeated_turn_gets_one_correction(loopback_server):
    def answer(request):
        last = json.loads(request.body)["messages"][-1]["content"]
        return text("New: the loss was still falling at step 24." if "repeats your previous turn" in last else LONG)

    loopback_server.route("/v1/chat/completions", answer, method="POST")
    said: list[str] = []
    metered = client(loopback_server, said)
    history = [SystemMessage(content="You are the Trainer."), UserMessage(content="Debate.", source="user"),
               AssistantMessage(content=LONG, source="Trainer"), UserMessage(content="And now?", source="user")]
    result = asyncio.run(metered.create(history))
    assert result.content == "New: the loss was still falling at step 24." and len(loopback_server.requests) == 2
    assert said[1] == "Calculator's turn repeated its previous turn: one corrective message sent"


def test_a_request_over_the_context_is_compacted_not_sent(loopback_server):
    loopback_server.route("/v1/chat/completions", lambda request: text("ok"), method="POST")
    said: list[str] = []
    metered = client(loopback_server, said)
    metered.meter.context_tokens = 600
    old = [m for i in range(30) for m in (UserMessage(content=f"turn {i}: " + "word " * 40, source="user"),
                                          AssistantMessage(content=f"reply {i}", source="Calculator"))]
    messages = [SystemMessage(content="You are the Calculator."), *old, UserMessage(content="Last.", source="user")]
    assert metered.meter.count(messages) > 600
    asyncio.run(metered.create(messages))
    sent = json.loads(loopback_server.requests[0].body)
    # no tools: a debate turn's 256 tokens for the reply, and a 5% margin
    assert sent["max_tokens"] == 256 and metered.meter.count_text(json.dumps(sent["messages"])) < 600
    assert sent["messages"][0]["content"] == "You are the Calculator."
    assert sent["messages"][-1]["content"].endswith("Last.")
    assert len(sent["messages"]) < len(messages)  # the oldest turns went first
    assert "over the model's context (600 less 256 for the reply and a margin): compacted" in said[0]


def test_a_work_phase_without_progress_ends_the_iteration_and_says_so(loopback_server, tmp_path):
    from posttrain.orchestrator import session
    from posttrain.run.config import RunConfig

    script = ScriptedTeam([[PLAN_1]])

    def dawdle(request):
        system = json.loads(request.body)["messages"][0]["content"]
        if "You are the Manager" in system and not json.loads(request.body).get("tools"):
            return text("Let me think about what to do next.")  # names nobody, ever
        return script(request)

    serve(loopback_server, dawdle)
    run_dir = tmp_path / "run"
    status = session.start(RunConfig(goal="Teach the base model 2-digit addition", base_model="tiny",
                                     benchmark="arithmetic:digits=2,n_eval=40", max_iterations=0,
                                     brain=f"vllm:scripted@{loopback_server.url}", run_dir=str(run_dir)))
    assert status == "max_iterations"
    notices = [e["text"] for e in read_jsonl(run_dir / "events.jsonl") if e["type"] == "notice"]
    assert any(n.startswith("the brain made no progress for 6 turns: the iteration's work ends here") for n in notices)
    assert any("evaluating directly" in n for n in notices)  # the measurement it owed
    assert json.loads((run_dir / "summary.json").read_text())["baseline"]["n"] == 40
    spoken = [line for line in read_jsonl(run_dir / "transcript.jsonl")
              if line["phase"] == "work" and line["type"] == "TextMessage" and line["source"] != "user"]
    assert len(spoken) == 6  # not the work team's 40-message cap
