"""`transcript export --format sts` (the Hub's Session Trace Simple Format) and `transcript push` on loopback.

The format (huggingface.co/docs/hub/session-traces-format): a JSONL file whose first line is a `session` header
(type, harness, id required; name optional; extra metadata allowed), then one `message` envelope per line whose
`message` has role (user|assistant|system|tool) and content (text), optionally reasoningContent, toolCalls
([{id, function: {name, arguments: JSON string}}]), toolCallId (on a tool message, naming a call), timestamp
(epoch ms) and model.
"""

import base64
import json
from pathlib import Path

import pytest

from posttrain.orchestrator.cli import main


MESSAGE_FIELDS = {"role", "content", "reasoningContent", "toolCalls", "toolCallId", "timestamp", "model"}
ROLES = {"user", "assistant", "system", "tool"}
FAKE_OPENAI = "sk-proj-" + "A1b2C3d4E5f6G7h8J9k0L1m2"
FAKE_ENV_SECRET = "plain-secret-value-4242"  # no known key format: only the environment's value gives it away


def validate_sts(text: str) -> list[dict]:
    """Check an STS file line by line against the documented fields; returns the parsed lines."""
    assert text.endswith("\n")
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines, "empty file"
    header = lines[0]
    assert header["type"] == "session"
    assert isinstance(header["harness"], str) and header["harness"]
    assert isinstance(header["id"], str) and header["id"]
    assert isinstance(header.get("name", ""), str)
    seen_calls: set[str] = set()
    for number, line in enumerate(lines[1:], start=2):
        assert set(line) == {"type", "message"}, f"line {number}: {line}"
        assert line["type"] == "message", f"line {number}"
        message = line["message"]
        assert set(message) <= MESSAGE_FIELDS, f"line {number}: undocumented fields {set(message) - MESSAGE_FIELDS}"
        assert message["role"] in ROLES, f"line {number}"
        assert isinstance(message["content"], str), f"line {number}"
        if "timestamp" in message:
            assert isinstance(message["timestamp"], int) and message["timestamp"] > 1_000_000_000_000
        if "reasoningContent" in message:
            assert isinstance(message["reasoningContent"], str)
        if "model" in message:
            assert isinstance(message["model"], str)
        if "toolCalls" in message:
            assert message["role"] == "assistant", f"line {number}"
            for call in message["toolCalls"]:
                assert set(call) == {"id", "function"} and isinstance(call["id"], str)
                assert set(call["function"]) == {"name", "arguments"}
                assert isinstance(call["function"]["name"], str)
                assert isinstance(call["function"]["arguments"], str)
                json.loads(call["function"]["arguments"])  # a JSON string
                assert call["id"] not in seen_calls, f"line {number}: duplicate call id {call['id']}"
                seen_calls.add(call["id"])
        if message["role"] == "tool":
            assert message.get("toolCallId") in seen_calls, f"line {number}: result of an unknown call"
        else:
            assert "toolCallId" not in message
    return lines


