"""`posttrain transcript export --format md`: a run as one Markdown file a person can read and share.

It starts with a header (goal, status, brain, model, benchmark, config, wall time, result), then per iteration a
results table (score and CI, method, decision, training, paired test) with links to the iteration's artifacts —
relative to the written file, so they work wherever the run and the file move together — then the conversation.
"""

import json
import os
from pathlib import Path

from posttrain.orchestrator.tool_view import parse_json_text
from posttrain.orchestrator.transcript import Entry
from posttrain.run.ledger import Ledger, Score
from posttrain.run.run_summary import IterationSummary, RunSummary, read_summary
from posttrain.run.state import RunState, read_state
from posttrain.tools.durations import clock


CONFIG_KEYS = ("max_iterations", "target", "time_budget", "debate_rounds", "seed", "playbook_scale", "train_data",
               "teacher", "agents")


def run_markdown(run_dir: Path, entries: list[Entry], output: Path) -> str:
    """The whole Markdown document for the run in `run_dir`, links relative to `output`'s folder."""
    summary = read_summary(run_dir / "summary.json") or RunSummary()
    state = read_state(run_dir / "state.json")
    base = output.resolve().parent
    lines = _header(run_dir, summary, state, entries)
    by_iteration: dict[int, list[Entry]] = {}
    for entry in entries:
        by_iteration.setdefault(entry.iteration, []).append(entry)
    iterations = {it.index: it for it in summary.iterations}
    ledger = state.ledger if state else Ledger()
    for index in sorted(set(iterations) | set(by_iteration)):
        lines += [f"## Iteration {index}" + (" — baseline" if index == 0 else ""), ""]
        if index in iterations:
            lines += _results(iterations[index], ledger, summary, run_dir, base)
        lines += _conversation(index, by_iteration.get(index, []))
    return "\n".join(lines).rstrip() + "\n"


