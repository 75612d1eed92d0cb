"""Prompts do not grow without bound: over 8 iterations with a scripted brain, every agent's prompt levels off —
debates carry the ledger's numbers (the last six iterations one line each, earlier ones one digest line), not the
raw transcript, and each agent's context keeps a bounded window. Sizes are counted in the requests the server saw."""

import json

import pytest

from tests.orchestrator.test_brain_usage import purpose, serve, start
from tests.orchestrator.test_llm_brain_run import PLAN_1, ScriptedTeam


ITERATIONS = 8


def tokens(body: dict) -> int:
    return len(json.dumps(body["messages"])) // 4  # ~4 characters a token: the growth, not the exact count, matters


@pytest.mark.slow
def test_prompt_tokens_per_turn_level_off_over_eight_iterations(loopback_server, tmp_path):
    serve(loopback_server, ScriptedTeam([[PLAN_1]] * ITERATIONS, work=False))
    status, run_dir = start(loopback_server, tmp_path, max_iterations=ITERATIONS)
    assert status == "max_iterations"
    bodies = [json.loads(r.body) for r in loopback_server.requests if r.path == "/v1/chat/completions"]
    debate = [tokens(b) for b in bodies if purpose(b) == "debate turn"]
    decision = [tokens(b) for b in bodies if purpose(b) == "decision"]
    assert len(debate) == 4 * ITERATIONS
    first_turns = debate[::4]  # the Librarian opens each debate
    print("debate prompt per iteration:", first_turns, "decision prompts:", decision)  # noqa: T201
    # the history grows by one line an iteration while six are kept (measured: +40 tokens an iteration), then the
    # older ones fold into one digest line whose size does not depend on how many it covers (+16 once)
    early = first_turns[1] - first_turns[0]
    assert all(abs(b - a - early) <= 2 for a, b in zip(first_turns[:6], first_turns[1:7], strict=True))
    assert first_turns[7] - first_turns[6] < early / 2
    # the Manager's decider (a call and its reflection an iteration) keeps a window of 30 messages: once it is
    # full its prompts repeat exactly (measured 2,243 and 2,471 tokens from iteration 5 on)
    assert len(decision) == 2 * ITERATIONS and decision[-2:] == decision[-4:-2] == decision[-6:-4]
    usage = json.loads((run_dir / "summary.json").read_text())["brain_usage"]["per_iteration"]
    assert len(usage) == ITERATIONS + 1
    ledger = json.loads((run_dir / "state.json").read_text())["ledger"]
    from posttrain.run.ledger import Ledger

    history = Ledger.model_validate(ledger).history_text()
    assert history.splitlines()[1].startswith(f"iterations 1–{ITERATIONS - 6} (digest): sft×{ITERATIONS - 6}")
