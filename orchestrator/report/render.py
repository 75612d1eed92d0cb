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
from posttrain.tools.evaluation.compare import Comparison


def render_overview(run: RunData) -> str:
    s, cfg = run.summary, run.config
    objective = s.objective or (cfg.objective if cfg else None)
    budget = (cfg.time_budget if cfg else None) or (
        duration(objective.time_budget_s) if objective and objective.time_budget_s else None)
    if objective and objective.compute_note:
        budget = f"{budget or ''} ({objective.compute_note})".strip()
    target = s.target if s.target is not None else (cfg.target if cfg else None)
    items = objective.benchmark_items if objective else None
    facts = [
        ("goal", e(s.goal or (cfg.goal if cfg else None))),
        ("benchmark", e(s.benchmark or (cfg.benchmark if cfg else None))
         + (f' <span class="muted">({items} items)</span>' if items else "")),
        ("base model", e(s.base_model or (cfg.base_model if cfg else None))),
        ("brain", e(s.brain or (cfg.brain if cfg else None))),
        ("target", score(target) if target is not None else "none"),
        ("budget", e(budget or "none")),
        ("train data", e(", ".join(s.train_data or (cfg.train_data if cfg else [])) or "chosen by the team")),
        ("run directory", f"<code>{e(run.root)}</code>"),
    ]
    if s.brain_usage:
        from posttrain.run.usage import usage_line

        facts.insert(4, ("brain usage", e(usage_line(s.brain_usage).removeprefix("brain: "))))
    for said in s.steering:
        facts.append((f"steering (iteration {said.iteration})", e(said.text)))
    if s.reason:
        facts.insert(0, ("reason", e(s.reason)))
    baseline = run.ledger.baseline or s.baseline
    best = run.best()
    best_ckpt = s.best.checkpoint if s.best else None
    kpis = [
        (score(baseline.score if baseline else None), f"baseline (95% CI {ci(baseline.ci95 if baseline else None)})"),
        (score(best[1].score) if best else "—",
         f"best, iteration {best[0]} (95% CI {ci(best[1].ci95)})" if best else "best"),
        (f"{len([it for it in run.iterations if it.index > 0])}", "iterations"),
        (duration(run.elapsed_s), "time used"),
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
    baseline = run.ledger.baseline or run.summary.baseline
    if baseline:
        points.append({"iteration": 0, "score": baseline.score, "ci95": baseline.ci95,
                       "method": "baseline", "best": best_index == 0})
    for it in run.iterations:
        if it.index > 0 and it.evaluation:
            points.append({"iteration": it.index, "score": it.evaluation.score, "ci95": it.evaluation.ci95,
                           "method": method_of(it), "best": best_index == it.index})
    if run.state is None:  # summary only: its scores
        for summed in run.summary.iterations:
            if summed.index > 0 and summed.scores:
                points.append({"iteration": summed.index, "score": summed.score, "ci95": summed.ci95,
                               "method": summed.plan.method if summed.plan else None})
    return points


def _versus(comp: Comparison | None) -> str:
    if comp is None:
        return ""
    cls = "good" if comp.significant and comp.diff > 0 else "bad" if comp.significant else "muted"
    return (f'<span class="{cls}">{comp.diff:+.3f}, p={comp.p_value:.3g}'
            f'{" significant" if comp.significant else ""}</span>')


def render_scores(run: RunData) -> str:
    points = score_points(run)
    baseline = run.ledger.baseline or run.summary.baseline
    target = run.summary.target if run.summary.target is not None else (run.config.target if run.config else None)
    chart = svg.score_chart(points, baseline.score if baseline else None, target,
                            title=f"{run.summary.benchmark or 'score'} per iteration")
    legend = ('<p class="legend muted"><span><i style="background:var(--base)"></i>baseline</span>'
              '<span><i style="background:var(--sft)"></i>SFT</span><span><i style="background:var(--rft)"></i>RFT'
              '</span><span><i style="background:var(--grpo)"></i>GRPO</span><span>bars: 95% CI · ring: best</span>'
              "</p>")
    rows = []
    for it in run.iterations:
        ev = it.evaluation if it.index > 0 else run.ledger.baseline
        label = "baseline" if it.index == 0 else (method_of(it) or "—").upper()
        rows.append([f'<a href="#iteration-{it.index}">{it.index}</a>', e(label), score(ev.score if ev else None),
                     ci(ev.ci95 if ev else None), _versus(it.comparison) or "—", e(it.phase),
                     duration(it.duration_s or None)])
    return (f'<section id="scores"><h2>Score per iteration</h2>{chart}{legend}'
            + table(["iteration", "method", "score", "95% CI", "vs previous best", "phase", "duration"], rows,
                    numeric={2}) + "</section>")


# -- one iteration -------------------------------------------------------------------------------------------------
def render_report(run: RunData) -> str:
    goal = run.summary.goal or (run.config.goal if run.config else None) or run.root.name
    status = run.status
    iterations = sorted(run.iterations, key=lambda it: it.index)
    sections, previous_plan = [], None
    for it in iterations:
        sections.append(render_iteration(it, previous_plan, run))
        if it.plan:
            previous_plan = it.plan
    toc = "".join(f'<a href="#iteration-{it.index}">iteration {it.index}</a>' for it in iterations)
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
