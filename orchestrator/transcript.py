"""Transcripts: writing every AgentChat message as it happens, and reading, filtering and exporting them.

Each line of `transcript.jsonl` is the message's own ``dump()`` plus ``"iteration"`` and ``"phase"``, so
``autogen_agentchat.messages.MessageFactory().create(line)`` reloads it as the original class.
"""

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from posttrain.run.events import AgentMessage, Progress


TOOL_EVENT_TYPES = {"ToolCallRequestEvent", "ToolCallExecutionEvent"}
SKIPPED_TYPES = {"ModelClientStreamingChunkEvent"}  # token chunks: the full message follows


class TranscriptWriter:
    """Event-bus subscriber: AgentChat items → transcript.jsonl, run events → events.jsonl, each line flushed."""

    def __init__(self, transcript_path: Path, events_path: Path, progress_interval_s: float = 2.0):
        self.transcript = transcript_path.open("a", encoding="utf-8")
        self.events = events_path.open("a", encoding="utf-8")
        self.lines_written = _count_lines(transcript_path)
        self.event_lines = _count_lines(events_path)
        self._progress_interval = progress_interval_s
        self._last_progress: dict[str, float] = {}

    def __call__(self, item: Any) -> None:
        if isinstance(item, AgentMessage):
            if type(item.message).__name__ in SKIPPED_TYPES:
                return
            record = {**item.message.dump(), "iteration": item.iteration, "phase": item.phase}
            self.transcript.write(json.dumps(record, default=str) + "\n")
            self.transcript.flush()
            self.lines_written += 1
        elif isinstance(item, BaseModel):
            if isinstance(item, Progress) and not self._progress_due(item):
                return
            self.events.write(item.model_dump_json() + "\n")
            self.events.flush()
            self.event_lines += 1

    def _progress_due(self, item: Progress) -> bool:
        """Keep events.jsonl small: progress at most every few seconds per task, plus the last step."""
        now, last = time.time(), self._last_progress.get(item.task, 0.0)
        if item.total is not None and item.completed >= item.total or now - last >= self._progress_interval:
            self._last_progress[item.task] = now
            return True
        return False

    def close(self) -> None:
        self.transcript.close()
        self.events.close()


def _count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


class Entry(BaseModel):
    """One transcript line, flattened for reading."""

    iteration: int
    phase: str
    type: str
    source: str
    text: str
    raw: dict


def message_text(record: dict) -> str:
    """Human-readable text of a dumped AgentChat message or event."""
    content = record.get("content")
    kind = record.get("type", "")
    if kind == "ToolCallRequestEvent":
        return "; ".join(f"call {c.get('name')}({c.get('arguments')})" for c in content or [])
    if kind == "ToolCallExecutionEvent":
        return "; ".join(
            f"{'ERROR ' if c.get('is_error') else ''}{c.get('name')} → {c.get('content')}" for c in content or []
        )
    if isinstance(content, str):
        return content
    return json.dumps(content, default=str)


def read_transcript(path: Path) -> list[Entry]:
    """All complete lines of a transcript (a torn last line from a crash is ignored)."""
    entries = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.endswith("\n"):
                break
            record = json.loads(line)
            entries.append(
                Entry(
                    iteration=record.get("iteration", 0),
                    phase=record.get("phase", "work"),
                    type=record.get("type", "?"),
                    source=record.get("source", "?"),
                    text=message_text(record),
                    raw=record,
                )
            )
    return entries


def filter_entries(
    entries: Iterable[Entry],
    *,
    agent: str | None = None,
    iteration: int | None = None,
    debate_only: bool = False,
    tools: bool = False,
) -> list[Entry]:
    """Select entries; tool-call events are hidden unless `tools` is set."""
    selected = []
    for entry in entries:
        if agent and entry.source.lower() != agent.lower():
            continue
        if iteration is not None and entry.iteration != iteration:
            continue
        if debate_only and entry.phase != "debate":
            continue
        if not tools and entry.type in TOOL_EVENT_TYPES:
            continue
        selected.append(entry)
    return selected


def to_markdown(entries: list[Entry], title: str) -> str:
    """A readable Markdown transcript, one section per iteration and phase."""
    lines, current = [f"# {title}", ""], None
    for entry in entries:
        key = (entry.iteration, entry.phase)
        if key != current:
            current = key
            lines += [f"## Iteration {entry.iteration} — {entry.phase}", ""]
        text = entry.text.replace("\n", "\n> ")
        lines += [f"**{entry.source}** ({entry.type})", "", f"> {text}", ""]
    return "\n".join(lines)
