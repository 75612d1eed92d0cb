"""The run report as one self-contained HTML page: inline CSS, inline SVG charts, a few lines of plain JS.

Sections: the objective and result; score per iteration; per iteration the debate, decision, plan diff, data,
training curves, findings, evaluation and flipped items; the timeline and cost; the transcript explorer.
"""

import json
import time
from collections import defaultdict
from html import escape
from pathlib import Path

from posttrain.orchestrator.report import svg
from posttrain.orchestrator.report.assets import CSS, JS
from posttrain.orchestrator.report.data import TRAINING_KEYS, RunData, iso_seconds
from posttrain.orchestrator.transcript import TOOL_EVENT_TYPES


MAX_FLIPS = 5
SAMPLE_ROWS = 3
MAX_CELL = 300
MAX_MESSAGE = 40_000


def e(value) -> str:
    return escape("" if value is None else str(value))


def score(value) -> str:
    return "—" if value is None else f"{value:.3f}"


def ci(pair) -> str:
    return "—" if not pair else f"{pair[0]:.3f}–{pair[1]:.3f}"


def duration(seconds) -> str:
    if seconds is None:
        return "—"
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def clip(text, limit: int = MAX_CELL) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset(), cls: str = "") -> str:
    """Rows of already-escaped cells."""
    head = "".join(f'<th class="num">{h}</th>' if i in numeric else f"<th>{h}</th>" for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return (f'<div class="scroll"><table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
            "</table></div>")


def method_of(it: dict) -> str | None:
    plan = it.get("plan") or {}
    return plan.get("method") or (it.get("training") or {}).get("method")


# -- overview ------------------------------------------------------------------------------------------------------
def render_overview(run: RunData) -> str:
    s, cfg = run.summary, run.config
    objective = s.get("objective") or cfg.get("objective") or {}
    budget = cfg.get("time_budget") or (duration(objective["time_budget_s"]) if objective.get("time_budget_s")
                                        else None)
    if objective.get("compute_note"):
        budget = f"{budget or ''} ({objective['compute_note']})".strip()
    target = s.get("target", cfg.get("target"))
    facts = [
        ("goal", e(s.get("goal") or cfg.get("goal"))),
        ("benchmark", e(s.get("benchmark") or cfg.get("benchmark"))
         + (f' <span class="muted">({objective["benchmark_items"]} items)</span>'
            if objective.get("benchmark_items") else "")),
        ("base model", e(s.get("base_model") or cfg.get("base_model"))),
        ("brain", e(s.get("brain") or cfg.get("brain"))),
        ("target", score(target) if target is not None else "none"),
        ("budget", e(budget or "none")),
        ("train data", e(", ".join(s.get("train_data") or cfg.get("train_data") or []) or "chosen by the team")),
        ("run directory", f"<code>{e(run.root)}</code>"),
    ]
    if s.get("reason"):
        facts.insert(0, ("reason", e(s["reason"])))
    baseline = run.ledger.get("baseline") or s.get("baseline") or {}
    best = run.best()
    best_ckpt = (s.get("best") or {}).get("checkpoint")
    elapsed = s.get("elapsed_s") or run.state.get("elapsed_s")
    kpis = [
        (score(baseline.get("score")), f"baseline (95% CI {ci(baseline.get('ci95'))})"),
        (score(best[1]["score"]) if best else "—",
         f"best, iteration {best[0]} (95% CI {ci(best[1].get('ci95'))})" if best else "best"),
        (f"{len([it for it in run.iterations if it.get('index', 0) > 0])}", "iterations"),
        (duration(elapsed), "time used"),
    ]
    kpi_html = "".join(f'<div class="kpi"><b>{v}</b><span>{e(label)}</span></div>' for v, label in kpis)
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    ckpt = f"<p>Best checkpoint: <code>{e(best_ckpt)}</code></p>" if best_ckpt else \
        '<p class="muted">No trained checkpoint beat the baseline.</p>'
    return (f'<section id="overview"><h2>Objective and result</h2><div class="kpis">{kpi_html}</div>'
            f'<dl class="facts">{dl}</dl>{ckpt}</section>')


def score_points(run: RunData) -> list[dict]:
    best = run.best()
    best_index = best[0] if best else None
    points = []
    baseline = run.ledger.get("baseline") or run.summary.get("baseline")
    if baseline:
        points.append({"iteration": 0, "score": baseline["score"], "ci95": baseline.get("ci95"),
                       "method": "baseline", "best": best_index == 0})
    for it in run.iterations:
        ev = it.get("evaluation")
        if it.get("index", 0) > 0 and ev:
            points.append({"iteration": it["index"], "score": ev["score"], "ci95": ev.get("ci95"),
                           "method": method_of(it), "best": best_index == it["index"]})
    if not run.ledger and run.summary.get("iterations"):  # summary only
        for it in run.summary["iterations"]:
            if it.get("index", 0) > 0 and it.get("scores"):
                points.append({"iteration": it["index"], "score": next(iter(it["scores"].values())),
                               "ci95": it.get("ci95"), "method": (it.get("plan") or {}).get("method")})
    return points


def render_scores(run: RunData) -> str:
    points = score_points(run)
    baseline = (run.ledger.get("baseline") or run.summary.get("baseline") or {}).get("score")
    target = run.summary.get("target", run.config.get("target"))
    chart = svg.score_chart(points, baseline, target, title=f"{run.summary.get('benchmark', 'score')} per iteration")
    legend = ('<p class="legend muted"><span><i style="background:var(--base)"></i>baseline</span>'
              '<span><i style="background:var(--sft)"></i>SFT</span><span><i style="background:var(--rft)"></i>RFT'
              '</span><span><i style="background:var(--grpo)"></i>GRPO</span><span>bars: 95% CI · ring: best</span>'
              "</p>")
    rows = []
    for it in run.iterations:
        index = it.get("index", 0)
        ev = it.get("evaluation") if index > 0 else run.ledger.get("baseline")
        comp = it.get("comparison") or {}
        verdict = ""
        if comp:
            cls = "good" if comp.get("significant") and comp.get("diff", 0) > 0 else \
                "bad" if comp.get("significant") else "muted"
            verdict = (f'<span class="{cls}">{comp.get("diff", 0):+.3f}, p={comp.get("p_value", 1):.3g}'
                       f'{" significant" if comp.get("significant") else ""}</span>')
        label = "baseline" if index == 0 else (method_of(it) or "—").upper()
        rows.append([f'<a href="#iteration-{index}">{index}</a>', e(label), score((ev or {}).get("score")),
                     ci((ev or {}).get("ci95")), verdict or "—", e(it.get("phase", "")),
                     duration(it.get("duration_s") or None)])
    return (f'<section id="scores"><h2>Score per iteration</h2>{chart}{legend}'
            + table(["iteration", "method", "score", "95% CI", "vs previous best", "phase", "duration"], rows,
                    numeric={2}) + "</section>")


# -- one iteration -------------------------------------------------------------------------------------------------
def render_plan(it: dict, previous: dict | None) -> str:
    plan = it.get("plan")
    if not plan:
        return '<h3>Plan</h3><p class="muted">no plan recorded</p>'
    out = ["<h3>Plan</h3>"]
    if plan.get("rationale"):
        out.append(f"<p>{e(plan['rationale'])}</p>")
    if plan.get("technique"):
        out.append(f'<p class="muted">technique {e(plan["technique"])}'
                   + (f" ({e(plan['paper'])})" if plan.get("paper") else "") + "</p>")
    rows, prev = [], previous or {}
    for key in [k for k in plan if k != "rationale"] + [k for k in prev if k not in plan and k != "rationale"]:
        now, before = plan.get(key), prev.get(key) if previous else None
        changed = previous is not None and now != before
        shown_before = (f'<span class="removed">{e(before)}</span>' if changed and before not in (None, "") else
                        e(before)) if previous is not None else '<span class="muted">—</span>'
        cells = [f"<code>{e(key)}</code>", shown_before,
                 f'<span class="added">{e(now)}</span>' if changed else e(now)]
        rows.append((changed, cells))
    body = "".join(f'<tr class="{"changed" if c else ""}">' + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"
                   for c, cells in rows)
    caption = "against the previous plan" if previous is not None else "first plan"
    n_changed = sum(1 for c, _ in rows if c)
    out.append(f'<h4>Plan diff ({caption}{f", {n_changed} changed" if previous is not None else ""})</h4>'
               f'<div class="scroll"><table class="plan-diff"><thead><tr><th>field</th><th>previous</th><th>this '
               f"iteration</th></tr></thead><tbody>{body}</tbody></table></div>")
    return "".join(out)


def render_debate(it: dict, run: RunData) -> str:
    out = ["<h3>Debate</h3>"]
    turns = it.get("debate") or {}
    if not turns:  # no ledger: the debate as the transcript has it
        turns = {}
        for entry in run.entries:
            if entry.iteration == it.get("index") and entry.phase == "debate" and entry.type == "TextMessage":
                turns.setdefault(entry.source, entry.text)
    if not turns:
        out.append('<p class="muted">no debate in this iteration</p>')
    for speaker, text in turns.items():
        out.append(f'<div class="card turn"><span class="who">{e(speaker)}</span><div class="body">'
                   f"{e(text)}</div></div>")
    plan = it.get("plan") or {}
    if it.get("decision"):
        adopted = plan.get("adopted_from") or "Manager"
        out.append(f'<div class="card decision"><span class="who">Decision</span> <span class="muted">(adopted '
                   f"from {e(adopted)})</span><div>{e(it['decision'])}</div></div>")
    if it.get("dissent"):
        items = "".join(f"<li>{e(d)}</li>" for d in it["dissent"])
        out.append(f'<div class="card dissent"><span class="who">Dissent</span><ul>{items}</ul></div>')
    return "".join(out)


def sample_rows(path: Path, limit: int = SAMPLE_ROWS) -> tuple[list[str], list[list[str]]]:
    try:
        import pyarrow.parquet as pq

        handle = pq.ParquetFile(path)
        batch = next(handle.iter_batches(batch_size=limit), None)
    except Exception:  # noqa: BLE001 - a missing or unreadable parquet only loses the sample rows
        return [], []
    if batch is None:
        return [], []
    rows = batch.to_pylist()[:limit]
    columns = list(batch.schema.names)
    return columns, [[clip(json.dumps(r[c], default=str) if not isinstance(r[c], str) else r[c]) for c in columns]
                     for r in rows]


def render_data(it: dict, run: RunData) -> str:
    ds = it.get("dataset")
    if not ds:
        search = it.get("data_search")
        return ("<h3>Data</h3>" + (f"<pre>{e(search)}</pre>" if search else '<p class="muted">no dataset built</p>'))
    gate = ds.get("contamination") or {}
    facts = [
        ("rows", e(ds.get("n_rows"))), ("format", e(ds.get("format"))),
        ("sources", e(", ".join(ds.get("sources") or []) or "—")),
        ("label accuracy", "unknown" if ds.get("label_accuracy") is None else f"{ds['label_accuracy']:.1%}"),
        ("decontamination", f"{e(gate.get('dropped', 0))} rows dropped ({gate.get('rate', 0):.1%}) against "
                            f"{e(', '.join(gate.get('checked_against') or []) or 'nothing')}"),
    ]
    check = ds.get("label_check")
    if check:
        plain = [f"{k} {v}" for k, v in check.items() if not isinstance(v, (list, dict))]
        facts.append(("label check", e(", ".join(plain))))
    if ds.get("generation"):
        facts.append(("generation", e(", ".join(f"{k} {v}" for k, v in ds["generation"].items()))))
    out = ["<h3>Data</h3>", f'<dl class="facts">{"".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)}</dl>']
    if ds.get("transformations"):
        steps = "".join(f"<li>{e(t)}</li>" for t in ds["transformations"])
        out.append(f"<h4>Transformations</h4><ol>{steps}</ol>")
    if ds.get("counts"):
        out.append("<h4>Rows after each step</h4>" + table(
            ["step", "rows"], [[e(k), e(v)] for k, v in ds["counts"].items()], numeric={1}))
    local = run.local(ds.get("path"))
    if local:
        columns, rows = sample_rows(local)
        if rows:
            out.append(f"<h4>Sample rows (first {len(rows)})</h4>" + table([e(c) for c in columns],
                                                                         [[e(c) for c in r] for r in rows]))
    return "".join(out)


def render_training(it: dict, run: RunData) -> str:
    t = it.get("training")
    metrics = run.training_metrics(it.get("index", 0))
    if not t and not metrics:
        return ""
    out = ["<h3>Training</h3>"]
    if t:
        summary = t.get("summary") or {}
        facts = [("method", e((t.get("method") or "").upper())),
                 ("status", f'<span class="badge {e(t.get("status"))}">{e(t.get("status"))}</span>'),
                 ("steps", e(int(summary["steps"])) if "steps" in summary else "—"),
                 ("wall time", duration(t.get("duration_s"))),
                 ("loss", f"{summary['first_loss']:.3g} → {summary['last_loss']:.3g}"
                  if "first_loss" in summary and "last_loss" in summary else "—"),
                 ("checkpoint", f"<code>{e(t.get('checkpoint'))}</code>" if t.get("checkpoint") else "none")]
        if t.get("error"):
            facts.append(("error", f'<span class="err">{e(t["error"])}</span>'))
        out.append(f'<dl class="facts">{"".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)}</dl>')
    for name, rows in metrics.items():
        charts = []
        for key in TRAINING_KEYS:
            series = [(float(r.get("step", i)), r[key]) for i, r in enumerate(rows)
                      if isinstance(r.get(key), (int, float))]
            if series:
                charts.append(svg.line_chart(series, key))
        extra = sorted({k for r in rows for k, v in r.items() if isinstance(v, (int, float))}
                       - set(TRAINING_KEYS) - {"step", "time_s", "epoch", "num_tokens"})
        for key in [k for k in extra if k.startswith(("rewards/", "kl", "reward", "eval_"))][:4]:
            series = [(float(r.get("step", i)), r[key]) for i, r in enumerate(rows)
                      if isinstance(r.get(key), (int, float))]
            charts.append(svg.line_chart(series, key))
        if charts:
            out.append(f'<h4>Curves ({e(name)}, {len(rows)} logged rows)</h4><div class="grid curves">'
                       + "".join(charts) + "</div>")
    findings = (t or {}).get("findings") or []
    out.append("<h4>Findings</h4>")
    if findings:
        out.append(table(["severity", "kind", "evidence", "fix"],
                         [[f'<span class="{ {"error": "bad", "warning": "warn"}.get(f.get("severity"), "muted") }">'
                           f'{e(f.get("severity"))}</span>', e(f.get("kind")), e(f.get("evidence")), e(f.get("fix"))]
                          for f in findings]))
    else:
        out.append('<p class="muted">no problems diagnosed</p>')
    return "".join(out)


def flipped_items(current: dict, previous: dict) -> tuple[list[tuple[dict, dict]], list[tuple[dict, dict]]]:
    """Items (paired by id) wrong before and right now, and right before and wrong now."""
    before = {r.get("id"): r for r in previous.get("records") or [] if r.get("id") is not None}
    fixed, broken = [], []
    for record in current.get("records") or []:
        old = before.get(record.get("id"))
        if old is None or bool(old.get("correct")) == bool(record.get("correct")):
            continue
        (fixed if record.get("correct") else broken).append((old, record))
    return fixed, broken


def render_flips(title: str, pairs: list[tuple[dict, dict]], before_label: str) -> str:
    if not pairs:
        return f'<h4>{e(title)}: none</h4>'
    def answer(record: dict) -> str:
        text = record.get("completion") if record.get("completion") is not None else record.get("extracted")
        return f"<code>{e(clip(text, 160))}</code>"

    rows = [[f"<code>{e(new.get('id'))}</code>", f"<code>{e(clip(new.get('prompt'), 200))}</code>",
             f"<code>{e(clip(new.get('gold'), 80))}</code>", answer(old), answer(new)]
            for old, new in pairs[:MAX_FLIPS]]
    return (f"<h4>{e(title)}: {len(pairs)} items (showing {min(len(pairs), MAX_FLIPS)})</h4>"
            + table(["id", "prompt", "gold", f"answer ({e(before_label)})", "answer (now)"], rows, cls="flips"))


def render_evaluation(it: dict, run: RunData) -> str:
    index = it.get("index", 0)
    ev = it.get("evaluation") if index > 0 else run.ledger.get("baseline")
    if not ev:
        return "<h3>Evaluation</h3><p class=\"muted\">not evaluated</p>"
    report = run.eval_report(ev.get("report"))
    facts = [("score", f"<b>{score(ev['score'])}</b> (n={e(ev.get('n'))})"), ("95% CI", ci(ev.get("ci95")))]
    if report.get("duration_s") is not None:
        facts.append(("wall time", duration(report["duration_s"])))
    if report.get("settings", {}).get("decoding"):
        facts.append(("decoding", e(", ".join(f"{k}={v}" for k, v in report["settings"]["decoding"].items()))))
    comp = it.get("comparison")
    if comp:
        verdict = "significant" if comp.get("significant") else "not significant"
        facts.append(("paired test vs previous best",
                      f"Δ {comp['diff']:+.3f} (95% CI {comp['ci95'][0]:+.3f}…{comp['ci95'][1]:+.3f}), "
                      f"p={comp['p_value']:.3g}, <b>{verdict}</b>; {e(comp.get('only_improved', 0))} improved, "
                      f"{e(comp.get('only_regressed', 0))} regressed of {e(comp.get('n_pairs'))} paired items "
                      f'<span class="muted">({e(comp.get("method"))})</span>'))
    if it.get("decoding"):
        facts.append(("decoding check", e(it["decoding"])))
    out = ["<h3>Evaluation</h3>", f'<dl class="facts">{"".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)}</dl>']
    previous = run.best_before(index) if index > 0 else None
    if previous and report:
        prev_report = run.eval_report(previous[1].get("report"))
        if prev_report:
            fixed, broken = flipped_items(report, prev_report)
            label = "baseline" if previous[0] == 0 else f"iteration {previous[0]}"
            out.append(render_flips(f"Wrong → right vs {label}", fixed, label))
            out.append(render_flips(f"Right → wrong vs {label}", broken, label))
    return "".join(out)


def render_iteration(it: dict, previous_plan: dict | None, run: RunData) -> str:
    index = it.get("index", 0)
    title = "Iteration 0 — baseline" if index == 0 else f"Iteration {index} — {(method_of(it) or '?').upper()}"
    parts = [f'<section class="iteration" id="iteration-{index}" data-iteration="{index}"><h2>{e(title)} '
             f'<span class="badge {e(it.get("phase"))}">{e(it.get("phase"))}</span></h2>']
    if it.get("duration_s"):
        parts.append(f'<p class="muted">took {duration(it["duration_s"])}</p>')
    if it.get("blocked"):
        parts.append(f'<p class="bad">blocked: {e(it["blocked"])}</p>')
    if index > 0:
        parts += [render_debate(it, run), render_plan(it, previous_plan), render_data(it, run),
                  render_training(it, run)]
    parts.append(render_evaluation(it, run))
    for name, text in (it.get("reports") or {}).items():
        parts.append(f"<h3>{e(name)}</h3><pre>{e(text)}</pre>")
    parts.append("</section>")
    return "".join(parts)


# -- timeline and cost ---------------------------------------------------------------------------------------------
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
    train_s = sum((it.get("training") or {}).get("duration_s") or 0.0 for it in run.iterations)
    eval_s = 0.0
    for it in run.iterations:
        for path in run.eval_reports(it.get("index", 0)):
            eval_s += float(run.eval_report(str(path)).get("duration_s") or 0.0)
    devices = sorted({"GPU" if (run.training_spec(it) or {}).get("num_gpus") else "CPU"
                      for it in run.iterations if it.get("training")})
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
def render_report(run: RunData) -> str:
    goal = run.summary.get("goal") or run.config.get("goal") or run.root.name
    status = run.status
    iterations = sorted(run.iterations, key=lambda it: it.get("index", 0))
    sections, previous_plan = [], None
    for it in iterations:
        sections.append(render_iteration(it, previous_plan, run))
        if it.get("plan"):
            previous_plan = it["plan"]
    toc = "".join(f'<a href="#iteration-{it.get("index", 0)}">iteration {it.get("index", 0)}</a>' for it in iterations)
    refresh = '<meta http-equiv="refresh" content="60">' if status == "running" else ""
    generated = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">' + refresh
        + f"<title>posttrain report — {e(clip(goal, 80))}</title><style>{CSS}</style></head><body><main>"
        + f'<h1>{e(goal)}</h1><p><span class="badge {e(status)}">{e(status)}</span> '
        + f'<span class="muted">posttrain run report · {e(run.root.name)} · generated {e(generated)}'
        + (" · rewritten after every iteration" if status == "running" else "") + "</span></p>"
        + '<nav class="toc"><a href="#overview">overview</a><a href="#scores">scores</a>' + toc
        + '<a href="#timeline">timeline</a><a href="#transcript">transcript</a></nav>'
        + render_overview(run) + render_scores(run) + "".join(sections) + render_timeline(run)
        + render_explorer(run) + f"</main><script>{JS}</script></body></html>\n"
    )
