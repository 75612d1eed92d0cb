"""Tool calls and results as a person reads them: arguments and results as key/value tables, lists of records as
tables, the `summary` field first — instead of the raw, escaped JSON the transcript stores."""

import json
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text


CELL_CHARS = 300
RECORD_CELL_CHARS = 48
RECORD_COLUMNS = 6
RECORD_ROWS = 10


def tool_call_view(source: str, call: dict) -> RenderableType:
    """`→ Trainer calls launch_training` and its arguments, one per row."""
    head = Text.assemble("→ ", (source, "bold"), " calls ", (str(call.get("name")), "bold cyan"))
    arguments = parse_json_text(call.get("arguments"))
    if isinstance(arguments, dict) and not arguments:
        head.append("()", style="dim")
        return head
    return Group(head, Padding(_value_view(arguments), (0, 0, 0, 4)))


def tool_result_view(result: dict) -> RenderableType:
    """`← launch_training` (or `✗ … failed`) and what it returned."""
    name = str(result.get("name"))
    if result.get("is_error"):
        head = Text.assemble(("✗ ", "red"), (name, "bold red"), (" failed", "red"))
    else:
        head = Text.assemble("← ", (name, "bold cyan"))
    return Group(head, Padding(_value_view(parse_json_text(result.get("content"))), (0, 0, 0, 4)))


def parse_json_text(value: Any) -> Any:
    """A tool's arguments or result as data when it is JSON text, else as given."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _value_view(value: Any) -> RenderableType:
    if isinstance(value, dict):
        return _mapping_view(value)
    if _is_records(value):
        return _records_view(value)
    return Text(_cell(value, 4000))


def _mapping_view(data: dict) -> RenderableType:
    parts: list[RenderableType] = []
    rest = dict(data)
    summary = rest.pop("summary", None)
    if isinstance(summary, str) and summary:
        parts.append(Text(summary))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    records = []
    for key, value in rest.items():
        if _is_records(value):
            records.append((key, value))
        elif isinstance(value, dict) and value and all(not isinstance(v, dict | list) for v in value.values()):
            for sub, item in value.items():  # one level of nesting reads fine flattened: comparison.p_value
                grid.add_row(f"{key}.{sub}", _cell(item, CELL_CHARS))
        else:
            grid.add_row(str(key), _cell(value, CELL_CHARS))
    if grid.row_count:
        parts.append(grid)
    for key, value in records:
        parts.append(Text(f"{key} ({len(value)})", style="dim"))
        parts.append(_records_view(value))
    return Group(*parts)


def _records_view(records: list[dict]) -> Table:
    columns: list[str] = []
    for record in records:
        columns += [key for key in record if key not in columns]
    shown = columns[:RECORD_COLUMNS]
    table = Table(*shown, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="dim", expand=False)
    for column in table.columns:
        column.overflow = "fold"
    for record in records[:RECORD_ROWS]:
        table.add_row(*(_cell(record.get(key), RECORD_CELL_CHARS) for key in shown))
    hidden = [f"{len(records) - RECORD_ROWS} more rows" if len(records) > RECORD_ROWS else "",
              f"columns not shown: {', '.join(columns[RECORD_COLUMNS:])}" if len(columns) > RECORD_COLUMNS else ""]
    caption = "; ".join(h for h in hidden if h)
    if caption:
        table.caption, table.caption_justify = caption, "left"
    return table


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value)


def _cell(value: Any, limit: int) -> str:
    if value is None:
        text = "—"
    elif isinstance(value, float):
        text = f"{value:.4g}"
    elif isinstance(value, str):
        text = value
    elif isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
        text = ", ".join(_cell(item, limit) for item in value) or "—"
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"
