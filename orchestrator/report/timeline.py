"""The report's timeline and cost, and the transcript explorer."""

import json
from collections import defaultdict

from posttrain.orchestrator.report import svg
from posttrain.orchestrator.report.data import RunData, iso_seconds
from posttrain.orchestrator.report.html import (
    MAX_MESSAGE,
    clip,
    duration,
    e,
    table,
)
from posttrain.orchestrator.transcript import TOOL_EVENT_TYPES


def phase_spans(run: RunData) -> list[dict]:
    """(iteration, phase) spans from events.jsonl: each iteration_started closes the span before it."""
    spans, open_span = [], None
    for ev in run.events:
        kind, at = ev.get("type"), ev.get("at")
        if kind not in ("iteration_started", "iteration_finished", "run_finished", "run_started") or at is None:
            continue
        if open_span is not None:
            open_span["end"] = at
            spans.append(open_span)
            open_span = None
        if kind == "iteration_started":
            label = "baseline" if ev["iteration"] == 0 else f"iteration {ev['iteration']} · {ev['phase']}"
            open_span = {"label": label, "start": at, "end": at, "kind": "phase", "iteration": ev["iteration"],
                         "phase": "baseline" if ev["iteration"] == 0 else ev["phase"]}
    if open_span is not None:  # still running (or killed): up to the last thing we know of
        last = max([ev.get("at") or 0 for ev in run.events] + [open_span["start"]])
        open_span["end"] = last
        open_span["open"] = True
        spans.append(open_span)
    return spans


def tool_spans(run: RunData) -> list[dict]:
    """Tool calls from the transcript: request → execution, matched by call id."""
    started: dict[str, tuple[float, dict, str]] = {}
    spans = []
    for entry in run.entries:
        at = iso_seconds(entry.raw.get("created_at"))
        if at is None or not isinstance(entry.raw.get("content"), list):
            continue
        if entry.type == "ToolCallRequestEvent":
            for call in entry.raw["content"]:
                started[call.get("id")] = (at, call, entry.source)
        elif entry.type == "ToolCallExecutionEvent":
            for result in entry.raw["content"]:
                begun = started.pop(result.get("call_id"), None)
                if begun:
                    spans.append({"label": f"{begun[2]}: {result.get('name')}", "start": begun[0], "end": at,
                                  "kind": "tool", "iteration": entry.iteration, "phase": entry.phase,
                                  "error": bool(result.get("is_error"))})
    return spans


def tokens_by_agent(run: RunData) -> dict[str, list[int]]:
    usage: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for entry in run.entries:
        used = entry.raw.get("models_usage")
        if isinstance(used, dict):
            usage[entry.source][0] += int(used.get("prompt_tokens") or 0)
            usage[entry.source][1] += int(used.get("completion_tokens") or 0)
    return dict(usage)


def render_timeline(run: RunData) -> str:
    phases, tools = phase_spans(run), tool_spans(run)
    spans = phases + tools
    out = ['<section id="timeline"><h2>Timeline and cost</h2>']
    if spans:
        t0 = min(s["start"] for s in spans)
        spans.sort(key=lambda s: (s["start"], s["kind"] != "phase"))
        rows = [{**s, "start": s["start"] - t0, "end": s["end"] - t0,
                 "tip": f"{s['label']}: {duration(s['end'] - s['start'])}"} for s in spans]
        out.append(svg.timeline_chart(rows, max(r["end"] for r in rows)))
        table_rows = [[e(s["label"]) + (' <span class="muted">(still open)</span>' if s.get("open") else "")
                       + (' <span class="err">error</span>' if s.get("error") else ""),
                       e(s["kind"]), f"{s['start'] - t0:.1f}", duration(s["end"] - s["start"])] for s in spans]
        out.append("<details><summary>every phase and tool call</summary>"
                   + table(["span", "kind", "start (s)", "duration"], table_rows, numeric={2, 3}) + "</details>")
    else:
        out.append('<p class="muted">no timed events recorded</p>')
    # cost
    per_phase: dict[str, float] = defaultdict(float)
    for s in phases:
        per_phase[s["phase"]] += s["end"] - s["start"]
    per_tool: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for s in tools:
        name = s["label"].split(": ", 1)[-1]
        per_tool[name][0] += 1
        per_tool[name][1] += s["end"] - s["start"]
    train_s = sum(it.training.duration_s for it in run.iterations if it.training)
    eval_s = 0.0
    for it in run.iterations:
        for path in run.eval_reports(it.index):
            eval_s += float(run.eval_report(str(path)).get("duration_s") or 0.0)
    devices = sorted({"GPU" if run.training_spec(it.index).get("num_gpus") else "CPU"
                      for it in run.iterations if it.training})
    rows = [[e(k), duration(v)] for k, v in sorted(per_phase.items())]
    rows.append([f"training ({'/'.join(devices) or 'none'})", duration(train_s)])
    rows.append(["evaluation (every report of the run)", duration(eval_s)])
    out.append("<h3>Cost</h3>" + table(["what", "wall time"], rows, numeric={1}))
    if per_tool:
        out.append(table(["tool", "calls", "total"], [[f"<code>{e(k)}</code>", str(v[0]), duration(v[1])]
                                                       for k, v in sorted(per_tool.items(), key=lambda kv: -kv[1][1])],
                         numeric={1, 2}))
    usage = tokens_by_agent(run)
    if any(sum(v) for v in usage.values()):
        out.append("<h4>Tokens by agent</h4>" + table(
            ["agent", "prompt", "completion"], [[e(k), f"{v[0]:,}", f"{v[1]:,}"] for k, v in sorted(usage.items())],
            numeric={1, 2}))
    else:
        out.append('<p class="muted">Tokens: none used (the offline playbook brain is not an LLM).</p>')
    out.append("</section>")
    return "".join(out)


