"""Everything the report shows, read from a run directory as it is on disk (finished, running or killed).

state.json and summary.json are read through their models (`RunState`, `RunSummary`), so the report reads the same
fields as resume and `status` do, and a run file from another posttrain version is migrated or refused in one line;
a run without state.json (an old or partial run) shows what summary.json keeps. A torn last line of a log (kill -9)
is skipped.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from posttrain.orchestrator.transcript import Entry, read_transcript
from posttrain.run.config import RunConfig
from posttrain.run.ledger import IterationRecord, Ledger, Score
from posttrain.run.run_summary import RunSummary, read_summary
from posttrain.run.state import RunState, read_state


TRAINING_KEYS = ("loss", "reward", "kl", "entropy", "learning_rate")


def read_jsonl(path: Path) -> list[dict]:
    """Complete JSON lines of a log; a torn or corrupt line is skipped."""
    if not path.exists():
        return []
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.endswith("\n"):
                break
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return rows


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def iso_seconds(stamp: str | None) -> float | None:
    """Unix time of an ISO timestamp as AgentChat writes it (``2026-11-28T05:23:50.147004Z``)."""
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


@dataclass
class RunData:
    root: Path
    summary: RunSummary = field(default_factory=RunSummary)
    state: RunState | None = None
    entries: list[Entry] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    iterations: list[IterationRecord] = field(default_factory=list)
    _reports: dict[str, dict] = field(default_factory=dict)

    # -- paths ------------------------------------------------------------------------------------------------------
    def local(self, path: str | None) -> Path | None:
        """A path the run recorded, found again if the run directory was moved or copied since."""
        if not path:
            return None
        candidate = Path(path)
        if candidate.exists():
            return candidate
        marker = "/artifacts/"
        if marker in path:
            moved = self.root / "artifacts" / path.split(marker, 1)[1]
            if moved.exists():
                return moved
        return None

    def eval_report(self, path: str | None) -> dict:
        """An evaluation report (per-item records included), read once."""
        local = self.local(path)
        if local is None:
            return {}
        key = str(local)
        if key not in self._reports:
            self._reports[key] = read_json(local)
        return self._reports[key]

    def training_metrics(self, index: int) -> dict[str, list[dict]]:
        """Each training run of iteration `index` (artifacts/<k>/train-*/metrics.jsonl) → its logged rows."""
        folder = self.root / "artifacts" / str(index)
        return {path.parent.name: read_jsonl(path) for path in sorted(folder.glob("train-*/metrics.jsonl"))}

    def training_spec(self, index: int) -> dict:
        """The spec a training run of iteration `index` ran with (spec.json beside its metrics), or {}."""
        for path in sorted((self.root / "artifacts" / str(index)).glob("train-*/spec.json")):
            return read_json(path)
        return {}

    def eval_reports(self, index: int) -> list[Path]:
        return sorted((self.root / "artifacts" / str(index)).glob("eval/*.json"))

    # -- facts ------------------------------------------------------------------------------------------------------
    @property
    def ledger(self) -> Ledger:
        """The run's ledger; without state.json, one holding the iterations summary.json keeps (and no scores)."""
        return self.state.ledger if self.state else Ledger(iterations=self.iterations)

    @property
    def config(self) -> RunConfig | None:
        return self.state.config if self.state else None

    @property
    def status(self) -> str:
        if self.summary.status != "unknown":
            return self.summary.status
        return self.state.status if self.state else "unknown"

    @property
    def elapsed_s(self) -> float | None:
        return self.summary.elapsed_s or (self.state.elapsed_s if self.state else None)

    def best_before(self, index: int) -> tuple[int, Score] | None:
        """The best evaluation among the baseline and the iterations before `index` (what `index` was tested
        against), and where it came from (0 = the baseline)."""
        best, where = self.ledger.best(before=index)
        return (where, best) if best else None

    def best(self) -> tuple[int, Score] | None:
        best, where = self.ledger.best()
        return (where, best) if best else None


def load_run(root: str | Path) -> RunData:
    """The run in `root` as the report reads it; ConfigError (one line) when a run file cannot be read."""
    root = Path(root)
    summary, state = read_summary(root / "summary.json"), read_state(root / "state.json")
    transcript = root / "transcript.jsonl"
    run = RunData(root=root, summary=summary or RunSummary(), state=state,
                  entries=read_transcript(transcript) if transcript.exists() else [],
                  events=read_jsonl(root / "events.jsonl"))
    if state is not None:
        run.iterations = state.ledger.iterations
    else:  # no state.json (an old or partial run): what summary.json keeps
        run.iterations = [IterationRecord(index=it.index, plan=it.plan, decision=it.decision, dissent=it.dissent,
                                          comparison=it.comparison, duration_s=it.duration_s,
                                          **({"phase": it.phase} if it.phase else {}))
                          for it in run.summary.iterations]
    return run