def _header(run_dir: Path, summary: RunSummary, state: RunState | None, entries: list[Entry]) -> list[str]:
    config = state.config.model_dump() if state else {}
    goal = summary.goal or config.get("goal") or run_dir.resolve().name
    brain = _brain_label(run_dir) or summary.brain or config.get("brain") or "?"
    settings = " · ".join(f"{key} {_plain(config[key])}" for key in CONFIG_KEYS
                          if key in config and config[key] not in (None, [], ""))
    result = ""
    if summary.best is not None:
        baseline = summary.baseline.score if summary.baseline else None
        result = (f"baseline {_score(baseline)} → best {_score(summary.best.score)}"
                  + (f" (iteration {summary.best.iteration})" if summary.best.iteration is not None else ""))
    elapsed = summary.elapsed_s or (state.elapsed_s if state else None)
    rows = [("run", f"`{run_dir.resolve().name}`"), ("goal", goal),
            ("status", summary.status if summary.status != "unknown" else state.status if state else "unknown"),
            ("brain", brain), ("base model", summary.base_model or config.get("base_model") or "?"),
            ("benchmark", summary.benchmark or config.get("benchmark") or "?"), ("config", settings or "—"),
            ("wall time", "—" if elapsed is None else clock(elapsed)), ("result", result or "—"),
            ("messages", str(len(entries)))]
    lines = [f"# posttrain transcript — {_cell(goal)}", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {_cell(value)} |" for key, value in rows]
    return lines + [""]


def _results(it: IterationSummary, ledger: Ledger, summary: RunSummary, run_dir: Path, base: Path) -> list[str]:
    index = it.index
    record = next((r for r in ledger.iterations if r.index == index), None)
    ci = it.ci95 or (summary.baseline.ci95 if index == 0 and summary.baseline else None)
    training = it.training
    method = "baseline" if index == 0 else (it.plan.method if it.plan else None) or (
        training.method if training else None) or "—"
    trained = f"{training.status}, {training.steps or 0:g} steps" if training else "—"
    versus = it.comparison.brief() if it.comparison else "—"
    decision = it.decision or ("measure the baseline" if index == 0 else "—")
    lines = ["| score | 95% CI | method | decision | training | vs previous best |", "|---|---|---|---|---|---|",
             f"| {_score(it.score)} | {f'{ci[0]:.3f}–{ci[1]:.3f}' if ci else '—'} | {method} | {_cell(decision)} "
             f"| {trained} | {versus} |", ""]
    evaluation = (record.evaluation if record else None) or (ledger.baseline if index == 0 else None)
    log = record.training.log_path if record and record.training else None
    links = [_link(label, path, base) for label, path in _artifacts(it, run_dir, log, evaluation)]
    if links:
        lines += ["Artifacts: " + " · ".join(links), ""]
    return lines


def _artifacts(it: IterationSummary, run_dir: Path, log: str | None, evaluation: Score | None
               ) -> list[tuple[str, str]]:
    found = [("dataset", it.data.path if it.data else None),
             ("checkpoint", it.training.checkpoint if it.training else None),
             ("training log", log), ("evaluation report", evaluation.report if evaluation else None),
             ("all artifacts", str(run_dir / "artifacts" / str(it.index)))]
    return [(label, path) for label, path in found if path and Path(path).exists()]


def _conversation(index: int, entries: list[Entry]) -> list[str]:
    lines, phase = [], None
    for entry in entries:
        if entry.phase != phase:
            phase = entry.phase
            lines += [f"### Iteration {index} — {phase}", ""]
        content = entry.raw.get("content")
        if entry.type == "ToolCallRequestEvent" and isinstance(content, list):
            for call in content:
                arguments = parse_json_text(call.get("arguments"))
                lines += [f"**{entry.source}** calls `{call.get('name')}`", ""]
                lines += [*_fenced(arguments), ""] if arguments not in ({}, "", None) else []
        elif entry.type == "ToolCallExecutionEvent" and isinstance(content, list):
            for result in content:
                lines += _tool_result(result)
        else:
            kind = "" if entry.type == "TextMessage" else f" ({entry.type})"
            text = entry.text.replace("\n", "\n> ")
            lines += [f"**{entry.source}**{kind}", "", f"> {text}", ""]
    return lines


def _tool_result(result: dict) -> list[str]:
    """The result's `summary` as text, the whole result folded below it (GitHub and most viewers fold <details>)."""
    parsed = parse_json_text(result.get("content"))
    summary = parsed.get("summary") if isinstance(parsed, dict) else None
    verb = "failed" if result.get("is_error") else "returned"
    head = f"`{result.get('name')}` {verb}" + (f": {summary}" if isinstance(summary, str) else "")
    return [f"> {head}", "", "<details><summary>result</summary>", "", *_fenced(result.get("content")), "",
            "</details>", ""]


def _fenced(value) -> list[str]:
    parsed = parse_json_text(value)
    text = json.dumps(parsed, indent=2, ensure_ascii=False) if isinstance(parsed, dict | list) else str(value)
    return ["```json" if isinstance(parsed, dict | list) else "```", text, "```"]


def _link(label: str, path: str, base: Path) -> str:
    relative = os.path.relpath(Path(path).resolve(), base)
    target = f"<{relative}>" if " " in relative else relative
    return f"[{label}]({target})"


def _brain_label(run_dir: Path) -> str | None:
    """The brain as the run named it ("offline playbook (rule-based, no LLM)"), from its first event."""
    try:
        with (run_dir / "events.jsonl").open(encoding="utf-8") as handle:
            first = json.loads(handle.readline())
        return first.get("brain") if first.get("type") == "run_started" else None
    except (OSError, ValueError):
        return None



def _cell(value) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped."""
    return " ".join(str(value).split()).replace("|", "\\|")


def _plain(value) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _score(value) -> str:
    return "—" if value is None else f"{value:.3f}"
