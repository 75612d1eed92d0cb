"""Run untrusted generated code in a separate process: timeout, memory limit, no network. Never in our process.

Each program runs as ``python -I`` in a fresh temporary directory with an empty environment. Limits:

* time: wall-clock timeout, then the whole process group is killed (plus an RLIMIT_CPU backstop);
* memory: RLIMIT_AS (address space) and RLIMIT_FSIZE (files written);
* network: the child first moves itself into new user + network namespaces (``unshare``), where only a downed
  loopback exists, so no connection can leave; on kernels that refuse namespaces it falls back to replacing the
  socket constructors, and the result says which protection was active.

    >>> run_program("print(1+1)").passed
    True
"""

import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

from pydantic import BaseModel, Field

from posttrain.tools.evaluation.benchmark import Item, Scored


# Runs inside the child before the untrusted code (hard limits: the code cannot raise them again).
# unshare needs a single-threaded process, which a fresh interpreter is.
_PRELUDE = r'''
import resource as _r
_r.setrlimit(_r.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
_r.setrlimit(_r.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 1))
_r.setrlimit(_r.RLIMIT_FSIZE, (16 * 2**20, 16 * 2**20))
_r.setrlimit(_r.RLIMIT_CORE, (0, 0))
import ctypes as _c, socket as _s, sys as _sys
try:
    _isolated = _c.CDLL(None, use_errno=True).unshare(0x10000000 | 0x40000000) == 0  # CLONE_NEWUSER|CLONE_NEWNET
except Exception:
    _isolated = False
_sys.stderr.write("posttrain-sandbox-network: " + ("namespace" if _isolated else "guard") + "\n")
class _Refused(_s.socket):
    def __init__(self, *a, **k):
        raise PermissionError("network access is disabled in the evaluation sandbox")
def _refuse(*a, **k):
    raise PermissionError("network access is disabled in the evaluation sandbox")
_s.socket = _Refused
_s.create_connection = _s.getaddrinfo = _s.socketpair = _s.fromfd = _refuse
del _c, _r, _s, _Refused, _refuse, _isolated
'''


class ExecResult(BaseModel):
    """Outcome of one sandboxed program."""

    passed: bool = Field(description="True when the program exited with status 0 within the time limit.")
    status: Literal["passed", "failed", "timeout"] = Field(description="passed, failed (error/assert), timeout.")
    returncode: int | None = Field(description="Exit status; None when it was killed for the timeout.")
    error: str = Field("", description="Last lines of stderr (traceback), at most 1000 characters.")
    network: str = Field("", description="'namespace' (kernel isolation) or 'guard' (socket calls replaced).")
    duration_s: float = Field(0.0, description="Wall time of the child process.")


def run_program(code: str, *, timeout_s: float = 10.0, memory_mb: int = 1024) -> ExecResult:
    """Execute Python ``code`` in a sandboxed child process and report whether it exited cleanly in time."""
    import signal
    import time

    with tempfile.TemporaryDirectory(prefix="posttrain-exec-") as workdir:
        path = os.path.join(workdir, "program.py")
        with open(path, "w", encoding="utf-8") as handle:
            prelude = _PRELUDE.replace("MEMORY_BYTES", str(memory_mb * 2**20))
            handle.write(prelude.replace("CPU_SECONDS", str(int(timeout_s) + 2)) + "\n" + code + "\n")
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-I", "-B", path],
            cwd=workdir,
            env={"PATH": "/usr/bin:/bin", "HOME": workdir, "PYTHONHASHSEED": "0"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, so a timeout kills anything it forked too
        )
        try:
            _, stderr = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return ExecResult(
                passed=False, status="timeout", returncode=None, error=f"killed after {timeout_s:g} s",
                duration_s=time.perf_counter() - started,
            )
    text = stderr.decode("utf-8", "replace")
    network = "namespace" if "posttrain-sandbox-network: namespace" in text else "guard"
    text = "\n".join(line for line in text.splitlines() if not line.startswith("posttrain-sandbox-network:"))
    return ExecResult(
        passed=process.returncode == 0,
        status="passed" if process.returncode == 0 else "failed",
        returncode=process.returncode,
        error=text[-1000:],
        network=network,
        duration_s=time.perf_counter() - started,
    )


def run_programs(
    codes: list[str], *, timeout_s: float = 10.0, memory_mb: int = 1024, workers: int = 4
) -> list[ExecResult]:
    """Run several programs in parallel sandboxes; results keep the input order."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(lambda code: run_program(code, timeout_s=timeout_s, memory_mb=memory_mb), codes))


def extract_code(completion: str) -> str:
    """The code in a completion: the first fenced ```python block when there is one, else the text as is."""
    import re

    fenced = re.search(r"```(?:python|py)?\s*\n(.*?)(?:```|$)", completion, re.DOTALL)
    return fenced.group(1) if fenced else completion


def build_humaneval_program(completion: str, item: Item) -> str:
    """Prompt + completion + the item's tests + ``check(entry_point)``; a completion that redefines the whole
    function (typical of chat models) replaces the prompt's body but keeps the prompt's imports."""
    code = extract_code(completion)
    entry_point = item.meta["entry_point"]
    if f"def {entry_point}(" in code:
        imports = "\n".join(
            line for line in item.prompt.splitlines() if line.startswith(("import ", "from "))
        )
        program = imports + "\n" + code
    else:
        program = item.prompt + code
    return f"{program}\n\n{item.meta['test']}\n\ncheck({entry_point})\n"


def score_code(completion: str, item: Item) -> Scored:
    """pass@1 for one completion: run it with the item's tests in the sandbox; correct when all tests pass."""
    result = run_program(
        build_humaneval_program(completion, item),
        timeout_s=float(item.meta.get("timeout_s", 10.0)),
        memory_mb=int(item.meta.get("memory_mb", 1024)),
    )
    return Scored(extracted=result.status, correct=result.passed)
