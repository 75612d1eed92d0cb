"""One iteration's section of the report: debate, decision, plan diff, data, training curves, findings, the
ablation table when arms ran side by side, evaluation and the items that flipped."""

import json
from pathlib import Path

from posttrain.orchestrator.report import svg
from posttrain.orchestrator.report.ablation import render_ablation
from posttrain.orchestrator.report.data import TRAINING_KEYS, RunData
from posttrain.orchestrator.report.html import (
    MAX_FLIPS,
    SAMPLE_ROWS,
    ci,
    clip,
    duration,
    e,
    method_of,
    score,
    table,
)
from posttrain.run.ledger import IterationRecord, Plan


def render_plan(it: IterationRecord, previous_plan: Plan | None) -> str:
    if it.plan is None:
        return '<h3>Plan</h3><p class="muted">no plan recorded</p>'
    out = ["<h3>Plan</h3>"]
    if it.plan.rationale:
        out.append(f"<p>{e(it.plan.rationale)}</p>")
    if it.plan.technique:
        out.append(f'<p class="muted">technique {e(it.plan.technique)}'
                   + (f" ({e(it.plan.paper)})" if it.plan.paper else "") + "</p>")
    # the diff is over the plans' fields as written, so a field added to Plan later shows against its default
    plan = it.plan.model_dump()
    previous = previous_plan.model_dump() if previous_plan else None
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


def render_debate(it: IterationRecord, run: RunData) -> str:
    out = ["<h3>Debate</h3>"]
    turns = dict(it.debate)
    if not turns:  # no ledger: the debate as the transcript has it
        for entry in run.entries:
            if entry.iteration == it.index and entry.phase == "debate" and entry.type == "TextMessage":
                turns.setdefault(entry.source, entry.text)
    if not turns:
        out.append('<p class="muted">no debate in this iteration</p>')
    for speaker, text in turns.items():
        out.append(f'<div class="card turn"><span class="who">{e(speaker)}</span><div class="body">'
                   f"{e(text)}</div></div>")
    if it.decision:
        adopted = (it.plan.adopted_from if it.plan else None) or "Manager"
        out.append(f'<div class="card decision"><span class="who">Decision</span> <span class="muted">(adopted '
                   f"from {e(adopted)})</span><div>{e(it.decision)}</div></div>")
    if it.dissent:
        items = "".join(f"<li>{e(d)}</li>" for d in it.dissent)
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


def render_data(it: IterationRecord, run: RunData) -> str:
    ds = it.dataset
    if ds is None:
        search = it.data_search
        return ("<h3>Data</h3>" + (f"<pre>{e(search)}</pre>" if search else '<p class="muted">no dataset built</p>'))
    gate = ds.contamination
    facts = [
        ("rows", e(ds.n_rows)), ("format", e(ds.format)),
        ("sources", e(", ".join(ds.sources) or "—")),
        ("label accuracy", "unknown" if ds.label_accuracy is None else f"{ds.label_accuracy:.1%}"),
        ("decontamination", f"{e(gate.dropped)} rows dropped ({gate.rate:.1%}) against "
                            f"{e(', '.join(gate.checked_against) or 'nothing')}"),
    ]
    if ds.label_check:
        plain = [f"{k} {v}" for k, v in ds.label_check.model_dump(mode="json").items()
                 if not isinstance(v, (list, dict))]
        facts.append(("label check", e(", ".join(plain))))
    if ds.generation:
        facts.append(("generation", e(", ".join(f"{k} {v}" for k, v in ds.generation.items()))))
    out = ["<h3>Data</h3>", f'<dl class="facts">{"".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)}</dl>']
    if ds.transformations:
        steps = "".join(f"<li>{e(t)}</li>" for t in ds.transformations)
        out.append(f"<h4>Transformations</h4><ol>{steps}</ol>")
    if ds.counts:
        out.append("<h4>Rows after each step</h4>" + table(
            ["step", "rows"], [[e(k), e(v)] for k, v in ds.counts.items()], numeric={1}))
    local = run.local(ds.path)
    if local:
        columns, rows = sample_rows(local)
        if rows:
            out.append(f"<h4>Sample rows (first {len(rows)})</h4>" + table([e(c) for c in columns],
                                                                         [[e(c) for c in r] for r in rows]))
    return "".join(out)


