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
from posttrain.tools.providers import SECRET_VARS


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
    since: int | None = None,
) -> list[Entry]:
    """Select entries; tool-call events are hidden unless `tools` is set. `since`: iterations from this one on."""
    selected = []
    for entry in entries:
        if agent and entry.source.lower() != agent.lower():
            continue
        if iteration is not None and entry.iteration != iteration:
            continue
        if since is not None and entry.iteration < since:
            continue
        if debate_only and entry.phase != "debate":
            continue
        if not tools and entry.type in TOOL_EVENT_TYPES:
            continue
        selected.append(entry)
    return selected


# -- the Hub's Session Trace Simple Format (STS) ------------------------------------------------------------------
# https://huggingface.co/docs/hub/session-traces-format: a JSONL file, a `session` header line, then one `message`
# envelope per line ({"type": "message", "message": {"role", "content", ...}}); tool calls ride on an assistant
# message (`toolCalls`: [{"id", "function": {"name", "arguments": JSON string}}]) and each result is a `tool`
# message whose `toolCallId` names the call it answers. One session per run.
STS_HARNESS = "posttrain"
STS_MESSAGE_FIELDS = ("role", "content", "reasoningContent", "toolCalls", "toolCallId", "timestamp", "model")


def secret_scrubber(env_vars: Iterable[str] = SECRET_VARS):
    """A text → text function masking credentials: known key formats and URL secrets (`posttrain.tools.redact`),
    plus the literal values of the environment variables a run reads for its keys, where they are set."""
    import os

    from posttrain.tools.redact import MASK, redact

    values = sorted({os.environ[name] for name in env_vars if len(os.environ.get(name) or "") >= 6}, key=len,
                    reverse=True)

    def scrub(text: str) -> str:
        if not text:
            return text
        for value in values:
            text = text.replace(value, MASK)
        return redact(text)

    return scrub


def _epoch_ms(stamp: str | None) -> int | None:
    from datetime import datetime

    if not stamp:
        return None
    try:
        return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def _sts_message(role: str, content: str, timestamp: int | None, **extra) -> dict:
    message = {"role": role, "content": content}
    message.update({k: v for k, v in extra.items() if v is not None})
    if timestamp is not None:
        message["timestamp"] = timestamp
    return {"type": "message", "message": message}


def to_sts(entries: list[Entry], *, session_id: str, name: str, model: str | None = None,
           metadata: dict | None = None, scrub=None) -> list[dict]:
    """A run's transcript as STS lines (header first). Each agent's message starts with its speaker, iteration and
    phase in bold, since the format has one assistant; a system line marks each new iteration and phase.
    `scrub` (text → text) is applied to every text field written, tool arguments and results included."""
    scrub = scrub or (lambda text: text)
    header = {"type": "session", "harness": STS_HARNESS, "id": session_id, "name": scrub(name)}
    for key, value in (metadata or {}).items():
        header[key] = scrub(value) if isinstance(value, str) else value
    lines, current = [header], None
    call_ids: dict[str, str] = {}  # a call id seen again (e.g. after a resume) gets a suffix, its result follows it
    for entry in entries:
        raw, stamp = entry.raw, _epoch_ms(entry.raw.get("created_at"))
        if (entry.iteration, entry.phase) != current:
            current = (entry.iteration, entry.phase)
            what = "baseline" if entry.iteration == 0 else entry.phase
            lines.append(_sts_message("system", f"Iteration {entry.iteration} — {what}", stamp))
        speaker = f"**{entry.source}** · iteration {entry.iteration} · {entry.phase}"
        if entry.type == "ToolCallRequestEvent" and isinstance(raw.get("content"), list):
            calls = []
            for call in raw["content"]:
                arguments = call.get("arguments")
                if not isinstance(arguments, str):
                    arguments = json.dumps(arguments, default=str)
                call_id = str(call.get("id"))
                unique = call_id if call_id not in call_ids else f"{call_id}#{len(lines)}"
                call_ids[call_id] = unique
                calls.append({"id": unique,
                              "function": {"name": str(call.get("name")), "arguments": scrub(arguments)}})
            lines.append(_sts_message("assistant", speaker, stamp, toolCalls=calls, model=model))
        elif entry.type == "ToolCallExecutionEvent" and isinstance(raw.get("content"), list):
            for result in raw["content"]:
                text = result.get("content")
                text = text if isinstance(text, str) else json.dumps(text, default=str)
                if result.get("is_error"):
                    text = "ERROR " + text
                call_id = str(result.get("call_id"))
                lines.append(_sts_message("tool", scrub(text), stamp, toolCallId=call_ids.get(call_id, call_id)))
        elif entry.type == "ThoughtEvent":
            lines.append(_sts_message("assistant", speaker, stamp, reasoningContent=scrub(entry.text), model=model))
        elif entry.source == "user":
            lines.append(_sts_message("user", scrub(entry.text), stamp))
        elif entry.type.endswith("Message"):
            lines.append(_sts_message("assistant", scrub(f"{speaker}\n\n{entry.text}"), stamp, model=model))
        else:  # other AgentChat events (speaker selection, memory queries, ...): context, not a turn
            lines.append(_sts_message("system", scrub(f"{entry.source} ({entry.type}): {entry.text}"), stamp))
    return lines


