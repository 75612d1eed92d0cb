"""A benchmark with no training data anywhere (a user JSONL file, no --train-data, no --teacher, Hub offline): the run
stops as *blocked* with exit code 3 and a one-line reason, claims no training and does not retry; `resume` without
data refuses in one line; `resume --train-data FILE` redoes the blocked iteration with that file and finishes.

Real components throughout: the offline playbook brain, the tiny model, the file benchmark, Ray, TRL.
"""

import contextlib
import io
import json
import random
import string
from dataclasses import dataclass
from pathlib import Path

import pytest

from posttrain.orchestrator.cli import main


pytestmark = pytest.mark.slow  # the blocked run ~25 s, the resumed one with training ~80 s on 2 CPUs


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(*args: str) -> CliResult:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return CliResult(code, out.getvalue(), err.getvalue())


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def tool_calls(lines: list[dict], name: str) -> list[dict]:
    return [{"iteration": line["iteration"], **json.loads(call["arguments"])} for line in lines
            if line["type"] == "ToolCallRequestEvent" for call in line["content"] if call["name"] == name]


def reverse_task(root: Path) -> tuple[Path, Path]:
    """A tiny task the team has no data for: reverse a 3-letter word. 40 eval items, 200 disjoint train rows."""
    rng = random.Random(7)
    words: set[str] = set()
    while len(words) < 240:
        words.add("".join(rng.choice(string.ascii_lowercase) for _ in range(3)))
    ordered = sorted(words)
    rng.shuffle(ordered)
    bench, train = root / "reverse_bench.jsonl", root / "reverse_train.jsonl"
    for path, chunk in ((bench, ordered[:40]), (train, ordered[40:])):
        path.write_text("".join(json.dumps({"question": f"reverse {w}", "answer": w[::-1]}) + "\n" for w in chunk))
    return bench, train


@pytest.fixture(scope="module")
def blocked(tmp_path_factory):
    """The blocked run, once for the module: (result, run_dir, bench, train)."""
    import ray

    ray.shutdown()  # no cluster left by an earlier in-process test is shared with this run
    root = tmp_path_factory.mktemp("blocked")
    bench, train = reverse_task(root)
    run_dir = root / "run"
    result = run_cli("run", f"Reach 50% on {bench}", "--benchmark", str(bench), "--max-iterations", "1",
                     "--playbook-scale", "0.1", "--run-dir", str(run_dir))
    yield result, run_dir, bench, train
    ray.shutdown()


def test_no_data_anywhere_blocks_with_exit_3_and_one_line_reason(blocked):
    result, run_dir, _, _ = blocked
    summary = json.loads((run_dir / "summary.json").read_text())
    state = json.loads((run_dir / "state.json").read_text())
    assert summary["status"] == "blocked" and state["status"] == "blocked", (summary["status"], state["status"])
    for reason in (summary["reason"], state["reason"]):
        assert reason and "\n" not in reason
        assert "--train-data" in reason and "--teacher" in reason
    assert "Traceback" not in result.out + result.err
    assert "blocked" in result.out
    assert result.code == 3, f"a blocked run must exit 3, got {result.code} (summary status {summary['status']!r})"


def test_blocked_run_claims_no_training_and_does_not_retry(blocked):
    _, run_dir, _, _ = blocked
    summary = json.loads((run_dir / "summary.json").read_text())
    ledger = json.loads((run_dir / "state.json").read_text())["ledger"]

    # one work iteration, blocked before training; no second attempt (at a lower learning rate or otherwise)
    assert [it["index"] for it in ledger["iterations"]] == [0, 1]
    it = ledger["iterations"][1]
    assert it["blocked"] and it["dataset"] is None and it["training"] is None and it["evaluation"] is None
    record = summary["iterations"][-1]
    assert record["index"] == 1 and record["training"] is None and record["scores"] == {}
    assert record["blocked"] == summary["reason"]
    assert summary["best"] is None or summary["best"].get("iteration") in (0, None)
    assert not list((run_dir / "artifacts").glob("1/train-*")), "no training output may exist for a blocked run"

    lines = read_jsonl(run_dir / "transcript.jsonl")
    assert tool_calls(lines, "launch_training") == []
    assert tool_calls(lines, "build_dataset") == []
    assert [c["iteration"] for c in tool_calls(lines, "find_training_data")] == [1]
    work = [line for line in lines if line["iteration"] == 1 and line["phase"] == "work"]
    assert not any(line["source"] == "Trainer" for line in work), "the Trainer must not speak in a blocked iteration"
    text = "\n".join(str(line.get("content", "")) for line in work).lower()
    for claim in ("succeeded", "sft succeeded", "trained for", "checkpoint", "loss "):
        assert claim not in text, f"the blocked iteration's transcript claims training: {claim!r}"
    everything = "\n".join(str(line.get("content", "")) for line in lines).lower()
    assert "retry at lr" not in everything and "half the learning rate" not in everything
    assert len(tool_calls(lines, "record_decision")) == 1, "one decision, no retry"


