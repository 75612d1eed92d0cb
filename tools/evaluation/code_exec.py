"""Run untrusted generated code in an isolated child process: its own file system, no network, bounded time,
memory and process count. Never in our process, and never unprotected unless the user opts in.

Each program runs under bubblewrap (``bwrap``, the OS package) as ``python -I -S``:

* file system: a private root with /usr, the Python installation and the program read-only, a fresh /tmp as the only
  writable place (size-capped); the home folder, caches (~/.cache/huggingface/token), /etc and the run are not there;
* network: its own network namespace (only a private loopback), so no connection leaves;
* processes: its own PID namespace (everything it started dies with it), RLIMIT_NPROC (a fork bomb stops at
  ``max_processes``), and as root the program first drops to uid 65534;
* time and memory: wall-clock timeout (then the sandbox is killed), RLIMIT_CPU, RLIMIT_AS, RLIMIT_FSIZE.

Where bubblewrap or user namespaces are unavailable, code benchmarks refuse with a line saying how to enable them;
``POSTTRAIN_UNSAFE_CODE_EXECUTION=1`` (``posttrain eval --unsafe-code-execution``) runs them with the rlimits only.

    >>> run_program("print(1+1)").passed
    True
"""

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from posttrain.tools.errors import ConfigError
from posttrain.tools.evaluation.benchmark import Item, Scored


UNSAFE_ENV = "POSTTRAIN_UNSAFE_CODE_EXECUTION"
NOBODY = 65534
ENABLE_HINT = ("install bubblewrap (apt-get install bubblewrap / dnf install bubblewrap) and allow user namespaces "
               "(sysctl kernel.unprivileged_userns_clone=1, kernel.apparmor_restrict_unprivileged_userns=0), or "
               f"accept the risk with {UNSAFE_ENV}=1 (posttrain eval --unsafe-code-execution)")

# Runs inside the child before the untrusted code (hard limits: the code cannot raise them again). As root it first
# drops to an unprivileged uid (root is exempt from RLIMIT_NPROC), then enters its own user namespace so the process
# count is its own, not shared with other sandboxes.
_PRELUDE = r'''
import os as _os, resource as _r, ctypes as _c, socket as _s, sys as _sys
if _os.getuid() == 0:
    _os.setgroups([]); _os.setresgid(NOBODY, NOBODY, NOBODY); _os.setresuid(NOBODY, NOBODY, NOBODY)
try:
    _isolated = _c.CDLL(None, use_errno=True).unshare(0x10000000 | 0x40000000) == 0  # CLONE_NEWUSER|CLONE_NEWNET
except Exception:
    _isolated = False
_r.setrlimit(_r.RLIMIT_NPROC, (MAX_PROCESSES, MAX_PROCESSES))
_r.setrlimit(_r.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
_r.setrlimit(_r.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 1))
_r.setrlimit(_r.RLIMIT_FSIZE, (16 * 2**20, 16 * 2**20))
_r.setrlimit(_r.RLIMIT_CORE, (0, 0))
_sys.stderr.write("posttrain-sandbox-network: " + ("namespace" if _isolated else "guard") + "\n")
_sys.stderr.flush()
class _Refused(_s.socket):
    def __init__(self, *a, **k):
        raise PermissionError("network access is disabled in the evaluation sandbox")
def _refuse(*a, **k):
    raise PermissionError("network access is disabled in the evaluation sandbox")
_s.socket = _Refused
_s.create_connection = _s.getaddrinfo = _s.socketpair = _s.fromfd = _refuse
del _os, _c, _r, _s, _Refused, _refuse, _isolated
'''


class ExecResult(BaseModel):
    """Outcome of one sandboxed program."""

    passed: bool = Field(description="True when the program exited with status 0 within the time limit.")
    status: Literal["passed", "failed", "timeout"] = Field(description="passed, failed (error/assert), timeout.")
    returncode: int | None = Field(description="Exit status; None when it was killed for the timeout.")
    error: str = Field("", description="Last lines of stderr (traceback), at most 1000 characters.")
    network: str = Field("", description="'namespace' (kernel isolation) or 'guard' (socket calls replaced).")
    sandbox: str = Field("bwrap", description="'bwrap' (isolated) or 'unsafe' (rlimits only, the user opted in).")
    duration_s: float = Field(0.0, description="Wall time of the child process.")


def unsafe_opted_in() -> bool:
    return os.environ.get(UNSAFE_ENV, "").strip().lower() in ("1", "true", "yes")


def _python() -> tuple[str, list[str]]:
    """The real interpreter (not a venv link) and the folders it needs, bound read-only into the sandbox."""
    executable = os.path.realpath(sys.executable)
    needed = {os.path.realpath(sys.base_prefix), os.path.dirname(executable)}
    return executable, sorted(p for p in needed if not p.startswith("/usr/"))


