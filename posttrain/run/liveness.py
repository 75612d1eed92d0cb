"""Which process is running a run, recorded in state.json, so a second process can tell a live run from a killed one.

A pid alone is not enough (pids are reused): the process's start time and the host name make it one process.
"""

import os
import socket


def this_process() -> dict:
    import psutil

    return {"pid": os.getpid(), "host": socket.gethostname(), "started": psutil.Process().create_time()}


def still_running(record: dict | None) -> bool | None:
    """True/False when it can be told from here; None when the record is missing or from another host."""
    import psutil

    if not record or record.get("host") != socket.gethostname():
        return None
    try:
        process = psutil.Process(int(record["pid"]))
        return abs(process.create_time() - float(record["started"])) < 1.0 and process.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied, KeyError, ValueError):
        return False