def run_sts(run_dir: Path, scrub=None) -> list[dict]:
    """The STS lines of the run in `run_dir`: one session, its header carrying the run's goal and results."""
    import uuid

    from posttrain.run.run_summary import RunSummary, read_summary

    written = read_summary(run_dir / "summary.json")
    summary = written or RunSummary()
    entries = read_transcript(run_dir / "transcript.jsonl")
    first_id = entries[0].raw.get("id", "") if entries else ""
    session_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"posttrain:{run_dir.resolve().name}:{first_id}"))
    best, baseline = summary.best, summary.baseline
    metadata = {"run": run_dir.resolve().name, "goal": summary.goal or None,
                "status": written.status if written else None,
                "benchmark": summary.benchmark or None, "base_model": summary.base_model or None,
                "brain": summary.brain or None, "baseline": baseline.score if baseline else None,
                "best": best.score if best else None, "best_iteration": best.iteration if best else None}
    name = summary.goal or run_dir.name
    return to_sts(entries, session_id=session_id, name=name, model=summary.brain or None,
                  metadata={k: v for k, v in metadata.items() if v is not None}, scrub=scrub)


def sts_text(lines: list[dict]) -> str:
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)


def push_run(run_dir: Path, repo_id: str, *, private: bool = True, token: str | None = None) -> dict:
    """Upload the run's STS trace and its HTML report to the Hub dataset `repo_id` (created private unless told
    otherwise), both redacted with `secret_scrubber` first. The Hub's trace viewer renders the `.jsonl`.

    Returns {"repo_url", "commit_url", "files"}. Honours HF_ENDPOINT (read now, not at import)."""
    import os
    import tempfile

    from huggingface_hub import HfApi, constants

    from posttrain.orchestrator.report import write_report
    from posttrain.tools.errors import ConfigError

    if constants.is_offline_mode():
        raise ConfigError("HF_HUB_OFFLINE is set, so nothing can be pushed; fix: unset HF_HUB_OFFLINE for this "
                          "command")
    scrub = secret_scrubber()
    name = run_dir.resolve().name
    with tempfile.TemporaryDirectory(prefix="posttrain-push-") as tmp:
        folder = Path(tmp)
        (folder / "traces").mkdir()
        (folder / "traces" / f"{name}.jsonl").write_text(sts_text(run_sts(run_dir, scrub=scrub)), encoding="utf-8")
        write_report(run_dir, folder / "reports" / f"{name}.html", transform=scrub)
        api = HfApi(endpoint=os.environ.get("HF_ENDPOINT") or None, token=token)
        repo_url = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
        commit = api.upload_folder(folder_path=folder, repo_id=repo_id, repo_type="dataset",
                                   commit_message=f"posttrain run {name}: trace and report")
    return {"repo_url": str(repo_url), "commit_url": getattr(commit, "commit_url", str(commit)), "files": files}
