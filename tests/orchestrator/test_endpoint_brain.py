"""LLM brains through autogen-ext's OpenAI client, against an OpenAI-compatible server on loopback that returns
scripted tool calls: the same agents, tools and loop as the offline playbook, driven over HTTP."""

import asyncio
import json

import pytest

from posttrain.orchestrator.brains import Brain, check_endpoint, parse_brain
from posttrain.tools.errors import ConfigError
from tests.conftest import Recorded


def completion(message: dict, finish: str = "stop") -> Recorded:
    body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "scripted",
            "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}
    return Recorded(200, json.dumps(body).encode())


def tool_call(name: str, arguments: dict) -> Recorded:
    call = {"id": f"call_{name}", "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}
    return completion({"content": None, "tool_calls": [call]}, finish="tool_calls")


def scripted_team(request) -> Recorded:
    """Answer like a minimal LLM team: the Manager delegates the baseline, the Evaluator calls its tool."""
    body = json.loads(request.body)
    messages = body["messages"]
    system = messages[0]["content"] if messages[0]["role"] == "system" else ""
    if messages[-1]["role"] == "tool":
        return completion({"content": "Baseline measured: " + messages[-1]["content"][:80]})
    if "You are the Manager" in system:
        said = " ".join(str(m.get("content")) for m in messages)
        return completion({"content": "TERMINATE" if "Baseline measured" in said else "@Evaluator measure it."})
    if "You are the Evaluator" in system:
        return tool_call("evaluate_checkpoint", {})
    return completion({"content": "Nothing to add."})


def serve_models(server):
    server.route("/v1/models", Recorded(200, b'{"object": "list", "data": [{"id": "scripted"}]}'))


def test_parse_brains(monkeypatch):
    assert parse_brain("offline").kind == "offline"
    spec = parse_brain("vllm:Qwen/Qwen3-8B@http://localhost:8000")
    assert (spec.model, spec.base_url) == ("Qwen/Qwen3-8B", "http://localhost:8000/v1")
    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:11434")
    assert parse_brain("ollama:qwen3").base_url == "http://127.0.0.1:11434/v1"
    assert parse_brain("hf:meta-llama/Llama-3.1-8B-Instruct").base_url.startswith("https://router.huggingface.co")
    with pytest.raises(ConfigError, match="vllm:MODEL@http"):
        parse_brain("vllm:model-without-url")


def test_endpoint_check_reports_a_rejected_key(loopback_server):
    loopback_server.route("/v1/models", Recorded(401, b'{"error": "bad key"}'))
    with pytest.raises(ConfigError, match="rejected the API key"):
        check_endpoint(parse_brain(f"vllm:m@{loopback_server.url}"))


def test_agent_tool_call_over_http(loopback_server):
    asyncio.run(_agent_tool_call(loopback_server))


async def _agent_tool_call(loopback_server):
    from autogen_agentchat.agents import AssistantAgent
    from autogen_agentchat.messages import ToolCallExecutionEvent

    loopback_server.route("/v1/chat/completions", tool_call("add", {"a": 2, "b": 3}),
                          completion({"content": "The sum is 5."}), method="POST")
    brain = Brain(parse_brain(f"vllm:scripted@{loopback_server.url}"))

    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    agent = AssistantAgent("Calculator", brain.client_for("Calculator"), tools=[add], reflect_on_tool_use=True)
    result = await agent.run(task="add 2 and 3")
    executed = [m for m in result.messages if isinstance(m, ToolCallExecutionEvent)]
    assert executed[0].content[0].content == "5"
    assert result.messages[-1].content == "The sum is 5."
    first = json.loads(loopback_server.requests[0].body)
    assert first["parallel_tool_calls"] is False and first["tools"][0]["function"]["name"] == "add"
    assert "said:" in first["messages"][-1]["content"]  # add_name_prefixes keeps speakers in local chat templates
    await brain.close()


def test_baseline_run_driven_by_an_http_brain(loopback_server, tmp_path):
    from posttrain.orchestrator import session
    from posttrain.run.config import RunConfig

    serve_models(loopback_server)
    loopback_server.route("/v1/chat/completions", scripted_team, method="POST")
    config = RunConfig(goal="Teach the base model 2-digit addition", benchmark="arithmetic:digits=2,n_eval=50",
                       brain=f"vllm:scripted@{loopback_server.url}", max_iterations=0, run_dir=str(tmp_path / "run"))
    assert session.start(config) == "max_iterations"
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["baseline"]["n"] == 50 and summary["brain"].startswith("vllm:scripted")
    lines = [json.loads(x) for x in (tmp_path / "run" / "transcript.jsonl").read_text().splitlines()]
    calls = [c["name"] for line in lines if line["type"] == "ToolCallRequestEvent" for c in line["content"]]
    assert calls == ["evaluate_checkpoint"]
    assert lines[-1]["source"] == "Manager" and "TERMINATE" in lines[-1]["content"]
