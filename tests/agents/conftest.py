"""What the specialists' tests share: a run context on the tiny model, in iteration 0's work phase."""

import pytest

from posttrain.run.config import RunConfig
from posttrain.run.context import RunContext
from posttrain.run.events import EventBus
from posttrain.run.ledger import IterationRecord, Ledger
from posttrain.run.workspace import RunWorkspace


@pytest.fixture
def ctx(tmp_path, tiny_model_path):
    cfg = RunConfig(goal="Teach the base model 2-digit addition", benchmark="arithmetic:digits=2,n_eval=40",
                    run_dir=str(tmp_path / "run"))
    ledger = Ledger(iterations=[IterationRecord(index=0, phase="work")])
    return RunContext(config=cfg, workspace=RunWorkspace.create(tmp_path / "run"), ledger=ledger, bus=EventBus(),
                      base_model_path=str(tiny_model_path))
