"""A misbehaving LLM brain never crashes a run: real AgentChat agents and teams, the real OpenAI client wrapped in
`ResilientClient`, and a scripted OpenAI-compatible server on loopback that rate-limits, fails, hangs, returns
empty choices or broken tool calls. Bounds are tiny (0.3 s timeout, 3 tries, 10 ms backoff) to keep this fast."""

import asyncio
import json
import time

import pytest

from posttrain.orchestrator.brains import Brain, brain_unavailable, build_endpoint_client, parse_brain
from posttrain.orchestrator.brains.endpoints import retry_policy_from_env
from posttrain.orchestrator.brains.resilient import ResilientClient, RetryPolicy
from posttrain.tools.errors import BrainUnavailable, ConfigError
from tests.conftest import Recorded


FAST = RetryPolicy(timeout_s=0.3, max_tries=3, deadline_s=5.0, backoff_s=0.01, jitter=False)


def completion(message: dict | None, finish: str = "stop") -> Recorded:
    choices = [] if message is None else [{"index": 0, "message": {"role": "assistant", **message},
                                           "finish_reason": finish}]
    body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "scripted", "choices": choices,
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}
    return Recorded(200, json.dumps(body).encode())


def tool_call(name: str, arguments: str) -> Recorded:
    call = {"id": f"call_{name}", "type": "function", "function": {"name": name, "arguments": arguments}}
    return completion({"content": None, "tool_calls": [call]}, finish="tool_calls")


ANSWER = completion({"content": "The sum is 5."})
ADD_2_3 = tool_call("add", '{"a": 2, "b": 3}')


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def client(server, policy: RetryPolicy = FAST) -> ResilientClient:
    return build_endpoint_client(parse_brain(f"vllm:scripted@{server.url}"), policy)


async def ask(brain_client, task: str = "add 2 and 3", **agent_kwargs):
    from autogen_agentchat.agents import AssistantAgent

    agent = AssistantAgent("Calculator", brain_client, tools=[add], reflect_on_tool_use=True, **agent_kwargs)
    try:
        return await agent.run(task=task)
    finally:
        await brain_client.close()


def executions(result) -> list:
    from autogen_agentchat.messages import ToolCallExecutionEvent

    return [r for m in result.messages if isinstance(m, ToolCallExecutionEvent) for r in m.content]


def chat_route(server, *responses) -> None:
    server.route("/v1/chat/completions", *responses, method="POST")


def sent(server, index: int) -> dict:
    return json.loads(server.requests[index].body)


# -- transient endpoint failures are retried ------------------------------------------------------------------------
def test_rate_limit_and_server_errors_then_success(loopback_server):
    """(e) 429 with Retry-After, 500 and 502, then answers: one HTTP request per try (the SDK's retries are off)."""
    chat_route(loopback_server, Recorded(429, b'{"error": {"message": "slow down"}}', {"Retry-After": "0.2"}),
               Recorded(500, b'{"error": "boom"}'), ADD_2_3, Recorded(502, b"bad gateway"), ANSWER)
    policy = RetryPolicy(timeout_s=0.3, max_tries=3, deadline_s=5.0, backoff_s=0.01, jitter=False)
    start = time.monotonic()
    result = asyncio.run(ask(client(loopback_server, policy)))
    assert time.monotonic() - start >= 0.2  # Retry-After honoured, not the 10 ms backoff
    assert executions(result)[0].content == "5" and result.messages[-1].content == "The sum is 5."
    assert len(loopback_server.requests) == 5


def test_hang_times_out_then_retries(loopback_server):
    """(f) A server that never answers in time costs one timeout, then the retry succeeds."""
    chat_route(loopback_server, Recorded(200, b"{}", delay_s=3.0), ADD_2_3, ANSWER)
    start = time.monotonic()
    result = asyncio.run(ask(client(loopback_server)))
    assert time.monotonic() - start < 2.5 and len(loopback_server.requests) == 3
    assert result.messages[-1].content == "The sum is 5."


NULL_CHOICES = Recorded(200, b'{"id": "x", "model": "scripted", "choices": null}')
PROXY_PAGE = Recorded(200, b"<html>proxy error</html>", {"Content-Type": "text/html"})


