"""`run_training`: run one SFT/GRPO/DPO spec as a Ray task with declared resources, stream its metrics, diagnose it.

Joins the cluster at ``RAY_ADDRESS`` when set, else starts (or reuses) a local one. ``num_workers > 1`` (or
``num_gpus > 1``) trains data-parallel through Ray Train (`distributed`). A crash inside training comes
back as ``status="failed"`` with findings, never as an exception; cancelling kills the task's process::

    result = run_training(SFTSpec(base_model=model, dataset="sft.jsonl"), "runs/x/sft", project="x", run_name="sft")
    result.status, result.checkpoint, [f.kind for f in result.findings]
"""

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

from posttrain.tools.errors import ConfigError
from posttrain.tools.network import disable_telemetry
from posttrain.tools.progress import ProgressFn, null_progress
from posttrain.tools.training.base_config import RunSpec
from posttrain.tools.training.data_loading import check_dataset
from posttrain.tools.training.diagnosis import Finding, diagnose
from posttrain.tools.training.outcome import METRICS_FILE
from posttrain.tools.training.result import TrainingResult, read_metrics_file, summarize
from posttrain.tools.training.worker import LOG_FILE, execute_run, one_line


POLL_S = 0.5
BUDGET_GRACE_S = 120.0  # after the soft stop, how long the trainer gets to export before it is killed
FORWARDED_ENV = ("TRACKIO_DIR", "HF_HOME", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "POSTTRAIN_OFFLINE",
                 "TOKENIZERS_PARALLELISM", "CUDA_VISIBLE_DEVICES", "HF_ENDPOINT",
                 # telemetry switches: the user's choice travels; unset ones become "off" (disable_telemetry)
                 "HF_HUB_DISABLE_TELEMETRY", "DISABLE_TELEMETRY", "DO_NOT_TRACK", "RAY_USAGE_STATS_ENABLED",
                 "GRADIO_ANALYTICS_ENABLED")