def render_training(it: IterationRecord, run: RunData) -> str:
    t = it.training
    metrics = run.training_metrics(it.index)
    if not t and not metrics:
        return ""
    out = ["<h3>Training</h3>"]
    if t:
        summary = t.summary
        facts = [("method", e(t.method.upper())),
                 ("status", f'<span class="badge {e(t.status)}">{e(t.status)}</span>'),
                 ("steps", e(int(summary["steps"])) if "steps" in summary else "—"),
                 ("wall time", duration(t.duration_s)),
                 ("loss", f"{summary['first_loss']:.3g} → {summary['last_loss']:.3g}"
                  if "first_loss" in summary and "last_loss" in summary else "—"),
                 ("checkpoint", f"<code>{e(t.checkpoint)}</code>" if t.checkpoint else "none")]
        if t.error:
            facts.append(("error", f'<span class="err">{e(t.error)}</span>'))
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
    findings = t.findings if t else []
    out.append("<h4>Findings</h4>")
    if findings:
        out.append(table(["severity", "kind", "evidence", "fix"],
                         [[f'<span class="{ {"error": "bad", "warning": "warn"}.get(f.severity, "muted") }">'
                           f'{e(f.severity)}</span>', e(f.kind), e(f.evidence), e(f.fix)]
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


def render_evaluation(it: IterationRecord, run: RunData) -> str:
    index = it.index
    ev = it.evaluation if index > 0 else run.ledger.baseline
    if not ev:
        return "<h3>Evaluation</h3><p class=\"muted\">not evaluated</p>"
    report = run.eval_report(ev.report)
    facts = [("score", f"<b>{score(ev.score)}</b> (n={e(ev.n)})"), ("95% CI", ci(ev.ci95))]
    if report.get("duration_s") is not None:
        facts.append(("wall time", duration(report["duration_s"])))
    if report.get("settings", {}).get("decoding"):
        facts.append(("decoding", e(", ".join(f"{k}={v}" for k, v in report["settings"]["decoding"].items()))))
    comp = it.comparison
    if comp:
        facts.append(("paired test vs previous best",
                      f"Δ {comp.diff:+.3f} (95% CI {comp.interval()}), p={comp.p_value:.3g}, <b>{comp.verdict}</b>; "
                      f"{e(comp.only_improved)} improved, {e(comp.only_regressed)} regressed of {e(comp.n_pairs)} "
                      f'paired items <span class="muted">({e(comp.method)})</span>'))
    if it.decoding:
        facts.append(("decoding check", e(it.decoding)))
    out = ["<h3>Evaluation</h3>", f'<dl class="facts">{"".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)}</dl>']
    previous = run.best_before(index) if index > 0 else None
    if previous and report:
        prev_report = run.eval_report(previous[1].report)
        if prev_report:
            fixed, broken = flipped_items(report, prev_report)
            label = "baseline" if previous[0] == 0 else f"iteration {previous[0]}"
            out.append(render_flips(f"Wrong → right vs {label}", fixed, label))
            out.append(render_flips(f"Right → wrong vs {label}", broken, label))
    return "".join(out)


def render_iteration(it: IterationRecord, previous_plan: Plan | None, run: RunData) -> str:
    index = it.index
    title = "Iteration 0 — baseline" if index == 0 else f"Iteration {index} — {(method_of(it) or '?').upper()}"
    parts = [f'<section class="iteration" id="iteration-{index}" data-iteration="{index}"><h2>{e(title)} '
             f'<span class="badge {e(it.phase)}">{e(it.phase)}</span></h2>']
    if it.duration_s:
        parts.append(f'<p class="muted">took {duration(it.duration_s)}</p>')
    if it.blocked:
        parts.append(f'<p class="bad">blocked: {e(it.blocked)}</p>')
    if index > 0:
        parts += [render_debate(it, run), render_plan(it, previous_plan), render_data(it, run),
                  render_training(it, run), render_ablation(it)]
    parts.append(render_evaluation(it, run))
    for name, text in it.reports.items():
        parts.append(f"<h3>{e(name)}</h3><pre>{e(text)}</pre>")
    parts.append("</section>")
    return "".join(parts)


# -- timeline and cost ---------------------------------------------------------------------------------------------
