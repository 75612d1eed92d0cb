"""Small HTML helpers the report's sections share: escaping, numbers, clipped cells, tables."""

from html import escape

from posttrain.run.ledger import IterationRecord
from posttrain.tools.durations import spoken as duration  # noqa: F401 - the report's sections import it from here


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


def method_of(it: IterationRecord) -> str | None:
    if it.plan:
        return it.plan.method
    return it.training.method if it.training else None


# -- overview ------------------------------------------------------------------------------------------------------
