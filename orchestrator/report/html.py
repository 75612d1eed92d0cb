"""Small HTML helpers the report's sections share: escaping, numbers, clipped cells, tables."""

from html import escape


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
