"""The validation split every team build holds out: training rows only (never the benchmark's items), taken after
the decontamination gate, at most a tenth of the rows, seeded, and recorded in the artifact and its card."""

import json

import pyarrow.parquet as pq

from posttrain.tools.data.build import build_dataset
from posttrain.tools.data.discover import VALIDATION_ROWS, compose_build_spec, find_sources
from posttrain.tools.data.mix import split_validation, validation_count
from tests.fixtures.tasks.make_tasks import write_qa_task


def test_validation_count_is_capped_at_a_tenth_and_skipped_when_too_small():
    assert validation_count(5000, 200) == 200
    assert validation_count(560, 200) == 56
    assert validation_count(90, 200) == 0  # 9 rows would score in steps of 1/9: no split
    rows = [{"i": i} for i in range(560)]
    train, held = split_validation(rows, 200)
    assert len(held) == 56 and len(train) == 504
    assert {r["i"] for r in train}.isdisjoint({r["i"] for r in held})
    # the same rows in another order (another iteration's build seed) hold out the same rows
    reordered = split_validation(list(reversed(rows)), 200)[1]
    assert sorted(r["i"] for r in reordered) == sorted(r["i"] for r in held)


def test_team_build_holds_out_decontaminated_training_rows(tmp_path):
    files = write_qa_task(tmp_path / "task", n_train=600, n_eval=100, seed=1, planted=30)
    candidates = find_sources(str(files.eval), fmt="sft", train_data=[str(files.train)], hub_search=False)
    spec = compose_build_spec(candidates, fmt="sft", n_rows=100_000, benchmark_spec=str(files.eval))
    assert spec.validation_rows == VALIDATION_ROWS
    artifact = build_dataset(spec, tmp_path / "out")

    assert artifact.contamination.dropped == 30  # every planted eval copy, before any split
    held = pq.read_table(artifact.splits["validation"]).to_pylist()
    train = pq.read_table(artifact.path).to_pylist()
    assert len(held) == 60 and len(train) == 540 and artifact.counts["validation"] == 60
    eval_questions = {json.loads(line)["question"] for line in files.eval.read_text().splitlines()}
    prompts = {r["prompt"] for r in held}
    assert not any(q in p for q in eval_questions for p in prompts)  # never a benchmark item
    assert prompts.isdisjoint({r["prompt"] for r in train})  # held out, not copied
    assert "validation split" in " ".join(artifact.transformations)


def test_a_small_generator_space_gives_every_item_it_has_not_an_error(tmp_path):
    """1-digit addition has 100 problems; with 40 in the eval set, a plan asking for 80 rows gets the 60 left."""
    bench = "arithmetic:digits=1,ops=+,n_eval=40"
    candidates = find_sources(bench, fmt="sft", hub_search=False)
    [generator] = [c for c in candidates.candidates if c.kind == "generator"]
    assert generator.rows == 60 and "up to 60" in generator.evidence
    spec = compose_build_spec(candidates, fmt="sft", n_rows=80, benchmark_spec=bench)
    assert [s.n for s in spec.sources] == [60]
    artifact = build_dataset(spec, tmp_path / "out")  # built, not "only 60 problems exist … 80 were asked for"
    assert artifact.counts["after_mix"] == 60 and artifact.n_rows > 0  # then the gate judges each row as usual