@pytest.mark.parametrize("empty", [completion(None), NULL_CHOICES, PROXY_PAGE])
def test_empty_or_malformed_responses_are_retried(loopback_server, empty):
    """(d) `choices: []` or null, or a page that is not JSON, make autogen-ext fail reading the response; that is
    retried, not raised."""
    chat_route(loopback_server, empty, ADD_2_3, ANSWER)
    result = asyncio.run(ask(client(loopback_server)))
    assert executions(result)[0].content == "5" and len(loopback_server.requests) == 3


# -- malformed model output reaches the model as something it can correct ------------------------------------------
@pytest.mark.parametrize("bad", [tool_call("add", '{"a": 2, "b": '), tool_call("add", "[2, 3]"),
                                 tool_call("multiply", '{"a": 2, "b": 3}')])
def test_unusable_tool_call_is_asked_again(loopback_server, bad):
    """(a)(b) Invalid JSON, non-object arguments or an unknown tool: re-asked with a note; the broken call never
    reaches the history or the tool."""
    chat_route(loopback_server, bad, ADD_2_3, ANSWER)
    result = asyncio.run(ask(client(loopback_server)))
    assert [r.content for r in executions(result)] == ["5"]
    note = sent(loopback_server, 1)["messages"][-1]["content"]
    assert "Your last reply called" in note and ("JSON object" in note or "'multiply'" in note)
    assert all(m.get("tool_calls") is None for m in sent(loopback_server, 1)["messages"])


@pytest.mark.parametrize("repairs", [0, 2])
@pytest.mark.parametrize("bad, error", [(tool_call("add", '{"a": 2,'), "Expecting"),
                                        (tool_call("multiply", "{}"), "not found")])
def test_unrepaired_tool_call_becomes_an_error_result(loopback_server, repairs, bad, error):
    """(a)(b) With repairs off or used up, AgentChat itself returns the call as an is_error result the model reads
    (no exception), and the model answers from it."""
    chat_route(loopback_server, *[bad] * (repairs + 1), completion({"content": "I could not call the tool."}))
    policy = RetryPolicy(timeout_s=0.3, max_tries=3, backoff_s=0.01, repairs=repairs, jitter=False)
    result = asyncio.run(ask(client(loopback_server, policy)))
    failed = executions(result)
    assert len(failed) == 1 and failed[0].is_error and error in failed[0].content
    assert result.messages[-1].content == "I could not call the tool."
    tool_message = sent(loopback_server, repairs + 1)["messages"][-1]
    assert tool_message["role"] == "tool" and error in tool_message["content"]


def test_text_instead_of_a_tool_call_is_just_text(loopback_server):
    """(c) No tool call when one was expected is an ordinary answer."""
    chat_route(loopback_server, completion({"content": "It is 5, no tool needed."}))
    result = asyncio.run(ask(client(loopback_server)))
    assert not executions(result) and result.messages[-1].content == "It is 5, no tool needed."


# -- past the bound: BrainUnavailable, one line, within the time bound ---------------------------------------------
def test_always_failing_raises_brain_unavailable_within_the_bound(loopback_server, monkeypatch):
    """(g) The env knobs reach the client; an endpoint that always fails ends in one BrainUnavailable line."""
    monkeypatch.setenv("POSTTRAIN_BRAIN_TIMEOUT_S", "0.3")
    monkeypatch.setenv("POSTTRAIN_BRAIN_MAX_TRIES", "3")
    monkeypatch.setenv("POSTTRAIN_BRAIN_BACKOFF_S", "0.01")
    chat_route(loopback_server, Recorded(503, b'{"error": {"message": "overloaded"}}'))
    brain = Brain(parse_brain(f"vllm:scripted@{loopback_server.url}"))
    start = time.monotonic()
    with pytest.raises(BrainUnavailable) as caught:
        asyncio.run(ask(brain.client_for("Calculator")))
    assert time.monotonic() - start < 2.0 and len(loopback_server.requests) == 3
    message = str(caught.value)
    assert "\n" not in message and "HTTP 503" in message and "after 3 tries" in message
    assert "posttrain resume RUN" in message and caught.value.tries == 3
    assert brain.failure is caught.value


def test_always_hanging_ends_within_the_deadline(loopback_server):
    """Each request's timeout is cut to what is left of the deadline, so the whole call ends near it."""
    chat_route(loopback_server, Recorded(200, b"{}", delay_s=5.0))
    policy = RetryPolicy(timeout_s=0.3, max_tries=50, deadline_s=1.0, backoff_s=0.01, jitter=False)
    start = time.monotonic()
    with pytest.raises(BrainUnavailable, match="no answer within"):
        asyncio.run(ask(client(loopback_server, policy)))
    assert 0.9 <= time.monotonic() - start < 1.8