def _bwrap_argv(workdir: str, *, tmp_mb: int) -> list[str]:
    argv = [shutil.which("bwrap") or "bwrap", "--die-with-parent", "--new-session", "--unshare-ipc", "--unshare-pid",
            "--unshare-net", "--unshare-uts", "--unshare-cgroup-try", "--clearenv"]
    if os.geteuid() != 0:
        argv.append("--unshare-user")  # root runs bwrap privileged and the prelude drops to an unprivileged uid
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    executable, prefixes = _python()
    for prefix in prefixes:  # its parents are made traversable (e.g. /root), holding nothing but the way down
        parents = [str(p) for p in reversed(Path(prefix).parents) if str(p) != "/"]
        argv += [arg for parent in parents for arg in ("--perms", "0755", "--dir", parent)]
        argv += ["--ro-bind", prefix, prefix]
    home = os.path.realpath(Path.home())
    if any(home.startswith(prefix + "/") for prefix in prefixes):  # a Python living above the home folder
        argv += ["--tmpfs", home]
    argv += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(tmp_mb * 2**20), "--tmpfs", "/tmp",
             "--ro-bind", os.path.join(workdir, "program.py"), "/sandbox/program.py", "--chdir", "/tmp",
             "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp", "--setenv", "PYTHONHASHSEED", "0",
             "--remount-ro", "/", "--", executable, "-I", "-S", "-B", "/sandbox/program.py"]
    return argv


@functools.cache
def sandbox_problem() -> str | None:
    """None when the bubblewrap sandbox works here, else why not (probed once per process)."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    probe = "import os, json\nassert os.getuid() != 0 and not os.path.exists('/etc/passwd')"
    result = run_program(probe, timeout_s=20.0, _probe=True)
    if not result.passed:
        return "the bubblewrap sandbox does not start here: " + (result.error.strip().splitlines() or ["?"])[-1]
    return None


def ensure_sandbox() -> str:
    """'bwrap' when untrusted code can run isolated, 'unsafe' when the user opted out of isolation; otherwise a
    one-line ConfigError saying how to enable it. Call it before generating anything for a code benchmark."""
    problem = sandbox_problem()
    if problem is None:
        return "bwrap"
    if unsafe_opted_in():
        return "unsafe"
    raise ConfigError(f"code benchmarks run generated code only in a sandbox, and {problem}; fix: {ENABLE_HINT}")


def run_program(code: str, *, timeout_s: float = 10.0, memory_mb: int = 1024, max_processes: int = 32,
                _probe: bool = False) -> ExecResult:
    """Execute Python ``code`` in the sandbox and report whether it exited cleanly in time."""
    import signal
    import time

    mode = "bwrap" if _probe else ensure_sandbox()
    with tempfile.TemporaryDirectory(prefix="posttrain-exec-") as workdir:
        path = os.path.join(workdir, "program.py")
        prelude = _PRELUDE.replace("MEMORY_BYTES", str(memory_mb * 2**20)).replace("NOBODY", str(NOBODY))
        prelude = prelude.replace("MAX_PROCESSES", str(max_processes)).replace("CPU_SECONDS", str(int(timeout_s) + 2))
        Path(path).write_text(prelude + "\n" + code + "\n", encoding="utf-8")
        os.chmod(workdir, 0o755)  # the program drops to an unprivileged uid, which still has to read it
        os.chmod(path, 0o644)
        if mode == "bwrap":
            argv = _bwrap_argv(workdir, tmp_mb=64)
        else:
            argv = [sys.executable, "-I", "-S", "-B", path]
        env = {"PATH": "/usr/bin:/bin", "HOME": workdir, "PYTHONHASHSEED": "0"}
        started = time.perf_counter()
        with tempfile.TemporaryFile() as stderr:  # a file, not a pipe: a forked child cannot hold the result up
            process = subprocess.Popen(argv, cwd=workdir, env=env, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
            try:
                process.wait(timeout=timeout_s)
                timed_out = False
            except subprocess.TimeoutExpired:
                timed_out = True
            try:  # the whole group, whatever it forked (bwrap's PID namespace dies with it as well)
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
            duration = time.perf_counter() - started
            stderr.seek(0)
            text = stderr.read()[-64_000:].decode("utf-8", "replace")
    if timed_out:
        return ExecResult(passed=False, status="timeout", returncode=None, error=f"killed after {timeout_s:g} s",
                          sandbox=mode, duration_s=duration)
    network = "namespace" if mode == "bwrap" or "posttrain-sandbox-network: namespace" in text else "guard"
    text = "\n".join(line for line in text.splitlines() if not line.startswith("posttrain-sandbox-network:"))
    return ExecResult(
        passed=process.returncode == 0,
        status="passed" if process.returncode == 0 else "failed",
        returncode=process.returncode,
        error=text[-1000:],
        network=network,
        sandbox=mode,
        duration_s=duration,
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