def test_resume_of_a_blocked_run_without_data_is_one_line_exit_2(blocked):
    _, run_dir, _, _ = blocked
    files = [run_dir / name for name in ("state.json", "summary.json", "transcript.jsonl")]
    before = {p: p.read_bytes() for p in files}
    result = run_cli("resume", str(run_dir))
    assert result.code == 2
    err = result.err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    assert "blocked" in err and "--train-data" in err and "--teacher" in err
    assert "Traceback" not in result.out + result.err
    assert {p: p.read_bytes() for p in before} == before, "a refused resume must change nothing"


def test_resume_with_train_data_redoes_the_blocked_iteration(blocked, ray_cluster):
    _, run_dir, bench, train = blocked
    result = run_cli("resume", str(run_dir), "--train-data", str(train))
    summary = json.loads((run_dir / "summary.json").read_text())
    assert result.code == 0, (result.code, summary.get("status"), summary.get("reason"), result.err[-2000:])
    state = json.loads((run_dir / "state.json").read_text())
    # its one iteration done: the 50% goal met, or not yet (either ends the run normally)
    assert summary["status"] == state["status"] and state["status"] in ("max_iterations", "goal_met"), summary
    if state["status"] == "goal_met":
        assert summary["best"]["score"] >= 0.5
    assert state["reason"] is None and summary["reason"] is None
    assert str(train) in state["config"]["train_data"]
    assert summary["objective"]["train_data"] == summary["train_data"] == state["config"]["train_data"]

    # the same iteration 1, redone: no third iteration, no longer blocked
    ledger = state["ledger"]
    assert [it["index"] for it in ledger["iterations"]] == [0, 1]
    it = ledger["iterations"][1]
    assert it["blocked"] is None and it["phase"] == "done"
    assert it["training"]["status"] == "succeeded" and it["evaluation"] is not None

    # the dataset came from the file given, and its card lists it
    dataset = it["dataset"]
    import pyarrow.parquet as pq

    held_out = pq.read_metadata(dataset["splits"]["validation"]).num_rows  # the Trainer's validation split
    assert held_out > 0 and dataset["n_rows"] + held_out == 200
    assert any(source.startswith(str(train)) for source in dataset["sources"]), dataset["sources"]
    assert Path(dataset["path"]).is_relative_to(run_dir) and Path(dataset["path"]).exists()
    card = Path(dataset["card_path"]).read_text()
    assert str(train) in card

    # training ran and an evaluation was recorded for iteration 1
    record = summary["iterations"][-1]
    assert record["index"] == 1 and record["blocked"] is None
    assert record["training"]["status"] == "succeeded" and record["training"]["method"] == "sft"
    assert Path(record["training"]["checkpoint"]).is_dir()
    assert str(bench) in record["scores"] and 0.0 <= record["scores"][str(bench)] <= 1.0
    assert record["ci95"] is not None

    lines = read_jsonl(run_dir / "transcript.jsonl")
    assert [c["iteration"] for c in tool_calls(lines, "launch_training")] == [1]
    assert [c["iteration"] for c in tool_calls(lines, "build_dataset")] == [1]
    assert [c["iteration"] for c in tool_calls(lines, "evaluate_checkpoint")] == [0, 1]
    built = tool_calls(lines, "build_dataset")[0]["spec"]
    assert [s.get("path") for s in built["sources"]] == [str(train)]
    assert "retry at lr" not in "\n".join(str(line.get("content", "")) for line in lines).lower()
