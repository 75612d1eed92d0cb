"""The DataEngineer's opening proposal names only sources that exist: MATH-500 publishes no training split (its
only split is the eval split), gsm8k does. Nothing is downloaded: the check reads the benchmark's registry entry."""

import pytest

from posttrain.agents.data_engineer import offline
from posttrain.run.config import RunConfig
from posttrain.run.context import RunContext
from posttrain.run.events import EventBus
from posttrain.run.ledger import IterationRecord, Ledger, Score
from posttrain.run.workspace import RunWorkspace


def _ctx(tmp_path, benchmark: str) -> RunContext:
    cfg = RunConfig(goal=f"Improve the model on {benchmark}", benchmark=benchmark, run_dir=str(tmp_path / "run"))
    ledger = Ledger(baseline=Score(score=0.0, n=2, ci95=(0.0, 0.5), report="r0.json"),
                    iterations=[IterationRecord(index=0, phase="done")])
    return RunContext(config=cfg, workspace=RunWorkspace.create(tmp_path / "run"), ledger=ledger, bus=EventBus(),
                      base_model_path="m")


@pytest.mark.parametrize(("bench", "has_split"), [("math500", False), ("gsm8k", True), ("arithmetic", False)])
def test_opening_proposal_cites_a_train_split_only_where_one_exists(tmp_path, bench, has_split):
    ctx = _ctx(tmp_path, bench)
    assert offline.has_train_split(ctx) is has_split
    evidence = offline.proposal(ctx).evidence
    assert ("the benchmark's train split" in evidence) is has_split, evidence