def test_team_run_stream_surfaces_brain_unavailable(loopback_server):
    """(g) Inside a team the error arrives as a RuntimeError with only its text; `brain_unavailable` recovers it."""
    from autogen_agentchat.agents import AssistantAgent
    from autogen_agentchat.teams import RoundRobinGroupChat

    async def run_team(brain_client):
        team = RoundRobinGroupChat([AssistantAgent("Manager", brain_client)], max_turns=2)
        try:
            return [item async for item in team.run_stream(task="plan the next iteration")]
        finally:
            await brain_client.close()

    chat_route(loopback_server, Recorded(500, b'{"error": "down"}'))
    resilient = client(loopback_server)
    with pytest.raises(RuntimeError) as caught:
        asyncio.run(run_team(resilient))
    found = brain_unavailable(caught.value)
    assert found is not None and "HTTP 500" in str(found) and "\n" not in str(found)
    assert resilient.failure is not None and brain_unavailable(ValueError("other")) is None


def test_not_retried_statuses_and_refused_connections(loopback_server):
    """A rejected key is not retried; a refused connection is, until the bound."""
    chat_route(loopback_server, Recorded(401, b'{"error": {"message": "bad key"}}'))
    with pytest.raises(BrainUnavailable, match=r"HTTP 401 .*\(not retried\) after 1 try"):
        asyncio.run(ask(client(loopback_server)))
    assert len(loopback_server.requests) == 1

    closed = parse_brain("vllm:scripted@http://127.0.0.1:9")  # discard port: nothing listens
    with pytest.raises(BrainUnavailable, match="connection failed.*after 3 tries"):
        asyncio.run(ask(build_endpoint_client(closed, FAST)))


def test_retry_after_past_the_deadline_gives_up_at_once(loopback_server):
    chat_route(loopback_server, Recorded(429, b'{"error": "later"}', {"Retry-After": "3600"}))
    with pytest.raises(BrainUnavailable, match="Retry-After 3.6e\\+03s is past the 5s bound"):
        asyncio.run(ask(client(loopback_server)))
    assert len(loopback_server.requests) == 1


# -- the wrapper itself ----------------------------------------------------------------------------------------------
def test_bugs_are_not_mistaken_for_malformed_responses():
    """A TypeError raised outside autogen-ext's response parsing is a bug: it surfaces at once, untouched."""
    class Broken:
        calls = 0

        async def create(self, *args, **kwargs):
            Broken.calls += 1
            raise TypeError("bug in our code")

    with pytest.raises(TypeError, match="bug in our code"):
        asyncio.run(ResilientClient(Broken(), FAST).create([]))
    assert Broken.calls == 1


def test_policy_from_env(monkeypatch):
    monkeypatch.setenv("POSTTRAIN_BRAIN_TIMEOUT_S", "2.5")
    monkeypatch.setenv("POSTTRAIN_BRAIN_MAX_TRIES", "4")
    policy = retry_policy_from_env()
    assert (policy.timeout_s, policy.max_tries, policy.deadline_s) == (2.5, 4, 600.0)
    monkeypatch.setenv("POSTTRAIN_BRAIN_MAX_TRIES", "many")
    with pytest.raises(ConfigError, match="POSTTRAIN_BRAIN_MAX_TRIES='many' is not a whole number"):
        retry_policy_from_env()
    monkeypatch.setenv("POSTTRAIN_BRAIN_MAX_TRIES", "0")
    with pytest.raises(ConfigError, match="max_tries must be >= 1"):
        retry_policy_from_env()


def test_cancelling_stops_a_backoff_at_once(loopback_server):
    """Ctrl-C (the run's cancellation token) does not wait out a long backoff."""
    from autogen_core import CancellationToken
    from autogen_core.models import UserMessage

    async def cancel_during_backoff():
        resilient = client(loopback_server, RetryPolicy(timeout_s=0.3, max_tries=3, backoff_s=30.0, jitter=False))
        token = CancellationToken()
        asyncio.get_running_loop().call_later(0.3, token.cancel)
        try:
            await resilient.create([UserMessage(content="hi", source="user")], cancellation_token=token)
        finally:
            await resilient.close()

    chat_route(loopback_server, Recorded(503, b'{"error": "busy"}'))
    start = time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(cancel_during_backoff())
    assert time.monotonic() - start < 2.0 and len(loopback_server.requests) == 1
