"""Transcript writing, reading, filtering, export, and rewinding after a crash."""

import json

from autogen_agentchat.messages import MessageFactory, TextMessage, ToolCallRequestEvent
from autogen_core import FunctionCall

from posttrain.orchestrator.cli import main
from posttrain.orchestrator.transcript import TranscriptWriter, filter_entries, read_transcript
from posttrain.run.events import AgentMessage, Progress
from posttrain.run.workspace import RunWorkspace


def write_sample(root):
    workspace = RunWorkspace.create(root)
    writer = TranscriptWriter(workspace.transcript_path, workspace.events_path)
    items = [
        AgentMessage(iteration=0, phase="work", message=TextMessage(content="@Evaluator baseline", source="Manager")),
        AgentMessage(iteration=1, phase="debate", message=TextMessage(content="loss 2.1→0.4", source="Trainer")),
        AgentMessage(iteration=1, phase="debate", message=TextMessage(content="p=0.01", source="Evaluator")),
        AgentMessage(iteration=1, phase="work", message=ToolCallRequestEvent(
            content=[FunctionCall(id="1", name="launch_training", arguments="{}")], source="Trainer")),
        AgentMessage(iteration=1, phase="work", message=TextMessage(content="SFT done", source="Trainer")),
        Progress(iteration=1, task="train", completed=5, total=5),
    ]
    for item in items:
        writer(item)
    writer.close()
    return workspace


def test_lines_reload_as_autogen_messages(tmp_path):
    workspace = write_sample(tmp_path / "run")
    lines = [json.loads(line) for line in workspace.transcript_path.read_text().splitlines()]
    assert len(lines) == 5 and lines[1]["iteration"] == 1 and lines[1]["phase"] == "debate"
    reloaded = [MessageFactory().create({k: v for k, v in line.items() if k not in ("iteration", "phase")})
                for line in lines]
    assert isinstance(reloaded[3], ToolCallRequestEvent) and reloaded[4].content == "SFT done"
    assert json.loads(workspace.events_path.read_text())["type"] == "progress"


def test_filters(tmp_path):
    entries = read_transcript(write_sample(tmp_path / "run").transcript_path)
    assert [e.source for e in filter_entries(entries, debate_only=True)] == ["Trainer", "Evaluator"]
    assert [e.text for e in filter_entries(entries, agent="trainer")] == ["loss 2.1→0.4", "SFT done"]
    assert len(filter_entries(entries, agent="Trainer", tools=True)) == 3
    assert [e.source for e in filter_entries(entries, iteration=0)] == ["Manager"]


def test_show_and_export_cli(tmp_path, capsys):
    workspace = write_sample(tmp_path / "run")
    assert main(["transcript", "show", str(workspace.root), "--agent", "Evaluator"]) == 0
    out = capsys.readouterr().out
    assert "p=0.01" in out and "SFT done" not in out
    md, js = tmp_path / "t.md", tmp_path / "t.json"
    assert main(["transcript", "export", str(workspace.root), "--format", "md", "-o", str(md)]) == 0
    assert "## Iteration 1 — debate" in md.read_text()
    assert main(["transcript", "export", str(workspace.root), "--format", "json", "-o", str(js)]) == 0
    assert len(json.loads(js.read_text())) == 5
    assert main(["transcript", "export", str(workspace.root), "--format", "html", "-o", str(js)]) == 2


def test_rewind_archives_lines_after_checkpoint_and_torn_tail(tmp_path):
    workspace = write_sample(tmp_path / "run")
    with workspace.transcript_path.open("a") as handle:
        handle.write('{"type": "TextMessage", "content": "half a li')  # kill -9 mid-write
    dropped = workspace.rewind_log(workspace.transcript_path, keep_lines=3)
    assert dropped == 3
    assert len(read_transcript(workspace.transcript_path)) == 3
    archived = (workspace.root / "transcript.aborted.jsonl").read_text().splitlines()
    assert len(archived) == 3 and "half a li" in archived[-1]
