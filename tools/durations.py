"""Durations as people read them, in one place: every screen, file and message that shows a span of time formats it
here, so the same span reads the same way on the console, in `status`, the report, the Markdown export and the
agents' messages.

    >>> clock(7389), spoken(7389), budget(5400), minutes(750)
    ('2:03:09', '2 h 03 min', '1.5h', '12.5 min')
"""


def clock(seconds: float) -> str:
    """A live clock, as progress bars show elapsed time and ETAs: `0:07`, `16:40`, `2:03:09`."""
    seconds = int(round(max(0.0, seconds)))
    hours, rest = divmod(seconds, 3600)
    mins, secs = divmod(rest, 60)
    return f"{hours}:{mins:02d}:{secs:02d}" if hours else f"{mins}:{secs:02d}"


def spoken(seconds: float | None) -> str:
    """A measured span with its units, as the report tables show it: `4.2 s`, `2 min 03 s`, `1 h 05 min`; `—` for
    None (not measured)."""
    if seconds is None:
        return "—"
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    mins, secs = divmod(int(round(seconds)), 60)
    if mins < 60:
        return f"{mins} min {secs:02d} s"
    hours, mins = divmod(mins, 60)
    return f"{hours} h {mins:02d} min"


def budget(seconds: float) -> str:
    """A budget as the user would have written it: 7200 → `2h`, 5400 → `1.5h`, 1800 → `30 min`, 45 → `45 s`."""
    if seconds >= 3600:
        return f"{seconds / 3600:g}h"
    if seconds >= 60:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def minutes(seconds: float) -> str:
    """Time left or needed, to a tenth of a minute, in plans and notices: `12.5 min`."""
    return f"{seconds / 60:.1f} min"
