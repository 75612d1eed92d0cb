"""Soak: N short runs in a row through the real CLI, then count what they left behind.

Each run gets a unique marker in its environment, which every process it starts inherits (Ray's control store,
raylet, agents and workers included, even after they are re-parented), so a leftover process is found by its
environment, not by guessing at names. After every run: the marked processes still alive, the files they hold open,
and disk growth where runs write (the run folders, Ray's session logs, the Trackio store).

    python bench/soak.py --kind team --runs 20 --out bench/results/soak-2026-11-28.json
    python bench/soak.py --kind train --runs 20          # `posttrain train sft`: Ray start/stop without the team

The test suite runs the same code with a few `train` runs (tests/orchestrator/test_soak.py).
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path


MARK = "POSTTRAIN_SOAK_MARK"
TEAM_GOAL = "Teach the base model 2-digit addition"


@dataclass
class RunRecord:
    index: int
    exit_code: int
    wall_s: float
    peak_processes: int = 0
    leftover_processes: list[str] = field(default_factory=list)
    leftover_open_files: int = 0


@dataclass
class SoakResult:
    kind: str
    runs: list[RunRecord]
    disk_growth_bytes: dict[str, int]
    leftover_processes: int
    leftover_open_files: int
    failed_runs: int

    def per_run_disk_bytes(self) -> dict[str, int]:
        return {where: grown // max(1, len(self.runs)) for where, grown in self.disk_growth_bytes.items()}


def marked_processes(mark: str) -> list:
    """Live processes whose environment carries `mark` (zombies are already dead)."""
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "status"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if proc.environ().get(MARK) == mark:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def open_files(procs: list) -> int:
    import psutil

    total = 0
    for proc in procs:
        try:
            total += proc.num_fds()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def disk_bytes(path: Path) -> int:
    if not path.exists():
        return 0
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += (Path(root) / name).lstat().st_size
            except OSError:
                continue
    return total


def ray_temp_dir() -> Path:
    return Path(os.environ.get("RAY_TMPDIR", tempfile.gettempdir())) / "ray"


def write_sft_rows(path: Path, rows: int = 64) -> Path:
    path.write_text("".join(json.dumps({"prompt": f"{i}+{i}=", "completion": str(2 * i)}) + "\n" for i in range(rows)))
    return path


def command(kind: str, workdir: Path, index: int) -> list[str]:
    cli = [sys.executable, "-m", "posttrain.orchestrator.cli"]
    if kind == "team":
        return [*cli, "run", TEAM_GOAL, "--max-iterations", "1", "--playbook-scale", "0.1",
                "--run-dir", str(workdir / f"run-{index}")]
    return [*cli, "train", "sft", "--base-model", "tiny", "--dataset", str(workdir / "sft.jsonl"), "--max-steps", "3",
            "--out", str(workdir / f"train-{index}")]


def soak(kind: str, runs: int, workdir: Path, settle_s: float = 2.0, log=print) -> SoakResult:
    """Run `runs` short runs one after another; after each, record the marked processes still alive."""
    workdir.mkdir(parents=True, exist_ok=True)
    write_sft_rows(workdir / "sft.jsonl")
    trackio = workdir / "trackio"
    watched = {"run folders": workdir, "ray session logs": ray_temp_dir(), "trackio store": trackio}
    before = {where: disk_bytes(path) for where, path in watched.items()}
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "POSTTRAIN_OFFLINE": "1",
           "RAY_USAGE_STATS_ENABLED": "0", "TRACKIO_DIR": str(trackio)}
    env.pop("RAY_ADDRESS", None)  # each run starts, and must stop, its own local cluster
    records, marks = [], []
    for index in range(runs):
        mark = uuid.uuid4().hex
        marks.append(mark)
        start = time.monotonic()
        peak = 0
        with open(workdir / f"run-{index}.log", "w") as out:
            proc = subprocess.Popen(command(kind, workdir, index), env={**env, MARK: mark}, stdout=out,
                                    stderr=subprocess.STDOUT)
            while proc.poll() is None:  # how many processes the run had at most: proof the mark reaches them
                peak = max(peak, len(marked_processes(mark)))
                time.sleep(0.5)
            code = proc.returncode
        wall = time.monotonic() - start
        time.sleep(settle_s)  # what a clean exit stops is gone by now
        left = marked_processes(mark)
        record = RunRecord(index=index, exit_code=code, wall_s=round(wall, 2), peak_processes=peak,
                           leftover_processes=[" ".join(p.cmdline()[:3])[:120] for p in left],
                           leftover_open_files=open_files(left))
        records.append(record)
        log(f"run {index + 1}/{runs}: exit {code} in {wall:.1f} s, {peak} processes at most, {len(left)} left")
    still = [p for mark in marks for p in marked_processes(mark)]
    growth = {where: disk_bytes(path) - before[where] for where, path in watched.items()}
    return SoakResult(kind=kind, runs=records, disk_growth_bytes=growth, leftover_processes=len(still),
                      leftover_open_files=open_files(still), failed_runs=sum(r.exit_code != 0 for r in records))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=["team", "train"], default="team")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=None, help="Default: a temporary folder, removed after.")
    parser.add_argument("--out", type=Path, default=None, help="Write the JSON result here.")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="posttrain-soak-"))
    result = soak(args.kind, args.runs, workdir)
    walls = [r.wall_s for r in result.runs]
    payload = {
        "bench": "soak", "date": time.strftime("%Y-%m-%d"), "machine": f"{os.cpu_count()} CPUs, {platform.platform()}",
        "command": "python bench/soak.py " + " ".join(sys.argv[1:]), **asdict(result),
        "per_run_disk_bytes": result.per_run_disk_bytes(),
        "wall_s": {"min": min(walls), "median": sorted(walls)[len(walls) // 2], "max": max(walls)},
    }
    text = json.dumps(payload, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    print(json.dumps({k: payload[k] for k in ("failed_runs", "leftover_processes", "leftover_open_files",  # noqa: T201
                                             "per_run_disk_bytes", "wall_s")}, indent=2))
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