def _line(kind: str, source: str, content, iteration: int, phase: str, second: int, **extra) -> dict:
    return {"id": f"{kind}-{second}", "source": source, "models_usage": None, "metadata": {},
            "created_at": f"2026-11-28T05:23:{second:02d}.000000Z", "content": content, "type": kind,
            "iteration": iteration, "phase": phase, **extra}


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A small run directory with every kind of line a transcript holds, a secret in a few of them."""
    root = tmp_path / "20261128T052350Z-teach-caesar"
    root.mkdir()
    lines = [
        _line("TextMessage", "user", "Iteration 0: measure the baseline.", 0, "work", 1),
        _line("TextMessage", "Manager", "@Evaluator measure the baseline.", 0, "work", 2),
        _line("ToolCallRequestEvent", "Evaluator", [{"id": "c1", "name": "evaluate_checkpoint", "arguments": "{}"}],
              0, "work", 3),
        _line("ToolCallExecutionEvent", "Evaluator",
              [{"content": '{"score": 0.0}', "name": "evaluate_checkpoint", "call_id": "c1", "is_error": False}],
              0, "work", 4),
        _line("TextMessage", "Trainer", f"I used key {FAKE_OPENAI} and {FAKE_ENV_SECRET}.", 1, "debate", 5),
        _line("ThoughtEvent", "Manager", "thinking about SFT", 1, "debate", 6),
        _line("ToolCallRequestEvent", "Trainer",
              [{"id": "c2", "name": "launch_training", "arguments": json.dumps({"url": "https://u:pw@host/x"})}],
              1, "work", 7),
        _line("ToolCallExecutionEvent", "Trainer",
              [{"content": "boom", "name": "launch_training", "call_id": "c2", "is_error": True}], 1, "work", 8),
        _line("ToolCallRequestEvent", "Trainer", [{"id": "c1", "name": "launch_training", "arguments": "{}"}],
              1, "work", 9),  # an id seen before (after a resume): must still pair with its own result
        _line("ToolCallExecutionEvent", "Trainer",
              [{"content": "ok", "name": "launch_training", "call_id": "c1", "is_error": False}], 1, "work", 10),
        _line("SelectSpeakerEvent", "Manager", ["Trainer"], 1, "work", 11),
    ]
    (root / "transcript.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    (root / "summary.json").write_text(json.dumps({
        "goal": "Teach the base model a Caesar shift", "status": "finished", "benchmark": "caesar",
        "base_model": "tiny", "brain": "offline", "baseline": {"score": 0.0}, "best": {"score": 1.0, "iteration": 1},
        "iterations": []}))
    return root


def test_sts_export_validates_line_by_line(run_dir: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("VLLM_API_KEY", FAKE_ENV_SECRET)
    out = tmp_path / "trace.jsonl"
    assert main(["transcript", "export", str(run_dir), "--format", "sts", "-o", str(out)]) == 0
    text = out.read_text()
    lines = validate_sts(text)
    header = lines[0]
    assert header["harness"] == "posttrain" and header["name"] == "Teach the base model a Caesar shift"
    assert header["run"] == run_dir.name and header["best"] == 1.0
    messages = [line["message"] for line in lines[1:]]
    roles = [m["role"] for m in messages]
    assert roles.count("tool") == 3 and roles[1] == "user"
    assert [m["content"] for m in messages if m["role"] == "system"][:2] == ["Iteration 0 — baseline",
                                                                            "Iteration 1 — debate"]
    calls = [c["id"] for m in messages for c in m.get("toolCalls", [])]
    assert len(calls) == len(set(calls)) == 3
    assert [m["toolCallId"] for m in messages if m["role"] == "tool"] == calls
    assert any(m.get("reasoningContent") == "thinking about SFT" for m in messages)
    assert any(m["content"].startswith("ERROR boom") for m in messages)
    assert any(m["content"].startswith("**Trainer** · iteration 1 · debate") for m in messages)
    # secrets: known formats, URL credentials, and the value of an environment variable the run reads
    assert FAKE_OPENAI not in text and FAKE_ENV_SECRET not in text and "u:pw@" not in text
    assert "***" in text
    # the same file again is refused without --force; the suffix picks the format
    assert main(["transcript", "export", str(run_dir), "-o", str(out)]) == 2
    assert main(["transcript", "export", str(run_dir), "-o", str(out), "--force"]) == 0
    validate_sts(out.read_text())


def _hub_routes(server, repo_id: str) -> dict:
    """Script the Hub endpoints huggingface_hub calls for create_repo + upload_folder (regular, non-LFS files)."""
    seen: dict = {}

    def create(request):
        seen["create"] = json.loads(request.body)
        from tests.conftest import Recorded

        return Recorded(200, json.dumps({"url": f"{server.url}/datasets/{repo_id}", "name": repo_id}).encode())

    def preupload(request):
        from tests.conftest import Recorded

        files = json.loads(request.body)["files"]
        seen.setdefault("preupload", []).extend(f["path"] for f in files)
        answer = {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False, "oid": None}
                            for f in files], "commitOid": "0" * 40}
        return Recorded(200, json.dumps(answer).encode())

    def commit(request):
        from tests.conftest import Recorded

        seen["commit"] = [json.loads(line) for line in request.body.decode().splitlines() if line.strip()]
        seen["commit_headers"] = request.headers
        return Recorded(200, json.dumps({"commitUrl": f"{server.url}/datasets/{repo_id}/commit/{'a' * 40}",
                                         "commitOid": "a" * 40}).encode())

    server.route("/api/repos/create", create, method="POST")
    server.route(f"/api/datasets/{repo_id}/preupload/main", preupload, method="POST")
    server.route(f"/api/datasets/{repo_id}/commit/main", commit, method="POST")
    return seen


@pytest.mark.parametrize("flag,visibility", [([], "private"), (["--public"], "public")])
def test_push_uploads_redacted_trace_and_report(run_dir: Path, loopback_server, monkeypatch, flag, visibility):
    import huggingface_hub.constants as hub_constants

    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_ENDPOINT", loopback_server.url)
    monkeypatch.setenv("HF_TOKEN", "hf_" + "Q" * 30)
    monkeypatch.setenv("S2_API_KEY", FAKE_ENV_SECRET)
    repo_id = "someone/posttrain-traces"
    seen = _hub_routes(loopback_server, repo_id)
    assert main(["transcript", "push", str(run_dir), repo_id, *flag]) == 0

    assert seen["create"]["type"] == "dataset" and seen["create"]["name"] == "posttrain-traces"
    assert seen["create"].get("visibility", "private" if seen["create"].get("private") else "public") == visibility
    files = {op["value"]["path"]: base64.b64decode(op["value"]["content"]).decode()
             for op in seen["commit"] if op.get("key") == "file"}
    trace, report = f"traces/{run_dir.name}.jsonl", f"reports/{run_dir.name}.html"
    assert set(files) == {trace, report} == set(seen["preupload"])
    validate_sts(files[trace])
    assert "<svg" in files[report] and "Transcript" in files[report]
    for text in files.values():
        assert FAKE_OPENAI not in text and FAKE_ENV_SECRET not in text and "u:pw@" not in text
    assert seen["commit_headers"]["authorization"] == "Bearer hf_" + "Q" * 30  # the token went in the header only
    assert all(("hf_" + "Q" * 30) not in text for text in files.values())


def test_push_refuses_in_offline_mode(run_dir: Path, monkeypatch, capsys) -> None:
    import huggingface_hub.constants as hub_constants

    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    assert main(["transcript", "push", str(run_dir), "someone/x"]) == 2
    assert "HF_HUB_OFFLINE" in capsys.readouterr().err
