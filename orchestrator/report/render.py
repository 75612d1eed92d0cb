"""The run report as one self-contained HTML page: inline CSS, inline SVG charts, a few lines of plain JS.

Sections: the objective and result; score per iteration; per iteration the debate, decision, plan diff, data,
training curves, findings, evaluation and flipped items; the timeline and cost; the transcript explorer.
"""

import time

from posttrain.orchestrator.report import svg
from posttrain.orchestrator.report.assets import CSS, JS
from posttrain.orchestrator.report.data import RunData
from posttrain.orchestrator.report.html import (
    ci,
    clip,
    duration,
    e,
    method_of,
    score,
    table,
)
from posttrain.orchestrator.report.iteration import flipped_items, render_iteration  # noqa: F401 - re-exported
from posttrain.orchestrator.report.timeline import render_explorer, render_timeline


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
    if s.get("brain_usage"):
        from posttrain.run.usage import usage_line

        facts.insert(4, ("brain usage", e(usage_line(s["brain_usage"]).removeprefix("brain: "))))
    for said in s.get("steering") or []:
        facts.append((f"steering (iteration {said['iteration']})", e(said["text"])))
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
