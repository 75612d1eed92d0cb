"""How much time is left, from the task's timer: `bash timer.sh` (prints "HH:MM:SS", "H:MM", plain seconds or
"1h 30m"), a remaining-seconds file (PostTrainBench's ~/.timer/remaining_secs), or the task's hours.

A `Watchdog` stops the run (as Ctrl-C does: state saved, final_model kept) when the hard deadline comes while
training is still going, so packaging and the audit always get their reserve.
"""

import os
import re
import signal
import subprocess
import threading
from pathlib import Path

from posttrain.tools.errors import ConfigError


REMAINING_FILES = ("~/.timer/remaining_secs", "/home/agent/.timer/remaining_secs")
_UNITS = {"d": 86400, "day": 86400, "days": 86400, "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
          "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60, "s": 1, "sec": 1, "secs": 1, "second": 1,
          "seconds": 1}


def parse_remaining(text: str) -> float:
    """Seconds from a timer's output. "01:30:00" is H:M:S; "1:30" is hours:minutes (PostTrainBench's timer prints
    "Remaining time (hours:minutes)"); "5400" is seconds; "1h 30m" adds up; "expired" is 0."""
    lowered = text.strip().lower()
    if not lowered:
        raise ConfigError("the timer printed nothing; fix: make it print the remaining time (HH:MM:SS or seconds)")
    if re.search(r"expired|time'?s up|no time left", lowered):
        return 0.0
    if match := re.search(r"(-?\d+):(\d{1,2}):(\d{1,2}(?:\.\d+)?)", lowered):
        h, m, s = match.groups()
        return max(0.0, int(h) * 3600 + int(m) * 60 + float(s))
    if match := re.search(r"(-?\d+):(\d{1,2})\b", lowered):
        seconds_first = "minutes:seconds" in lowered or "mm:ss" in lowered
        a, b = int(match.group(1)), int(match.group(2))
        return max(0.0, a * 60 + b if seconds_first else a * 3600 + b * 60)
    units = re.findall(r"(\d+(?:\.\d+)?)\s*(days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b", lowered)
    if units:
        return sum(float(n) * _UNITS[u] for n, u in units)
    if match := re.search(r"-?\d+(?:\.\d+)?", lowered):
        return max(0.0, float(match.group(0)))
    raise ConfigError(f"cannot read the remaining time from {text.strip()[:80]!r}; fix: the timer should print "
                      "HH:MM:SS or a number of seconds")


def read_remaining(timer: str | None = None, remaining_file: str | None = None, hours: float | None = None,
                   default_files: bool = True) -> tuple[float, str]:
    """(seconds left, where that came from): the timer script, else a remaining-seconds file, else the hours."""
    if timer:
        path = Path(timer).expanduser()
        if not path.is_file():
            raise ConfigError(f"timer script {timer} does not exist; fix: pass --timer PATH/timer.sh")
        try:
            done = subprocess.run(["bash", str(path)], capture_output=True, text=True, timeout=30)
        except subprocess.TimeoutExpired as exc:
            raise ConfigError(f"timer script {timer} did not answer in 30 s; fix: make it print and exit") from exc
        return parse_remaining(done.stdout or done.stderr), f"`bash {timer}`"
    files = [remaining_file] if remaining_file else (list(REMAINING_FILES) if default_files else [])
    for name in files:
        path = Path(name).expanduser()
        if path.is_file():
            return parse_remaining(path.read_text()), str(path)
        if remaining_file:
            raise ConfigError(f"remaining-seconds file {remaining_file} does not exist; fix: check --remaining-file")
    if hours:
        return hours * 3600.0, f"the task's {hours:g} hours"
    raise ConfigError("no way to know the time left: pass --timer timer.sh, --remaining-file FILE, or a task text "
                      "that states its hours")


class Watchdog:
    """Sends this process SIGINT at `deadline` (time.monotonic()) while armed: the run stops as on Ctrl-C."""

    def __init__(self, deadline: float):
        import time

        self.deadline = deadline
        self.fired = False
        self._armed = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> "Watchdog":
        self._armed = True
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        with self._lock:
            self._armed = False
        self._timer.cancel()

    def _fire(self) -> None:
        with self._lock:
            if self._armed:
                self.fired = True
                os.kill(os.getpid(), signal.SIGINT)
