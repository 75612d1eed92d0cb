"""Small inline-SVG charts for the run report: no JavaScript, no library, a few kilobytes each.

Every chart scales with its container (``viewBox`` + ``width: 100%`` in CSS), takes its colours from CSS classes so
print and narrow layouts restyle it, and carries a ``<title>`` per mark so a hover shows the exact numbers.
"""

import math
from html import escape


METHOD_CLASSES = {"sft": "m-sft", "rft": "m-rft", "grpo": "m-grpo", "dpo": "m-dpo", "baseline": "m-base"}


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000 or abs(value) < 0.01:
        return f"{value:.2g}"
    return f"{value:.3g}"


def _ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    """Round tick values covering [lo, hi]."""
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks, value = [], first
    while value <= hi + step * 1e-6:
        ticks.append(round(value, 12))
        value += step
    return ticks


def downsample(points: list[tuple[float, float]], limit: int = 300) -> list[tuple[float, float]]:
    """At most `limit` points, evenly strided, first and last kept (a 2 MB report would be mostly curves)."""
    if len(points) <= limit:
        return points
    stride = len(points) / (limit - 1)
    picked = [points[int(i * stride)] for i in range(limit - 1)]
    return picked + [points[-1]]


class _Frame:
    """Maps data coordinates into a plot area with margins for the axes."""

    def __init__(self, width: int, height: int, x: tuple[float, float], y: tuple[float, float],
                 left: int = 44, right: int = 12, top: int = 14, bottom: int = 28):
        self.width, self.height = width, height
        self.left, self.right, self.top, self.bottom = left, right, top, bottom
        self.x0, self.x1 = x if x[1] > x[0] else (x[0] - 0.5, x[0] + 0.5)
        self.y0, self.y1 = y if y[1] > y[0] else (y[0] - 0.5, y[0] + 0.5)

    def px(self, x: float) -> float:
        return self.left + (x - self.x0) / (self.x1 - self.x0) * (self.width - self.left - self.right)

    def py(self, y: float) -> float:
        return self.height - self.bottom - (y - self.y0) / (self.y1 - self.y0) * (self.height - self.top - self.bottom)

    def axes(self, xticks: list[float], yticks: list[float], xlabel: str = "", xfmt=_fmt, yfmt=_fmt) -> list[str]:
        out = ['<g class="axis">']
        for y in yticks:
            py = self.py(y)
            out.append(f'<line class="grid" x1="{self.left}" x2="{self.width - self.right}" y1="{py:.1f}" '
                       f'y2="{py:.1f}"/><text x="{self.left - 4}" y="{py + 3:.1f}" text-anchor="end">{yfmt(y)}</text>')
        base = self.height - self.bottom
        for x in xticks:
            px = self.px(x)
            out.append(f'<text x="{px:.1f}" y="{base + 12}" text-anchor="middle">{escape(xfmt(x))}</text>')
        out.append(f'<line class="frame" x1="{self.left}" x2="{self.width - self.right}" y1="{base}" y2="{base}"/>')
        if xlabel:
            out.append(f'<text x="{self.width - self.right}" y="{self.height - 2}" text-anchor="end">'
                       f'{escape(xlabel)}</text>')
        out.append("</g>")
        return out


def _svg(width: int, height: int, body: list[str], label: str, cls: str) -> str:
    return (f'<svg class="chart {cls}" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
            f'xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>' + "".join(body) + "</svg>")


