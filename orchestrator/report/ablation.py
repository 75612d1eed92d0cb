"""An iteration's ablation: the arms that trained side by side (a Gantt of their runs shows the overlap) and the
table — arm, change vs the control, run, score, 95% CI, paired difference vs the control and its p-value."""

from posttrain.orchestrator.report import svg
from posttrain.orchestrator.report.html import ci, duration, e, score, table


def _change(arm: dict, control_plan: dict | None) -> str:
    changes = arm.get("changes") or {}
    if not changes:
        return '<span class="muted">— (the decision)</span>'
    before = control_plan or {}

    def shown(value) -> str:
        return e(f"{value:g}" if isinstance(value, float) else value)

    return ", ".join(f"<code>{e(k)}</code> " + (f'<span class="removed">{shown(before[k])}</span> → ' if k in before
                                                else "") + f'<span class="added">{shown(v)}</span>'
                     for k, v in changes.items())


def _versus(arm: dict) -> tuple[str, str]:
    c = arm.get("comparison")
    if not c:
        return '<span class="muted">—</span>', '<span class="muted">—</span>'
    verdict = "significant" if c.get("significant") else "not significant"
    diff = f"{c['diff']:+.3f} ({c['ci95'][0]:+.3f}…{c['ci95'][1]:+.3f})"
    return e(diff), f"{c['p_value']:.3g} <span class=\"muted\">{verdict}</span>"


def render_ablation(it: dict) -> str:
    ablation = it.get("ablation")
    if not ablation or not ablation.get("arms"):
        return ""
    arms, winner = ablation["arms"], ablation.get("winner")
    control_plan = arms[0].get("plan")
    out = [f'<h3>Ablation: {len(arms)} arms side by side</h3><p class="muted">concurrent Ray tasks, '
           f"{e(ablation.get('resources'))}; each its own Trackio run; scored on the same items and paired with the "
           "control (McNemar exact p, paired-bootstrap CI)</p>"]
    timed = [a for a in arms if a.get("started_at") and a.get("finished_at")]
    if len(timed) > 1:
        t0 = min(a["started_at"] for a in timed)
        rows = [{"label": a["name"], "start": a["started_at"] - t0, "end": a["finished_at"] - t0, "kind": "tool",
                 "tip": f"{a['name']}: {duration(a['finished_at'] - a['started_at'])}"} for a in timed]
        overlap = min(a["finished_at"] for a in timed) - max(a["started_at"] for a in timed)
        out.append(f'<p>the runs overlapped for <b>{duration(max(0.0, overlap))}</b></p>'
                   + svg.timeline_chart(rows, max(r["end"] for r in rows)))
    body = []
    for arm in arms:
        t, ev = arm.get("training") or {}, arm.get("evaluation") or {}
        won = arm["name"] == winner
        name = f"<b>{e(arm['name'])}</b> <span class=\"badge succeeded\">winner</span>" if won else e(arm["name"])
        status = (f'<span class="badge {e(t.get("status"))}">{e(t.get("status"))}</span>' if t
                  else '<span class="muted">not run</span>')
        steps = (t.get("summary") or {}).get("steps")
        diff, p = _versus(arm)
        body.append([name, e(arm.get("proposed_by")), _change(arm, control_plan), status,
                     e(int(steps)) if steps is not None else "—",
                     duration(t.get("duration_s")) if t else "—", e(t.get("run_name")) if t else "—",
                     f"<b>{score(ev.get('score'))}</b>" if won else score(ev.get("score")), ci(ev.get("ci95")),
                     diff, p])
    out.append(table(["arm", "proposed by", "change vs control", "training", "steps", "wall", "Trackio run", "score",
                      "95% CI", "Δ vs control (95% CI)", "p"], body, numeric={4, 7}, cls="ablation"))
    if winner:
        out.append(f"<p>this iteration's checkpoint is arm <b>{e(winner)}</b>'s; its settings go forward.</p>")
    return "".join(out)
