"""An LLM brain runs the whole loop: a scripted OpenAI-compatible server on loopback plays every role of a 2-iteration
run — debaters answer, the Manager's decider records plans the offline playbook would not choose, the delegator
hands the work to each specialist in turn, and the specialists call their tools with the script's arguments. The run
(tiny model, Ray, TRL, evaluation; all real, on CPU) must execute exactly what the script decided.

The server answers from the request alone: which tools the agent is offered tells the role (no tools: a debater or
the delegator, told apart by the system prompt), and a tool result as the last message gets a short text back."""

import json
from pathlib import Path

import pytest

from tests.conftest import Recorded


BENCH = "arithmetic:digits=2,ops=+,n_eval=50"
ORDER = ["Librarian", "DataEngineer", "Trainer", "Evaluator"]
# Iteration 1: SFT from the base model (the playbook plans 10 epochs at lr 0.01 on 1,000 rows with no step cap).
PLAN_1 = {"decision": "SFT from the base model on 300 rows, LIMA-style: few rows, many passes.", "method": "sft",
          "init_from": "base", "max_steps": 24, "epochs": 30.0, "learning_rate": 0.02, "n_train": 300,
          "technique": "LIMA", "paper": "arxiv:2305.11206", "adopted_from": "Trainer",
          "rationale": "baseline 0.000: teach the format with a small curated set",
          "dissent": ["DataEngineer: more rows"]}
# Iteration 2: a different decision: continue from the best checkpoint, a fixed step count, a lower learning rate.
PLAN_2 = {"decision": "Continue SFT from the best checkpoint for 12 steps at lr 0.005 on 200 rows.", "method": "sft",
          "init_from": "best", "max_steps": 12, "learning_rate": 0.005, "n_train": 200, "technique": "",
          "adopted_from": "Manager", "rationale": "the loss was still falling", "dissent": []}
INVALID = {**PLAN_1, "learning_rate": 5.0}  # outside (0, 1): the tool answers with the validation error


def completion(message: dict, finish: str = "stop") -> Recorded:
    body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "scripted",
            "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}
    return Recorded(200, json.dumps(body).encode())


def text(content: str) -> Recorded:
    return completion({"content": content})


