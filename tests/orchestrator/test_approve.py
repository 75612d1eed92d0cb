"""--approve: the user sees the Manager's plan and can refuse it; the run stops resumable, nothing trained."""

import json

from posttrain.orchestrator import session
from posttrain.run.config import RunConfig


def test_rejected_plan_stops_before_any_work(tmp_path):
    seen = []
    config = RunConfig(goal="Teach the base model 2-digit addition", benchmark="arithmetic:digits=2,n_eval=40",
                       max_iterations=1, run_dir=str(tmp_path / "run"))
    status = session.start(config, approve=lambda decision: seen.append(decision) or False)
    assert status == "stopped"
    assert seen and seen[0].startswith("SFT from the base model")
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["status"] == "stopped" and summary["baseline"]["n"] == 40
    last = summary["iterations"][-1]
    assert last["index"] == 1 and last["phase"] == "work" and last["training"] is None
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert state["ledger"]["iterations"][1]["plan"]["method"] == "sft"
    lines = (tmp_path / "run" / "transcript.jsonl").read_text().splitlines()
    assert len(lines) == state["transcript_lines"], "the stop checkpoint covers every line written"
