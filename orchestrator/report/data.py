"""Everything the report shows, read from a run directory as it is on disk (finished, running or killed).

Nothing here needs the run to be importable as objects: the ledger is read as plain JSON from state.json, so a
report renders for any run a user can `transcript show`, and a torn last line of a log (kill -9) is skipped.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from posttrain.orchestrator.transcript import Entry, read_transcript


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
    summary: dict
    state: dict
    ledger: dict
    entries: list[Entry]
    events: list[dict]
    iterations: list[dict] = field(default_factory=list)
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

    def training_spec(self, it: dict) -> dict:
        """The spec a training run of this iteration ran with (spec.json beside its metrics), or {}."""
        for path in sorted((self.root / "artifacts" / str(it.get("index", 0))).glob("train-*/spec.json")):
            return read_json(path)
        return {}

    def eval_reports(self, index: int) -> list[Path]:
        return sorted((self.root / "artifacts" / str(index)).glob("eval/*.json"))

    # -- facts ------------------------------------------------------------------------------------------------------
    @property
    def config(self) -> dict:
        return self.state.get("config") or {}

    @property
    def status(self) -> str:
        return self.summary.get("status") or self.state.get("status") or "unknown"

    def best_before(self, index: int) -> tuple[int, dict] | None:
        """The best evaluation among the baseline and the iterations before `index` (what `index` was tested
        against)."""
        best: tuple[int, dict] | None = None
        if self.ledger.get("baseline"):
            best = (0, self.ledger["baseline"])
        for it in self.iterations:
            if it.get("index", 0) <= 0 or it["index"] >= index or not it.get("evaluation"):
                continue
            if best is None or it["evaluation"]["score"] > best[1]["score"]:
                best = (it["index"], it["evaluation"])
        return best

    def best(self) -> tuple[int, dict] | None:
        return self.best_before(10**9)


def load_run(root: str | Path) -> RunData:
    root = Path(root)
    summary = read_json(root / "summary.json")
    state = read_json(root / "state.json")
    ledger = state.get("ledger") or {}
    transcript = root / "transcript.jsonl"
    entries = read_transcript(transcript) if transcript.exists() else []
    run = RunData(root=root, summary=summary, state=state, ledger=ledger, entries=entries,
                  events=read_jsonl(root / "events.jsonl"))
    if ledger.get("iterations"):
        run.iterations = ledger["iterations"]
    else:  # no state.json (an old or partial run): what summary.json keeps
        run.iterations = [{"index": it.get("index"), "phase": it.get("phase"), "plan": it.get("plan"),
                           "decision": it.get("decision", ""), "dissent": it.get("dissent", []),
                           "comparison": it.get("comparison"), "duration_s": it.get("duration_s", 0.0)}
                          for it in summary.get("iterations", [])]
    return run
