"""An iteration's ablation: the arms that trained side by side (a Gantt of their runs shows the overlap) and the
table — arm, change vs the control, run, score, 95% CI, paired difference vs the control and its p-value."""

from posttrain.orchestrator.report import svg
from posttrain.orchestrator.report.html import ci, duration, e, score, table
from posttrain.run.ledger import Arm, IterationRecord, Plan


def _change(arm: Arm, control_plan: Plan | None) -> str:
    if not arm.changes:
        return '<span class="muted">— (the decision)</span>'
    before = control_plan.model_dump() if control_plan else {}

    def shown(value) -> str:
        return e(f"{value:g}" if isinstance(value, float) else value)

    return ", ".join(f"<code>{e(k)}</code> " + (f'<span class="removed">{shown(before[k])}</span> → ' if k in before
                                                else "") + f'<span class="added">{shown(v)}</span>'
                     for k, v in arm.changes.items())


def _versus(arm: Arm) -> tuple[str, str]:
    c = arm.comparison
    if not c:
        return '<span class="muted">—</span>', '<span class="muted">—</span>'
    return e(f"{c.diff:+.3f} ({c.interval()})"), f"{c.p_value:.3g} <span class=\"muted\">{c.verdict}</span>"


def render_ablation(it: IterationRecord) -> str:
    ablation = it.ablation
    if not ablation or not ablation.arms:
        return ""
    arms, winner = ablation.arms, ablation.winner
    control_plan = ablation.control.plan
    out = [f'<h3>Ablation: {len(arms)} arms side by side</h3><p class="muted">concurrent Ray tasks, '
           f"{e(ablation.resources)}; each its own Trackio run; scored on the same items and paired with the "
           "control (McNemar exact p, paired-bootstrap CI)</p>"]
    timed = [a for a in arms if a.started_at and a.finished_at]
    if len(timed) > 1:
        t0 = min(a.started_at for a in timed)
        rows = [{"label": a.name, "start": a.started_at - t0, "end": a.finished_at - t0, "kind": "tool",
                 "tip": f"{a.name}: {duration(a.finished_at - a.started_at)}"} for a in timed]
        overlap = min(a.finished_at for a in timed) - max(a.started_at for a in timed)
        out.append(f'<p>the runs overlapped for <b>{duration(max(0.0, overlap))}</b></p>'
                   + svg.timeline_chart(rows, max(r["end"] for r in rows)))
    body = []
    for arm in arms:
        t, ev = arm.training, arm.evaluation
        won = arm.name == winner
        name = f"<b>{e(arm.name)}</b> <span class=\"badge succeeded\">winner</span>" if won else e(arm.name)
        status = (f'<span class="badge {e(t.status)}">{e(t.status)}</span>' if t
                  else '<span class="muted">not run</span>')
        steps = t.summary.get("steps") if t else None
        diff, p = _versus(arm)
        arm_score = score(ev.score if ev else None)
        body.append([name, e(arm.proposed_by), _change(arm, control_plan), status,
                     e(int(steps)) if steps is not None else "—",
                     duration(t.duration_s) if t else "—", e(t.run_name) if t else "—",
                     f"<b>{arm_score}</b>" if won else arm_score, ci(ev.ci95 if ev else None), diff, p])
    out.append(table(["arm", "proposed by", "change vs control", "training", "steps", "wall", "Trackio run", "score",
                      "95% CI", "Δ vs control (95% CI)", "p"], body, numeric={4, 7}, cls="ablation"))
    if winner:
        out.append(f"<p>this iteration's checkpoint is arm <b>{e(winner)}</b>'s; its settings go forward.</p>")
    return "".join(out)
