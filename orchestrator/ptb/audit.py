"""`posttrain audit RUN`: the judges' rules checked on a finished (or killed) run before hand-in.

Reads `RUN/state.json` (config, base model) and `RUN/ptb.json` (written by `posttrain ptb`: the output folder, the
task's checker and test data), runs the five checks, writes `RUN/audit.json` and returns the report; its
`render()` is the one-screen verdict. The verdict is "fail" when any check fails.
"""

import json
import time
from pathlib import Path

from posttrain.orchestrator.ptb.checks import AuditReport, Check
from posttrain.tools.errors import ConfigError


PTB_FILE = "ptb.json"


def run_info(run_dir: Path) -> tuple[dict, dict]:
    """(config, extra) of a run: extra holds base_model_path and what `ptb` recorded."""
    state_path = run_dir / "state.json"
    if not state_path.is_file():
        raise ConfigError(f"{run_dir} is not a posttrain run (no state.json); pass the run directory `ptb` printed")
    state = json.loads(state_path.read_text(encoding="utf-8"))
    ptb_path = run_dir / PTB_FILE
    extra = json.loads(ptb_path.read_text(encoding="utf-8")) if ptb_path.is_file() else {}
    extra.setdefault("base_model_path", state.get("base_model_path"))
    return state.get("config", {}), extra


def bench_items(spec: str | None) -> tuple[list, str | None]:
    if not spec:
        return [], "the run names no benchmark"
    try:
        from posttrain.tools.evaluation import get_benchmark

        return list(get_benchmark(spec).eval_items()), None
    except Exception as exc:  # noqa: BLE001 - offline Hub benchmark etc.: audit with the task's test data only
        return [], f"cannot read the benchmark {spec}'s items ({type(exc).__name__}); checked the task's test data"


def run_audit(run_dir: str | Path, *, final_model: str | None = None, checker: str | None = None,
              reference: str | None = None, vllm: bool = True, write: bool = True) -> AuditReport:
    from posttrain.orchestrator.ptb.audit_data import check_contamination_of_run
    from posttrain.orchestrator.ptb.audit_model import check_identity, check_packaging
    from posttrain.orchestrator.ptb.audit_sources import check_benchmark_lookup, check_hosted_api

    run_dir = Path(run_dir)
    config, extra = run_info(run_dir)
    final = final_model or extra.get("output_dir")
    checker = checker or extra.get("checker")
    reference = reference or extra.get("test_data")
    base = extra.get("base_model_path")
    items, note = bench_items(config.get("benchmark"))
    checks: list[Check] = []
    if not items and not reference:
        checks.append(Check(name="contamination", status="fail", summary=note or "no test items to check against",
                            fix="pass --reference test_data.json (the benchmark's test items)"))
    else:
        used = _used_by(run_dir, Path(final), base) if final else None
        check = check_contamination_of_run(run_dir, items, checker=checker, reference=reference, used=used)
        if note:
            check.details.setdefault("notes", []).append(note)
        checks.append(check)
    final_path = Path(final) if final else None
    if final_path is None:
        checks.append(Check(name="model_identity", status="fail", summary="no final model named",
                            fix="pass --final-model PATH (ptb records it in RUN/ptb.json)"))
    elif not base or not Path(base).is_dir():
        checks.append(Check(name="model_identity", status="fail", summary=f"base model {base} is not on disk",
                            fix="download the base model and pass the run that used it"))
    else:
        base_id = (extra.get("task") or {}).get("base_model") or config.get("base_model")
        checks.append(_guarded("model_identity", check_identity, final_path, Path(base), base_id))
    checks.append(check_hosted_api(run_dir, config))
    checks.append(check_benchmark_lookup(run_dir))
    prompts = [item.prompt for item in items[:2]]
    if final_path is not None:
        checks.append(_guarded("packaging", check_packaging, final_path, prompts,
                               Path(base) if base else None, vllm=vllm))
    verdict = "fail" if any(c.status == "fail" for c in checks) else "pass"
    report = AuditReport(run_dir=str(run_dir), final_model=str(final_path) if final_path else None,
                         verdict=verdict, checks=checks, at=time.time())
    if write:
        from posttrain.run.workspace import write_json_atomic

        write_json_atomic(run_dir / "audit.json", report.model_dump(mode="json"))
    return report


def _used_by(run_dir: Path, final: Path, base: str | None) -> set[str] | None:
    """The run's training sets final_model descends from (its package marker names the checkpoint)."""
    from posttrain.orchestrator.ptb.lineage import used_sets
    from posttrain.orchestrator.ptb.package import packaged_source

    return used_sets(run_dir, packaged_source(final).get("source") or final, base)


def _guarded(name: str, fn, *args, **kwargs) -> Check:
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - an unreadable model is a failed check, not a crashed audit
        return Check(name=name, status="fail", summary=f"could not check: {type(exc).__name__}: {str(exc)[:160]}",
                     fix="make sure the folder holds a complete saved model")
