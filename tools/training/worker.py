"""The body of a training Ray task: set up the process, run the trainer, turn any crash into a one-line error.

Runs in a fresh Ray worker process (``max_calls=1``), so it may redirect the process's stdout/stderr into the
run's ``train.log`` and set environment variables before torch/trackio are imported::

    execute_run("sft", spec.model_dump_json(), "runs/x/sft", "x", "sft", {"TRACKIO_DIR": "..."})
"""

import os
import re
import sys
import time
import traceback
from pathlib import Path


LOG_FILE = "train.log"
ALLOCATION_FAILURE = re.compile(r"MemoryError|allocate|can't start new thread|Cannot allocate", re.IGNORECASE)
PID_FILE = "worker.pid"


def _redirect_output(log_path: Path) -> None:
    """Send this process's fd 1/2 (Python, C++ and warnings alike) to the run log."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _limit_memory(max_memory_gb: float | None) -> tuple[int, int] | None:
    """Enforce the declared memory on CPU runs (soft RLIMIT_DATA); returns the previous limits to restore."""
    if not max_memory_gb:
        return None
    import resource

    previous = resource.getrlimit(resource.RLIMIT_DATA)
    resource.setrlimit(resource.RLIMIT_DATA, (int(max_memory_gb * 1024**3), previous[1]))
    return previous


def _restore_memory(previous: tuple[int, int] | None) -> None:
    """Lift the limit again: Ray must be able to allocate to send the result back."""
    if previous is not None:
        import resource

        resource.setrlimit(resource.RLIMIT_DATA, previous)


def one_line(exc: BaseException) -> str:
    """`Type: message` on one line, short enough for a transcript; a wrapped root cause is appended."""
    text = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    root = exc
    while root.__cause__ is not None or root.__context__ is not None:
        root = root.__cause__ or root.__context__
    if root is not exc:
        text += f" <- {type(root).__name__}: {' '.join(str(root).split())}"
    return text[:500]


def execute_run(method: str, spec_json: str, out_dir: str, project: str, run_name: str, env: dict) -> dict:
    """Run one spec here; returns {"status", "checkpoint", "error", "stopped_by_budget", "duration_s"}."""
    start = time.monotonic()
    out = Path(out_dir)
    prepare_process(out, env, LOG_FILE)
    (out / PID_FILE).write_text(str(os.getpid()))
    status = train_here(method, spec_json, out, project, run_name)
    return {**status, "duration_s": time.monotonic() - start}


def prepare_process(out: Path, env: dict, log_name: str) -> None:
    """Environment first (before torch/trl/trackio read it), then this process's output into the run's log."""
    os.environ.update(env)
    from posttrain.tools.network import disable_telemetry

    disable_telemetry()  # before trl/huggingface_hub read it: TRL's trainers ping HF_ENDPOINT/api/telemetry/trl/...
    _redirect_output(out / log_name)


def train_here(method: str, spec_json: str, out: Path, project: str, run_name: str) -> dict:
    """Train in this process (one worker of several too: torch.distributed is then already initialised); a crash
    becomes {"status": "failed", "error": one line} with the traceback in the log."""
    previous_limit = None
    spec = None
    try:
        import torch

        from posttrain.tools.vllm_support import hide_from_trl

        hide_from_trl()  # before TRL's trainers import an installed vLLM TRL does not support (a container's own)
        from posttrain.tools.methods import get_method

        entry = get_method(method)
        trainer = entry.runner()  # TRL loads here, before any memory limit: the limit must bite training
        spec = entry.spec_class().model_validate_json(spec_json)
        use_gpu = torch.cuda.is_available() and (spec.num_gpus is None or spec.num_gpus > 0)
        if not use_gpu:
            torch.set_num_threads(max(1, int(spec.num_cpus / spec.num_workers)))
            previous_limit = _limit_memory(spec.max_memory_gb)
        outcome = trainer(spec, out, project=project, run_name=run_name, use_gpu=use_gpu)
        status = {"status": "succeeded", "checkpoint": outcome.checkpoint, "error": None,
                  "stopped_by_budget": outcome.stopped_by_budget}
    except (Exception, MemoryError) as exc:  # the crash becomes data for diagnose(); the traceback goes to the log
        _restore_memory(previous_limit)
        traceback.print_exc()
        error = one_line(exc)
        if previous_limit is not None and ALLOCATION_FAILURE.search(error):
            # under the rlimit, a failed stack or buffer allocation is this run running out of its declared memory
            error = f"out of memory under max_memory_gb={spec.max_memory_gb:g}: {error}"
        status = {"status": "failed", "checkpoint": None, "error": error, "stopped_by_budget": False}
    finally:
        _restore_memory(previous_limit)
    sys.stdout.flush()
    sys.stderr.flush()
    return status
