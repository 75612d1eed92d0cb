"""Each built-in specialist: its tools are valid AgentChat tools (docstring + annotations), and a scripted model
call drives the real tool into the ledger."""

import asyncio
import inspect

import pytest
from autogen_core import FunctionCall
from autogen_core.models import CreateResult, ModelFamily, RequestUsage
from autogen_core.tools import FunctionTool
from autogen_ext.models.replay import ReplayChatCompletionClient

from posttrain.agents.manager.tools import make_manager_tools
from posttrain.agents.specialist import builtin_factories
from posttrain.run.events import ScoreReported
from posttrain.run.ledger import IterationRecord


TOOL_INFO = {"vision": False, "function_calling": True, "json_output": False, "family": ModelFamily.UNKNOWN,
             "structured_output": False}


def test_every_tool_is_documented_and_typed(ctx):
    tools = list(make_manager_tools(ctx))
    for name, factory in builtin_factories().items():
        specialist = factory(None)
        assert specialist.name == name and specialist.system_message and specialist.debate_stance
        tools += specialist.all_tools(ctx)
    for tool in tools:
        doc = inspect.getdoc(tool)
        assert doc and len(doc.splitlines()[0]) > 20, f"{tool.__name__} needs a docstring the model can read"
        signature = inspect.signature(tool)
        assert signature.return_annotation is not inspect.Signature.empty, tool.__name__
        assert all(p.annotation is not inspect.Parameter.empty for p in signature.parameters.values()), tool.__name__
        FunctionTool(tool, description=doc)  # builds the JSON schema the model sees


def test_evaluator_tool_call_records_the_baseline(ctx):
    from autogen_agentchat.agents import AssistantAgent
    from autogen_agentchat.messages import ToolCallExecutionEvent

    call = CreateResult(finish_reason="function_calls", cached=False, usage=RequestUsage(0, 0),
                        content=[FunctionCall(id="c1", name="evaluate_checkpoint", arguments="{}")])
    client = ReplayChatCompletionClient([call, "Baseline recorded."], model_info=TOOL_INFO)
    evaluator = builtin_factories()["Evaluator"](client)
    agent = AssistantAgent("Evaluator", client, tools=evaluator.all_tools(ctx), reflect_on_tool_use=True)
    scores = []
    ctx.bus.subscribe(lambda item: scores.append(item) if isinstance(item, ScoreReported) else None)
    result = asyncio.run(agent.run(task="measure the baseline"))
    executed = next(m for m in result.messages if isinstance(m, ToolCallExecutionEvent))
    assert not executed.content[0].is_error, executed.content[0].content
    assert ctx.ledger.baseline is not None and ctx.ledger.baseline.n == 40
    assert '"summary": "Baseline' in executed.content[0].content
    assert scores and scores[0].n == 40


def test_trainer_without_dataset_tells_the_agent_what_to_do(ctx):
    ctx.ledger.iterations.append(IterationRecord(index=1, phase="work"))
    launch = builtin_factories()["Trainer"](None).all_tools(ctx)[0]
    from posttrain.tools.errors import ToolError

    with pytest.raises(ToolError, match="ask the DataEngineer"):
        launch(method="sft", max_steps=10, learning_rate=1e-3)


def test_a_diverging_training_run_is_reported_not_raised(ctx):
    """A crashed or diverged run comes back to the team as a failed result with findings; the run goes on."""
    from autogen_agentchat.agents import AssistantAgent
    from autogen_agentchat.messages import ToolCallExecutionEvent

    from posttrain.tools.data import build_benchmark_dataset

    ctx.ledger.iterations.append(IterationRecord(index=1, phase="work"))
    data = build_benchmark_dataset(ctx.config.benchmark, ctx.artifacts / "data", n=256, fmt="sft")
    ctx.iteration.dataset = data
    args = '{"method": "sft", "max_steps": 30, "learning_rate": 5.0, "init_from": "base"}'
    call = CreateResult(finish_reason="function_calls", cached=False, usage=RequestUsage(0, 0),
                        content=[FunctionCall(id="t1", name="launch_training", arguments=args)])
    client = ReplayChatCompletionClient([call, "Reported."], model_info=TOOL_INFO)
    trainer = builtin_factories()["Trainer"](client)
    agent = AssistantAgent("Trainer", client, tools=trainer.all_tools(ctx), reflect_on_tool_use=True)
    result = asyncio.run(agent.run(task="train with an absurd learning rate"))
    executed = next(m for m in result.messages if isinstance(m, ToolCallExecutionEvent)).content[0]
    assert not executed.is_error
    kinds = {f.kind for f in ctx.iteration.training.findings}
    assert "loss_divergence" in kinds, ctx.iteration.training
    assert "loss_divergence" in executed.content


def test_trainer_rft_samples_from_the_model_and_says_when_it_solves_nothing(ctx):
    """Rejection-sampling fine-tuning starts by sampling the current model on the iteration's prompts (with their gold
    answers); a random-init model solves none, and the Trainer says what to do instead of training on nothing."""
    from posttrain.tools.data import build_benchmark_dataset
    from posttrain.tools.errors import ToolError

    ctx.ledger.iterations.append(IterationRecord(index=1, phase="work"))
    ctx.iteration.dataset = build_benchmark_dataset(ctx.config.benchmark, ctx.artifacts / "data", n=24, fmt="grpo")
    launch = builtin_factories()["Trainer"](None).all_tools(ctx)[0]
    with pytest.raises(ToolError, match="solves none of the 24 prompts"):
        launch(method="rft", max_steps=10, learning_rate=1e-3, init_from="base", samples_per_prompt=2)
    assert ctx.iteration.training is None  # nothing was trained, nothing recorded as trained
