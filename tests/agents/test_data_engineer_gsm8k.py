"""The DataEngineer on gsm8k, through its own offline rule and run-bound tools: it finds the benchmark's train split
(read with the real `datasets.load_dataset` from a local Hub-layout mirror), composes the build spec an LLM brain
would write, and builds SFT rows (`#### N` extracted, decontaminated against test) or GRPO prompts with gold answers."""

import json

import pyarrow.parquet as pq
import pytest

from posttrain.agents.data_engineer import offline
from posttrain.agents.specialist import builtin_factories
from posttrain.run.config import RunConfig
from posttrain.run.context import RunContext
from posttrain.run.events import EventBus
from posttrain.run.ledger import IterationRecord, Ledger, Plan, Score
from posttrain.run.workspace import RunWorkspace
from tests.tools.test_data_gsm8k_mirror import TEST, mirror  # noqa: F401 - the fixture


@pytest.fixture
def ctx(tmp_path, mirror, tiny_model_path):  # noqa: F811
    cfg = RunConfig(goal="Improve the model on GSM8K", benchmark="gsm8k", run_dir=str(tmp_path / "run"))
    ledger = Ledger(baseline=Score(score=0.0, n=2, ci95=(0.0, 0.5), report="r0.json"),
                    iterations=[IterationRecord(index=0, phase="done")])
    return RunContext(config=cfg, workspace=RunWorkspace.create(tmp_path / "run"), ledger=ledger, bus=EventBus(),
                      base_model_path=str(tiny_model_path))


def do_the_work(ctx: RunContext) -> list[str]:
    """Run the DataEngineer's offline rule against its real tools until it has nothing left to do."""
    tools = {tool.__name__: tool for tool in builtin_factories()["DataEngineer"](None).all_tools(ctx)}
    called = []
    while calls := offline.work(ctx):
        for name, arguments in calls:
            called.append(name)
            if name == "build_dataset":
                from posttrain.tools.data import BuildSpec

                arguments = {"spec": BuildSpec.model_validate(json.loads(json.dumps(arguments["spec"])))}
            tools[name](**arguments)
    return called


@pytest.mark.parametrize("method", ["sft", "grpo"])
def test_data_engineer_builds_gsm8k_data_from_its_train_split(ctx, method):
    ctx.ledger.iterations.append(IterationRecord(index=1, phase="work", plan=Plan(
        method=method, max_steps=10, learning_rate=1e-4, n_train=100)))
    assert do_the_work(ctx) == ["find_training_data", "build_dataset"]
    it = ctx.iteration
    assert it.data_candidates.candidates[0].kind == "benchmark_train" and it.blocked is None
    data = it.dataset
    assert data.contamination.dropped == 1  # the test question planted in the mirror's train split
    rows = pq.read_table(data.path).to_pylist()
    assert not any(TEST[0][0] in row["prompt"] for row in rows)
    assert "openai/gsm8k" in data.sources[0] and any("sources chosen: benchmark_train" in step
                                                      for step in data.transformations)
    if method == "sft":
        assert data.label_check.accuracy == 1.0
        assert all(row["completion"].endswith(f"\\boxed{{{row['answer']}}}.") for row in rows)
    else:
        assert sorted(row["answer"] for row in rows) == ["10", "50", "624", "72"]