def score_chart(points: list[dict], baseline: float | None, target: float | None, title: str = "score") -> str:
    """Score per iteration with 95% CI bars, the baseline and target lines, the method of each point marked.

    `points`: ``{"iteration", "score", "ci95": (lo, hi) | None, "method", "best": bool}``, iteration 0 = baseline.
    """
    width, height = 640, 260
    if not points:
        return _svg(width, 60, ['<text x="10" y="30">no scores yet</text>'], title, "score-chart")
    iterations = [p["iteration"] for p in points]
    values = [p["score"] for p in points] + [v for p in points if p.get("ci95") for v in p["ci95"]]
    values += [v for v in (baseline, target) if v is not None]
    hi = max(values + [0.05])
    hi = min(1.0, hi * 1.12 + 0.02) if hi <= 1.0 else hi * 1.1
    frame = _Frame(width, height, (min(iterations) - 0.5, max(iterations) + 0.5), (0.0, hi), top=22)
    body = frame.axes([float(i) for i in sorted(set(iterations))], _ticks(0.0, hi), xlabel="iteration",
                      xfmt=lambda x: str(int(x)))
    for value, name, cls in ((baseline, "baseline", "baseline-line"), (target, "target", "target-line")):
        if value is None:
            continue
        py = frame.py(value)
        body.append(f'<g class="{cls}"><line x1="{frame.left}" x2="{width - frame.right}" y1="{py:.1f}" '
                    f'y2="{py:.1f}"/><text x="{width - frame.right - 2}" y="{py - 3:.1f}" text-anchor="end">'
                    f'{name} {value:.3f}</text><title>{name} {value:.3f}</title></g>')
    path = " ".join(f"{'M' if i == 0 else 'L'}{frame.px(p['iteration']):.1f},{frame.py(p['score']):.1f}"
                    for i, p in enumerate(points))
    body.append(f'<path class="score-line" d="{path}"/>')
    for p in points:
        x, y = frame.px(p["iteration"]), frame.py(p["score"])
        method = p.get("method") or ("baseline" if p["iteration"] == 0 else "")
        tip = f"iteration {p['iteration']} ({method or '?'}): {p['score']:.3f}"
        mark = [f'<g class="point {METHOD_CLASSES.get(method, "m-other")}{" best" if p.get("best") else ""}" '
                f'data-iteration="{p["iteration"]}">']
        if p.get("ci95"):
            lo, hi_ = frame.py(p["ci95"][0]), frame.py(p["ci95"][1])
            tip += f" (95% CI {p['ci95'][0]:.3f}–{p['ci95'][1]:.3f})"
            mark.append(f'<line class="ci" x1="{x:.1f}" x2="{x:.1f}" y1="{lo:.1f}" y2="{hi_:.1f}"/>'
                        f'<line class="ci" x1="{x - 4:.1f}" x2="{x + 4:.1f}" y1="{lo:.1f}" y2="{lo:.1f}"/>'
                        f'<line class="ci" x1="{x - 4:.1f}" x2="{x + 4:.1f}" y1="{hi_:.1f}" y2="{hi_:.1f}"/>')
        mark.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{5 if p.get("best") else 4}"/>')
        label = (method or "?").upper() if method != "baseline" else "base"
        mark.append(f'<text class="method" x="{x:.1f}" y="{frame.top - 8}" text-anchor="middle">'
                    f"{escape(label)}</text>")
        mark.append(f"<title>{escape(tip)}</title></g>")
        body.append("".join(mark))
    return _svg(width, height, body, title, "score-chart")


def line_chart(series: list[tuple[float, float]], title: str, xlabel: str = "step") -> str:
    """One metric over training steps (a small multiple)."""
    width, height = 320, 170
    points = downsample([(x, y) for x, y in series if y is not None and math.isfinite(y)])
    if not points:
        return ""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    lo, hi = min(ys), max(ys)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 1.0
    lo, hi = (lo - pad if lo - pad < 0 <= lo and lo > 0 else lo - pad), hi + pad
    if min(ys) >= 0 and lo < 0:
        lo = 0.0
    frame = _Frame(width, height, (min(xs), max(xs)), (lo, hi), left=46, top=20)
    body = frame.axes(_ticks(min(xs), max(xs), 3), _ticks(lo, hi, 3), xlabel=xlabel)
    body.append(f'<text class="chart-title" x="{frame.left}" y="12">{escape(title)}</text>')
    path = " ".join(f"{'M' if i == 0 else 'L'}{frame.px(x):.1f},{frame.py(y):.1f}" for i, (x, y) in enumerate(points))
    body.append(f'<path class="series" d="{path}"><title>{escape(title)}: first {_fmt(ys[0])}, last '
                f'{_fmt(ys[-1])}, min {_fmt(min(ys))}, max {_fmt(max(ys))} over {len(series)} points</title></path>')
    if len(points) == 1:
        body.append(f'<circle class="series-dot" cx="{frame.px(xs[0]):.1f}" cy="{frame.py(ys[0]):.1f}" r="3"/>')
    return _svg(width, height, body, title, "line-chart")


def timeline_chart(rows: list[dict], total_s: float) -> str:
    """A Gantt of phases and tool calls: ``{"label", "start", "end", "kind": phase|tool, "tip"}`` (seconds)."""
    row_h, left, width = 18, 200, 760
    height = 24 + row_h * len(rows)
    if not rows or total_s <= 0:
        return _svg(width, 40, ['<text x="10" y="24">no timed events</text>'], "timeline", "timeline-chart")
    frame = _Frame(width, height, (0.0, total_s), (0.0, 1.0), left=left, top=4, bottom=20)
    body = frame.axes(_ticks(0.0, total_s, 5), [], xlabel="seconds since start")
    for i, row in enumerate(rows):
        y = 4 + i * row_h
        x0, x1 = frame.px(row["start"]), frame.px(max(row["end"], row["start"]))
        body.append(f'<g class="span {row.get("kind", "phase")}"><text x="{left - 6}" y="{y + 12}" '
                    f'text-anchor="end">{escape(row["label"][:34])}</text><rect x="{x0:.1f}" y="{y + 2}" '
                    f'width="{max(x1 - x0, 1.5):.1f}" height="{row_h - 5}" rx="2"/>'
                    f'<title>{escape(row.get("tip") or row["label"])}</title></g>')
    return _svg(width, height, body, "timeline of phases and tool calls", "timeline-chart")