class ScriptedTeam:
    """The whole team's model, scripted. `decisions[k]` are the record_decision arguments the decider tries, in
    turn, after debate k+1; `work=False` makes the delegator end each work phase at once (no training)."""

    def __init__(self, decisions: list[list[dict]], work: bool = True):
        self.decisions, self.work = decisions, work
        self.debates = 0
        self.tries: list[dict] = []
        self.plan: dict | None = None  # the last plan the decider sent
        self.calls = 0

    def tool_call(self, name: str, arguments: dict) -> Recorded:
        self.calls += 1
        call = {"id": f"call_{self.calls}", "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)}}
        return completion({"content": None, "tool_calls": [call]}, finish="tool_calls")

    def __call__(self, request) -> Recorded:
        body = json.loads(request.body)
        messages = body["messages"]
        system = messages[0]["content"] if messages[0]["role"] == "system" else ""
        tools = {t["function"]["name"] for t in body.get("tools", [])}
        last = messages[-1]
        if "repeats your previous turn" in str(last["content"]):  # posttrain's loop guard: say something new
            return text("Same result as last iteration; nothing new to add.")
        if "record_decision" in tools:
            return self.decide(last)
        if last["role"] == "tool":  # a tool result: the next step, or a short report (also the reflection call)
            called = messages[-2]["tool_calls"][0]["function"]["name"]
            if called == "find_training_data" and "build_dataset" in tools:
                return self.tool_call("build_dataset", {"spec": self.build_spec()})
            return text(f"{called} done: {last['content'][:300]}")
        if "find_techniques" in tools:
            return self.tool_call("find_techniques", {"query": f"{self.plan['technique'] or 'SFT'} small data"})
        if "find_training_data" in tools:
            return self.tool_call("find_training_data", {"fmt": "sft"})
        if "launch_training" in tools:
            keys = ("method", "max_steps", "learning_rate", "init_from", "epochs")
            return self.tool_call("launch_training", {k: self.plan[k] for k in keys if self.plan.get(k) is not None})
        if "evaluate_checkpoint" in tools:
            return self.tool_call("evaluate_checkpoint", {})
        if "in the debate" in system:
            name = system.split("You are the ", 1)[1].split(" of posttrain", 1)[0]
            return text(f"{name}: the baseline is measured; I propose SFT on a few hundred rows.")
        if "You are the Manager" in system:
            return self.delegate(messages)
        return text("Nothing to add.")

    def decide(self, last: dict) -> Recorded:
        if last["role"] != "tool":  # a new debate was heard: start this iteration's tries
            self.tries = list(self.decisions[self.debates])
            self.debates += 1
        elif "invalid plan" not in last["content"] or not self.tries:
            return text("Decision recorded.")
        self.plan = self.tries.pop(0)
        return self.tool_call("record_decision", self.plan)

    def delegate(self, messages: list[dict]) -> Recorded:
        """@ the first specialist that has not reported since the latest task, else TERMINATE."""
        start = max(i for i, m in enumerate(messages) if str(m["content"]).startswith("user said:\nIteration "))
        task = messages[start]["content"]
        order = ["Evaluator"] if "baseline" in task else ORDER if self.work else []
        reported = {m["content"].split(" said:", 1)[0] for m in messages[start + 1:] if m["role"] == "user"}
        todo = [name for name in order if name not in reported]
        return text(f"@{todo[0]} please do your part of the plan." if todo else "All steps done. TERMINATE")

    def build_spec(self) -> dict:
        """The DataEngineer's own build: the benchmark's generator, `n_train` rows, no mapping."""
        n = self.plan["n_train"]
        return {"name": f"scripted-{n}", "format": "sft", "total": n, "decontaminate_against": [],
                "sources": [{"benchmark": BENCH, "n": n + 100, "seed": 11}]}


def start_run(loopback_server, tmp_path: Path, script: ScriptedTeam, max_iterations: int) -> tuple[str, Path]:
    from posttrain.orchestrator import session
    from posttrain.run.config import RunConfig

    loopback_server.route("/v1/models", Recorded(200, b'{"object": "list", "data": [{"id": "scripted"}]}'))
    loopback_server.route("/v1/chat/completions", script, method="POST")
    run_dir = tmp_path / "run"
    config = RunConfig(goal="Teach the base model 2-digit addition", benchmark=BENCH, base_model="tiny",
                       brain=f"vllm:scripted@{loopback_server.url}", max_iterations=max_iterations,
                       run_dir=str(run_dir))
    return session.start(config), run_dir


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def calls(lines: list[dict], name: str) -> list[dict]:
    """(iteration, arguments) of every call of one tool in the transcript."""
    return [{"iteration": line["iteration"], **json.loads(c["arguments"])}
            for line in lines if line["type"] == "ToolCallRequestEvent" for c in line["content"] if c["name"] == name]


def card_header(path: str) -> dict:
    """The `posttrain:` block of a dataset card's YAML header."""
    import yaml

    return yaml.safe_load(Path(path).read_text().split("---")[1])["posttrain"]


def plan_fields(plan: dict) -> dict:
    return {k: v for k, v in plan.items() if k not in ("decision", "dissent")}


@pytest.mark.slow
def test_an_llm_brain_runs_two_iterations_of_its_own_plans(loopback_server, tmp_path, ray_cluster):
    script = ScriptedTeam([[PLAN_1], [PLAN_2]])
    status, run_dir = start_run(loopback_server, tmp_path, script, max_iterations=2)
    summary = json.loads((run_dir / "summary.json").read_text())
    lines = read_jsonl(run_dir / "transcript.jsonl")
    assert status == "max_iterations" and summary["status"] == "max_iterations", summary.get("reason")

    # The scripted plans (not the playbook's: see the fallback test) are the plans the run recorded and executed.
    iterations = summary["iterations"][1:]
    assert [it["index"] for it in iterations] == [1, 2] and summary["baseline"]["n"] == 50
    for it, sent in zip(iterations, (PLAN_1, PLAN_2), strict=True):
        assert {k: it["plan"][k] for k in plan_fields(sent)} == plan_fields(sent)
        assert it["decision"] == sent["decision"] and it["dissent"] == sent["dissent"]
        assert 0.0 <= it["scores"][BENCH] <= 1.0 and it["ci95"] is not None  # a score for each iteration
        assert it["training"]["status"] == "succeeded" and it["training"]["method"] == "sft"
    ledger = json.loads((run_dir / "state.json").read_text())["ledger"]

    # Each tool ran with the script's arguments, in each iteration, in the delegated order.
    trained = calls(lines, "launch_training")
    assert [(c["iteration"], c["method"], c["learning_rate"], c["init_from"], c["max_steps"]) for c in trained] == \
        [(1, "sft", 0.02, "base", 24), (2, "sft", 0.005, "best", 12)]
    assert trained[0]["epochs"] == 30.0 and "epochs" not in trained[1]
    assert [c["iteration"] for c in calls(lines, "evaluate_checkpoint")] == [0, 1, 2]
    assert [c["iteration"] for c in calls(lines, "find_training_data")] == [1, 2]
    assert [c["spec"]["total"] for c in calls(lines, "build_dataset")] == [300, 200]
    assert [c["iteration"] for c in calls(lines, "find_techniques")] == [1, 2]
    work = [line["content"] for line in lines if line["source"] == "Manager" and line["type"] == "TextMessage"
            and line["phase"] == "work" and line["iteration"] == 1]
    assert [w.split()[0] for w in work] == ["@Librarian", "@DataEngineer", "@Trainer", "@Evaluator", "All"]
    assert work[-1].endswith("TERMINATE")

    # The dataset built is the DataEngineer's own spec: name, source (with the script's seed) and size, in the card.
    for it, n in zip(ledger["iterations"][1:], (300, 200), strict=True):
        dataset = it["dataset"]
        card = card_header(dataset["card_path"])
        assert card["name"] == f"scripted-{n}" and card["sources"] == [f"benchmark:{BENCH}@seed=11,teacher_noise=0.0"]
        assert card["n_rows"] == dataset["n_rows"] and n * 0.9 <= dataset["n_rows"] <= n, card["counts"]
        assert card["counts"]["after_mix"] == n and Path(dataset["path"]).is_relative_to(run_dir)
    # epochs 30 over ~300 rows at 64 a step is 141 steps: the plan's max_steps caps it, as the plan says
    assert [it["training"]["steps"] for it in iterations] == [24, 12]

    # Debaters spoke as the LLM, and nothing fell back to the playbook or was completed for the brain.
    debate = [line for line in lines if line["phase"] == "debate" and line["type"] == "TextMessage"]
    assert {line["source"] for line in debate} >= set(ORDER)
    assert not any("no valid decision" in str(line["content"]) for line in lines)
    events = (run_dir / "events.jsonl").read_text()
    assert "playbook" not in events and "evaluating directly" not in events


def test_an_invalid_plan_is_corrected_after_the_error(loopback_server, tmp_path):
    valid = {**PLAN_1, "learning_rate": 0.03}
    script = ScriptedTeam([[INVALID, valid]], work=False)
    status, run_dir = start_run(loopback_server, tmp_path, script, max_iterations=1)
    assert status == "max_iterations"
    lines = read_jsonl(run_dir / "transcript.jsonl")
    errors = [r for line in lines if line["type"] == "ToolCallExecutionEvent" for r in line["content"]
              if r["name"] == "record_decision" and r["is_error"]]
    assert len(errors) == 1 and "learning_rate" in errors[0]["content"]
    assert [c["learning_rate"] for c in calls(lines, "record_decision")] == [5.0, 0.03]
    plan = json.loads((run_dir / "summary.json").read_text())["iterations"][-1]["plan"]
    assert {k: plan[k] for k in plan_fields(valid)} == plan_fields(valid)
    assert not any("no valid decision" in str(line["content"]) for line in lines)
    assert "playbook" not in (run_dir / "events.jsonl").read_text()


def test_two_invalid_plans_fall_back_to_the_playbook(loopback_server, tmp_path):
    from posttrain.run.ledger import Plan

    script = ScriptedTeam([[INVALID, {**INVALID, "n_train": 0}]], work=False)
    status, run_dir = start_run(loopback_server, tmp_path, script, max_iterations=1)
    assert status == "max_iterations"
    lines = read_jsonl(run_dir / "transcript.jsonl")
    assert len(calls(lines, "record_decision")) == 2
    said = [line["content"] for line in lines if line["source"] == "Manager" and line["type"] == "TextMessage"
            and line["phase"] == "debate"]
    assert any("using the offline playbook's plan" in s for s in said)
    iteration = json.loads((run_dir / "summary.json").read_text())["iterations"][-1]
    assert "the playbook's plan is used" in iteration["decision"]
    # the plan recorded is the one the playbook announced, not either invalid one
    assert Plan.model_validate(iteration["plan"]).describe() in iteration["decision"]
    assert iteration["plan"]["technique"] != INVALID["technique"] and iteration["plan"]["learning_rate"] < 1
    assert "playbook" in (run_dir / "events.jsonl").read_text()
