"""A stop request ends the tools that have no Ray task to kill (evaluation, data building, RFT sampling) at their next
progress tick: nothing is recorded in the ledger and no report is written, so `resume` redoes the step."""

import pytest

from posttrain.run.events import Progress
from posttrain.tools.errors import Stopped


def stop_at_first_tick(ctx) -> list[Progress]:
    ticks = []

    def on_item(item):
        if isinstance(item, Progress):
            ticks.append(item)
            ctx.cancel.set()  # the user pressed Ctrl-C while the tool was working

    ctx.bus.subscribe(on_item)
    return ticks


def tool(ctx, role: str, name: str):
    from posttrain.agents.specialist import builtin_factories

    specialist = builtin_factories()[role](None)
    return next(t for t in specialist.all_tools(ctx) if t.__name__ == name)


def test_evaluation_ends_at_its_next_tick_and_records_nothing(ctx):
    ticks = stop_at_first_tick(ctx)
    evaluate = tool(ctx, "Evaluator", "evaluate_checkpoint")
    with pytest.raises(Stopped, match="resume redoes this step"):
        evaluate()
    assert len(ticks) == 1  # not one more batch after the request
    assert ctx.ledger.baseline is None and ctx.iteration.evaluation is None
    assert not list(ctx.artifacts.glob("eval/*.json"))


def test_without_a_stop_request_the_same_tool_finishes(ctx):
    evaluate = tool(ctx, "Evaluator", "evaluate_checkpoint")
    evaluate()
    assert ctx.ledger.baseline is not None and ctx.ledger.baseline.n == 40