# -- transcript explorer -------------------------------------------------------------------------------------------
def _pretty(text) -> str:
    if isinstance(text, str):
        try:
            return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except (json.JSONDecodeError, ValueError):
            return text
    return json.dumps(text, indent=2, ensure_ascii=False, default=str)


def _short(text, limit: int = 90) -> str:
    """One line for a folded tool call: a result's own "summary" when it has one, JSON without escapes."""
    if isinstance(text, str):
        try:
            text = json.loads(text)
        except (json.JSONDecodeError, ValueError):
            pass
    if isinstance(text, dict) and isinstance(text.get("summary"), str):
        text = text["summary"]
    elif not isinstance(text, str):
        text = json.dumps(text, ensure_ascii=False, default=str)
    return clip(" ".join(text.split()), limit)


def render_message(entry) -> str:
    raw, kind = entry.raw, "tool" if entry.type in TOOL_EVENT_TYPES else "message"
    stamp = (raw.get("created_at") or "")[11:19]
    meta = (f'<div class="meta"><span class="who">{e(entry.source)}</span> · iteration {entry.iteration} · '
            f'{e(entry.phase)} · {e(entry.type)}{f" · {e(stamp)}" if stamp else ""}</div>')
    if entry.type == "ToolCallRequestEvent" and isinstance(raw.get("content"), list):
        body = "".join(f"<details><summary>→ {e(c.get('name'))}({e(_short(c.get('arguments') or '', 70))})</summary>"
                       f"<pre>{e(clip(_pretty(c.get('arguments') or ''), MAX_MESSAGE))}</pre></details>"
                       for c in raw["content"])
    elif entry.type == "ToolCallExecutionEvent" and isinstance(raw.get("content"), list):
        body = "".join(f"<details><summary>{'<span class=err>error</span> ' if c.get('is_error') else ''}"
                       f"← {e(c.get('name'))}: {e(_short(c.get('content') or ''))}</summary>"
                       f"<pre>{e(clip(_pretty(c.get('content') or ''), MAX_MESSAGE))}</pre></details>"
                       for c in raw["content"])
    else:
        body = e(clip(entry.text, MAX_MESSAGE))
    return (f'<div class="msg {kind}" data-agent="{e(entry.source)}" data-iteration="{entry.iteration}" '
            f'data-phase="{e(entry.phase)}" data-kind="{kind}">{meta}<div class="body">{body}</div></div>')


def render_explorer(run: RunData) -> str:
    entries = run.entries
    agents = sorted({x.source for x in entries})
    iterations = sorted({x.iteration for x in entries})
    phases = sorted({x.phase for x in entries})

    def select(name: str, label: str, values) -> str:
        options = "".join(f'<option value="{e(v)}">{e(v)}</option>' for v in values)
        return (f'<label>{label} <select data-filter="{name}"><option value="">all</option>{options}</select>'
                "</label>")

    filters = (select("agent", "agent", agents) + select("iteration", "iteration", iterations)
               + select("phase", "phase", phases) + select("kind", "kind", ["message", "tool"])
               + '<input type="search" id="x-search" placeholder="search text" aria-label="search">'
               + '<button type="button" id="x-expand">expand/fold tools</button>'
               + '<span id="x-count" class="muted"></span>')
    messages = "".join(render_message(x) for x in entries)
    return (f'<section id="transcript"><h2>Transcript ({len(entries)} messages)</h2><div class="explorer" '
            f'id="explorer"><div class="filters">{filters}</div>{messages or "<p class=muted>empty</p>"}</div>'
            "</section>")


# -- page ----------------------------------------------------------------------------------------------------------
