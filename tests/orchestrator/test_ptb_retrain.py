"""A failed contamination audit acted on: the planted reformatted test items are dropped into a clean copy with a
card, the chain is retrained on it from the same init when the time left covers the measured training, else the
best clean checkpoint (here the base) is handed in and the reason recorded. Then the audit runs again."""

import json
import shutil
from pathlib import Path

import pytest

from posttrain.orchestrator.ptb.audit import run_audit
from posttrain.orchestrator.ptb.lineage import chain, used_sets
from posttrain.orchestrator.ptb.package import Packager, packaged_source
from posttrain.orchestrator.ptb.runner import _remedy
from tests.fixtures.tasks.make_tasks import write_qa_task
from tests.orchestrator.test_ptb import CHECKER


PLANTED = 3


def _dirty_run(tmp_path: Path, tiny: Path) -> tuple[Path, Path, list[dict]]:
    """A run whose iteration-1 set holds 3 reformatted test items with their answers; returns (run, set, rows)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = write_qa_task(tmp_path / "qa", n_train=120, n_eval=30, seed=2)
    tests = [json.loads(line) for line in files.eval.read_text().splitlines()]
    rows = [{"prompt": r["question"], "completion": r["answer"]} for r in map(json.loads, files.train.open())]
    rows[10:10] = [{"prompt": f"Q -- {t['question'].upper().replace(':', ' ?')}", "completion": t["answer"]}
                   for t in tests[:PLANTED]]
    run = tmp_path / "run"
    data = run / "artifacts" / "1" / "data"
    data.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), data / "train-sft.parquet")
    (data / "README.md").write_text("---\nposttrain:\n  sources: [qa/train.jsonl]\n  transformations: [mapped]\n---\n")
    (tmp_path / "check.py").write_text(CHECKER)
    (tmp_path / "test_data.json").write_text(json.dumps([{"question": t["question"], "answer": t["answer"]}
                                                         for t in tests]))
    return run, data / "train-sft.parquet", rows


def _record(run: Path, tmp_path: Path, tiny: Path, checkpoint: Path, score: float) -> Path:
    out = tmp_path / "final_model"
    iterations = [{"index": 0}, {"index": 1, "evaluation": {"score": score, "checkpoint": str(checkpoint)}}]
    (run / "state.json").write_text(json.dumps({
        "config": {"benchmark": str(tmp_path / "qa" / "eval.jsonl")}, "base_model_path": str(tiny),
        "ledger": {"baseline": {"score": 0.0}, "iterations": iterations}}))
    (run / "ptb.json").write_text(json.dumps({"output_dir": str(out), "checker": str(tmp_path / "check.py"),
                                              "test_data": str(tmp_path / "test_data.json")}))
    return out


def _trained_by_hand(run: Path, tiny: Path, dataset: Path) -> Path:
    """A checkpoint folder laid out as run_training leaves it (spec.json, result.json), its weights the base's."""
    out = run / "artifacts" / "1" / "train-sft"
    checkpoint = shutil.copytree(tiny, out / "checkpoint")
    (out / "spec.json").write_text(json.dumps({"method": "sft", "base_model": str(tiny), "dataset": str(dataset),
                                               "max_steps": 2, "learning_rate": 3e-3, "batch_size": 16,
                                               "max_length": 32, "seed": 1}))
    (out / "result.json").write_text(json.dumps({"duration_s": 600.0}))
    return checkpoint


def test_no_time_to_retrain_hands_in_the_base_and_says_why(tmp_path, tiny_model_path):
    run, dataset, _ = _dirty_run(tmp_path, tiny_model_path)
    checkpoint = _trained_by_hand(run, tiny_model_path, dataset)
    out = _record(run, tmp_path, tiny_model_path, checkpoint, score=0.4)
    assert [s.dataset for s in chain(checkpoint)] == [str(dataset)]
    assert used_sets(run, checkpoint, tiny_model_path) == {"artifacts/1/data/train-sft.parquet"}
    assert used_sets(run, tiny_model_path, tiny_model_path) == set()
    packager = Packager(out, str(tiny_model_path))
    packager.package(str(checkpoint), iteration=1, kind="checkpoint")
    report = run_audit(run, vllm=False)
    assert report.failed("contamination") and report.checks[0].details["contaminated_counts"] == {
        "artifacts/1/data/train-sft.parquet": PLANTED}
    said = []
    assert _remedy(report, packager, run, said.append, time_left=lambda: 300.0, reserve_s=60)
    retrain = json.loads((run / "ptb" / "retrain.json").read_text())
    assert retrain["status"] == "skipped" and "does not cover the retrain" in retrain["reason"]
    assert retrain["needed_s"] >= 600  # the measured 600 s training, with its margin
    assert packaged_source(out)["kind"] == "base" and any("handed in the base" in line for line in said)
    again = run_audit(run, vllm=False)  # the base trained on nothing: the dirty set no longer counts
    assert again.verdict == "pass", again.render()
    contamination = again.checks[0]
    assert contamination.status == "warn" and contamination.details["superseded"] == [
        "artifacts/1/data/train-sft.parquet"]


@pytest.mark.slow
def test_contaminated_rows_dropped_and_the_plan_retrained_on_clean_data(tmp_path, tiny_model_path, ray_cluster):
    from posttrain.tools.training import SFTSpec, run_training

    run, dataset, rows = _dirty_run(tmp_path, tiny_model_path)
    spec = SFTSpec(base_model=str(tiny_model_path), dataset=str(dataset), max_steps=2, batch_size=16,
                   learning_rate=3e-3, max_length=32, seed=1)
    first = run_training(spec, run / "artifacts" / "1" / "train-sft", project="t", run_name="dirty")
    assert first.status == "succeeded", first.error
    out = _record(run, tmp_path, tiny_model_path, Path(first.checkpoint), score=0.0)
    packager = Packager(out, str(tiny_model_path))
    packager.package(first.checkpoint, iteration=1, kind="checkpoint")
    report = run_audit(run, vllm=False)
    assert report.failed("contamination")
    said = []
    assert _remedy(report, packager, run, said.append, time_left=lambda: 3600.0, reserve_s=30)
    import pyarrow.parquet as pq

    clean = run / "artifacts" / "1" / "data-clean" / "train-sft.parquet"
    assert pq.read_table(clean).num_rows == len(rows) - PLANTED
    card = (clean.parent / "README.md").read_text()
    assert "dropped_rows:\n  - 10\n  - 11\n  - 12" in card and "test answer used as the label" in card
    assert "qa/train.jsonl" in card  # the original provenance is kept
    retrained = json.loads((run / "artifacts" / "1" / "train-sft-clean" / "spec.json").read_text())
    assert retrained["dataset"] == str(clean) and retrained["base_model"] == str(tiny_model_path)
    assert (retrained["max_steps"], retrained["learning_rate"], retrained["seed"]) == (2, 3e-3, 1)
    marker = packaged_source(out)
    assert marker["kind"] == "retrained-clean" and marker["source"].endswith("train-sft-clean/checkpoint")
    assert json.loads((run / "ptb" / "retrain.json").read_text())["status"] == "retrained"
    again = run_audit(run, vllm=False)
    assert again.verdict == "pass", again.render()
    assert again.checks[0].details["used_by_final_model"] == ["artifacts/1/data-clean/train-sft.parquet"]