def ensure_ray(num_cpus: float):
    """Connect to RAY_ADDRESS or start/reuse a local cluster; refuse specs the cluster can never schedule."""
    import ray

    if not ray.is_initialized():
        disable_telemetry()  # the raylet and its workers inherit this environment
        address = os.environ.get("RAY_ADDRESS")
        if not address:
            # Ray runs its workers at nice 15 so its own daemons stay responsive; in the local cluster posttrain starts
            # the training task is the work, and at nice 15 any other process on the machine takes the CPU from it
            # (measured: 26 s a step against 2.5 s for the same step in the driver, with background jobs running)
            os.environ.setdefault("RAY_worker_niceness", "0")
        on_main = threading.current_thread() is threading.main_thread()
        ours = signal.getsignal(signal.SIGTERM) if on_main else None
        options = dict(address=address, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
        if on_main:
            ray.init(**options)
            signal.signal(signal.SIGTERM, ours)  # ray.init replaced the caller's handler with sys.exit(15)
        else:
            _init_on_a_lasting_thread(ray, options)
    cpus = ray.cluster_resources().get("CPU", 0)
    if num_cpus > cpus:
        raise ConfigError(f"the spec asks for {num_cpus} CPUs but the Ray cluster has {cpus:g}; lower num_cpus")
    return ray


def _init_on_a_lasting_thread(ray, options: dict) -> None:
    """Start the local cluster from a thread that lives as long as the process. Ray's head processes die with the
    *thread* that spawned them (Linux PR_SET_PDEATHSIG), so a cluster started from a tool's worker thread vanished
    when that thread ended (the event loop's executor shutting down), leaving the driver attached to a dead GCS."""
    started, failure = threading.Event(), []

    def host() -> None:
        try:
            ray.init(**options)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            failure.append(exc)
        finally:
            started.set()
        threading.Event().wait()  # stay alive: this thread is the cluster's parent

    threading.Thread(target=host, name="ray-host", daemon=True).start()
    started.wait()
    if failure:
        raise failure[0]


def shutdown_ray(timeout_s: float = 10.0) -> bool:
    """Stop the Ray cluster this process started (or leave the one it joined), waiting at most `timeout_s`, and kill
    what is left of it. Ray's own exit path can wait about a minute for a control store that is already gone, and
    its agents outlive the raylet for a minute or more. False when Ray did not shut down in time (then the caller
    should exit without running Ray's atexit hook, which would wait again)."""
    ray = sys.modules.get("ray")
    if ray is None or not ray.is_initialized():
        return True
    import psutil

    started = psutil.Process().children(recursive=True)  # the local cluster: gcs, raylet, agents, workers
    stopper = threading.Thread(target=ray.shutdown, name="ray-shutdown", daemon=True)
    stopper.start()
    stopper.join(timeout_s)
    kill_processes(psutil.wait_procs(started, timeout=2)[1])
    return not stopper.is_alive()


def kill_processes(procs=None) -> None:
    """SIGKILL `procs` (default: every process this one started, i.e. a local Ray cluster) and reap them. For
    exits that cannot wait for `shutdown_ray`; without it Ray's agents outlive their raylet by a minute or more."""
    import psutil

    procs = psutil.Process().children(recursive=True) if procs is None else procs
    for proc in procs:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(procs, timeout=2)


def _check_spec(spec: RunSpec) -> None:
    base = Path(spec.base_model).expanduser()
    if spec.looks_local(spec.base_model) and not (base / "config.json").exists():
        raise ConfigError(f"base model {spec.base_model} has no config.json; pass a saved model directory or Hub id")
    check_dataset(spec.dataset, spec.method)


def _gpus_for(spec: RunSpec, ray) -> float:
    """GPUs each training process declares: the spec's share per worker; None = 1 each when the cluster has a GPU
    for every worker, else CPU workers."""
    available = ray.cluster_resources().get("GPU", 0)
    if spec.num_gpus is None:
        return 1.0 if available >= spec.num_workers else 0.0
    if spec.num_gpus > available:
        raise ConfigError(f"the spec asks for {spec.num_gpus:g} GPUs but the Ray cluster has {available:g}; "
                          "lower num_gpus")
    return spec.gpus_per_worker


def _submit(spec, out: Path, project: str, run_name: str, ray):
    env = disable_telemetry({key: os.environ[key] for key in FORWARDED_ENV if key in os.environ})
    env["RAY_TRAIN_ENABLE_PRINT_PATCH"] = "0"
    gpus = _gpus_for(spec, ray)
    if spec.num_workers > 1:  # Ray Train: this task only hosts TorchTrainer.fit(); the workers hold the resources
        from posttrain.tools.training.distributed import execute_distributed

        task = ray.remote(max_calls=1)(execute_distributed).options(num_cpus=0, num_gpus=0, max_retries=0)
        return task.remote(spec.method, spec.model_dump_json(), str(out), project, run_name, env,
                           num_workers=spec.num_workers, use_gpu=gpus > 0,
                           cpus_per_worker=spec.num_cpus / spec.num_workers, gpus_per_worker=gpus)
    options = {"num_cpus": spec.num_cpus, "num_gpus": gpus, "max_retries": 0}
    if spec.max_memory_gb:
        options["memory"] = int(spec.max_memory_gb * 1024**3)
    # max_calls=1: a fresh process per run, so env (TRACKIO_DIR) and fd redirection never leak between runs
    task = ray.remote(max_calls=1)(execute_run).options(**options)
    return task.remote(spec.method, spec.model_dump_json(), str(out), project, run_name, env)


def _wait(ref, spec, out: Path, progress: ProgressFn, cancel: threading.Event | None, ray) -> tuple[dict | None, str]:
    """Poll the task, forwarding metric rows to `progress`; returns (worker answer or None, why it ended)."""
    start, seen = time.monotonic(), 0
    hard_limit = spec.time_budget_s + BUDGET_GRACE_S if spec.time_budget_s else None
    task = f"train {spec.method}"
    while True:
        done, _ = ray.wait([ref], timeout=POLL_S)
        rows = read_metrics_file(out / METRICS_FILE)
        for row in rows[seen:]:
            info = {k: v for k, v in row.items() if isinstance(v, int | float) and k != "step"}
            progress(task, row.get("step", 0), spec.max_steps, **info)
        seen = len(rows)
        if done:
            answer = ray.get(ref)
            last = max((row.get("step", 0) for row in rows), default=0)
            if (answer or {}).get("status") == "succeeded" and 0 < last < spec.max_steps:
                progress(task, last, last)  # stopped before its cap (converged, or its time ran out): pass done
            return answer, "done"
        if cancel is not None and cancel.is_set():
            ray.cancel(ref, force=True)
            return None, "cancelled by request"
        if hard_limit and time.monotonic() - start > hard_limit:
            ray.cancel(ref, force=True)
            return None, f"time budget {spec.time_budget_s:g}s (+{BUDGET_GRACE_S:g}s grace) exceeded"


def _release_workers(spec: RunSpec, out: Path) -> None:
    """After killing a multi-worker run: give its reserved resources back to the cluster."""
    if spec.num_workers > 1:
        from posttrain.tools.training.distributed import release_placement_group

        release_placement_group(out)


def _spec_as_run(spec: RunSpec, out: Path) -> dict:
    """The spec plus the device choices the worker recorded in spec.json ("resolved"), when it got that far."""
    record = spec.model_dump(mode="json")
    try:
        resolved = json.loads((out / "spec.json").read_text()).get("resolved")
    except (OSError, ValueError):
        resolved = None
    return {**record, "resolved": resolved} if resolved else record


def run_training(spec: RunSpec, out_dir: str | Path, *, project: str, run_name: str,
                 progress: ProgressFn = null_progress, cancel: threading.Event | None = None) -> TrainingResult:
    """Train one spec as a Ray task (or, with num_workers > 1, as a Ray Train `TorchTrainer` run over that many
    workers) and return its TrainingResult (status, checkpoint, metrics, findings).

    Writes out_dir/spec.json (the spec, plus the device choices under "resolved" once the worker made them),
    out_dir/metrics.jsonl (rows as they are logged), out_dir/train.log, out_dir/checkpoint (LoRA merged,
    tokenizer saved) and out_dir/result.json; logs to Trackio project/run_name. Bad spec or missing dataset →
    ConfigError. A crash → status "failed" with `error` and findings. `cancel.set()` or running past
    time_budget_s + 120 s kills the task (status "cancelled"); within the budget training stops gracefully.
    """
    _check_spec(spec)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / METRICS_FILE).unlink(missing_ok=True)
    (out / "spec.json").write_text(spec.model_dump_json(indent=2))
    start = time.monotonic()
    ray = ensure_ray(spec.num_cpus)
    ref = _submit(spec, out, project, run_name, ray)
    try:
        answer, why = _wait(ref, spec, out, progress, cancel, ray)
    except KeyboardInterrupt:
        ray.cancel(ref, force=True)
        _release_workers(spec, out)
        raise
    except Exception as exc:  # noqa: BLE001 - the worker process died (OOM killer, segfault): report, don't raise
        answer, why = {"status": "failed", "checkpoint": None, "error": one_line(exc)}, "worker died"
        _release_workers(spec, out)
    if answer is None:
        answer = {"status": "cancelled", "checkpoint": None, "error": why}
        _release_workers(spec, out)
    metrics = read_metrics_file(out / METRICS_FILE)
    findings = diagnose(metrics, error=answer["error"] if answer["status"] == "failed" else None)
    if answer.get("stopped_by_budget"):
        findings.append(Finding(kind="budget", severity="info", evidence=f"stopped by time_budget_s="
                                f"{spec.time_budget_s:g} at step {summarize(metrics)['steps']:g}",
                                fix="raise time_budget_s or lower max_steps if the run needs to finish"))
    result = TrainingResult(
        method=spec.method, status=answer["status"], checkpoint=answer["checkpoint"], metrics=metrics,
        summary=summarize(metrics), findings=findings, log_path=str(out / LOG_FILE),
        duration_s=time.monotonic() - start, error=answer["error"], project=project, run_name=run_name,
        spec=_spec_as_run(spec, out),
    )
    (out / "result.json").write_text(result.model_dump_json(indent=2))
    return result
