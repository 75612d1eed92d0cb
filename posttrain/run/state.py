"""`state.json`: everything `posttrain resume` needs, as one typed model, written at every checkpoint.

`posttrain status`, the report and the exports read it through `read_state` too, so every reader agrees on what a
field means, and a file from another posttrain version is migrated or refused in one line (see `runfile`).
"""

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from posttrain.run.config import RunConfig
from posttrain.run.ledger import Ledger
from posttrain.run.runfile import load_model


STATE_VERSION = 1

# A state.json without a `version` (v0) was never written by a release (the loop wrote version 1 from the start), but
# hand-made and test files lack it; their layout is version 1's, with missing fields at their defaults.
STATE_MIGRATIONS = {0: lambda data: data}


class RunState(BaseModel):
    """The run at its last checkpoint."""

    version: int = Field(STATE_VERSION, description="The layout's version; see STATE_MIGRATIONS.")
    config: RunConfig
    base_model_path: str = Field(description="The base model the run trains from (a local folder).")
    ledger: Ledger = Field(default_factory=Ledger)
    work_team: dict[str, Any] | None = Field(None, description="The AgentChat work team's state at the last phase "
                                                                "boundary (its own format).")
    transcript_lines: int = Field(0, description="Lines of transcript.jsonl up to this checkpoint (resume cuts "
                                                 "back to them).")
    event_lines: int = Field(0, description="Lines of events.jsonl up to this checkpoint.")
    elapsed_s: float = Field(0.0, description="Wall time the run has used, over all its processes.")
    status: str = Field("running", description="running, goal_met, max_iterations, stopped, blocked, failed, budget, "
                                               "…")
    reason: str | None = Field(None, description="Why the run stopped, blocked or failed, in one line.")
    process: dict[str, Any] | None = Field(None, description="The process running it (liveness.this_process).")

    def to_json(self) -> dict:
        """What `write_json_atomic` writes. The team's state is passed through as AgentChat made it (not re-encoded
        by pydantic), so resume hands AgentChat back exactly what it saved."""
        data = self.model_dump(mode="json", exclude={"work_team"})
        data["work_team"] = self.work_team
        return data


def read_state(path: Path) -> RunState | None:
    """`RUN/state.json` as a RunState; None when the run has no checkpoint yet; ConfigError (one line) when it is
    corrupt, from a newer posttrain, or not a run state."""
    return load_model(path, RunState, STATE_VERSION, STATE_MIGRATIONS)
