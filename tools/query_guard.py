"""Query-time block list: a query that looks up PostTrainBench itself, or solutions to its tasks, is refused before
any request is made, and the refusal is recorded for the audit.

The judges' rule is "no lookup of PostTrainBench itself or solutions to its tasks". So the built-in list blocks:

- PostTrainBench by name, however written ("PostTrainBench", "post-train bench", "Post Training Bench"), its
  organisation and repository (aisa-group), and its site (posttrainbench.com / .github.io);
- its leaderboard, results, scores and agent traces ("PTB leaderboard", "post-training ... leaderboard");
- a benchmark's test-set answers: "test set answers", "eval split solutions", "answer key", and the solutions of
  AIME 2025 (the whole contest is the test set).

Every search path checks here first: `tools/papers/search.py` (arXiv, Semantic Scholar, HF Papers),
`tools/papers/fetch.py` (every URL the papers tools request), `tools/hub/search.py` (Hub dataset search),
`tools/hub/report.py` (Hub dataset inspection) and `tools/data/discover.py` (Hub hits it would inspect).

Switch: ``POSTTRAIN_QUERY_BLOCKLIST`` (comma-separated). The entry ``ptb`` turns the built-in list on (`posttrain
ptb` always sets it); any other entry is an extra blocked term, matched case-, space- and punctuation-blind. Unset:
nothing is refused. Refusals are appended as JSON lines to ``POSTTRAIN_QUERY_LOG`` when set, else to the running
run's ``refused_queries.jsonl``; `posttrain audit` reads that file.

>>> os.environ["POSTTRAIN_QUERY_BLOCKLIST"] = "ptb"
>>> refusal_for("PostTrainBench leaderboard GSM8K", surface="papers.search").message()
"query refused: 'PostTrainBench leaderboard GSM8K' names PostTrainBench, which the task forbids looking up; ..."
"""

import json
import os
import re
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import unquote_plus

from posttrain.tools.errors import ToolError


ENV = "POSTTRAIN_QUERY_BLOCKLIST"
LOG_ENV = "POSTTRAIN_QUERY_LOG"
BUILTIN = "ptb"
LOG_NAME = "refused_queries.jsonl"


@dataclass(frozen=True)
class Rule:
    """One blocked kind of lookup: what it names (for the message) and how it is recognised."""

    names: str
    pattern: re.Pattern | None = None
    squashed: tuple[str, ...] = ()  # substrings of the query lower-cased with everything but [a-z0-9] removed

    def hit(self, text: str, squashed: str) -> str | None:
        for term in self.squashed:
            if term in squashed:
                return term
        if self.pattern is not None and (match := self.pattern.search(text)):
            return match.group(0)
        return None


NAMES_PTB = "names PostTrainBench"
PTB_RULES = (
    # spacing, dashes and case cannot hide the name: the squashed query is searched
    Rule(NAMES_PTB, squashed=("posttrainbench", "posttrainingbench", "aisagroup")),
    Rule("asks for PostTrainBench's leaderboard, results or traces", re.compile(
        r"\bptb\b.{0,40}\b(?:leaderboards?|traces?|results?|scores?|agents?|runs?)\b"
        r"|\bpost[\s_-]?train\w*.{0,40}\bleaderboards?\b", re.I | re.S)),
    Rule("asks for a benchmark's test-set answers", re.compile(
        r"\b(?:test|eval(?:uation)?)[\s_-]*(?:set|split|data|items?|questions?)?\W{0,3}"
        r"(?:answers?|solutions?|labels?)\b|\banswer[\s_-]?keys?\b", re.I)),
    Rule("asks for solutions to AIME 2025 (the task's test set)", re.compile(
        r"\baime\W*(?:20)?25\b.{0,40}\b(?:answers?|solutions?|solved)\b"
        r"|\b(?:answers?|solutions?)\b.{0,40}\baime\W*(?:20)?25\b", re.I | re.S)),
)
PTB_DOMAINS = ("posttrainbench.com", "posttrainbench.github.io")


class QueryRefused(ToolError):
    """A lookup the block list forbids; nothing was sent."""

    def __init__(self, refusal: "Refusal"):
        super().__init__(refusal.message())
        self.refusal = refusal


@dataclass(frozen=True)
class Refusal:
    """A refused query, as recorded for the audit."""

    surface: str  # which search path refused it: papers.search, papers.fetch, hub.search_datasets, ...
    query: str
    names: str
    term: str
    at: float

    def message(self) -> str:
        return (f"query refused: {self.query[:120]!r} {self.names} ({self.term!r}), which the task forbids looking "
                "up; nothing was sent")


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def active_rules(env: dict | None = None) -> tuple[Rule, ...]:
    """The rules switched on by POSTTRAIN_QUERY_BLOCKLIST (empty when unset)."""
    entries = [e.strip() for e in (env if env is not None else os.environ).get(ENV, "").split(",") if e.strip()]
    rules: list[Rule] = []
    extra = tuple(s for s in (_squash(e) for e in entries if e.lower() != BUILTIN) if s)
    if any(e.lower() == BUILTIN for e in entries):
        rules += PTB_RULES
    if extra:
        rules.append(Rule("is on the user's query block list", squashed=extra))
    return tuple(rules)


def enabled() -> bool:
    return bool(active_rules())


def match(text: str, rules: tuple[Rule, ...] = PTB_RULES) -> tuple[str, str] | None:
    """(what it names, the term hit) for the first rule `text` hits, or None. URLs are checked decoded."""
    decoded = unquote_plus(text)
    squashed = _squash(decoded)
    for rule in rules:
        if term := rule.hit(decoded, squashed):
            return rule.names, term
    return None


def refusal_for(query: str, *, surface: str) -> Refusal | None:
    """A recorded Refusal when the active block list forbids `query`, else None (nothing recorded)."""
    found = match(query, active_rules())
    if found is None:
        return None
    refusal = Refusal(surface=surface, query=query, names=found[0], term=found[1], at=time.time())
    record(refusal)
    return refusal


def guard(query: str, *, surface: str) -> None:
    """Raise QueryRefused (after recording it) when the active block list forbids `query`."""
    if refusal := refusal_for(query, surface=surface):
        raise QueryRefused(refusal)


_lock = threading.Lock()
# The running run's folder, told by the run layer (`posttrain.run.context.set_current_run`): tools sit below the run
# and never import it, so the run hands its folder down instead of this module reaching up for it.
_run_dir: Path | None = None


def set_run_dir(run_dir: Path | None) -> None:
    """Record refusals in `run_dir`/refused_queries.jsonl from now on (None: no run in progress)."""
    global _run_dir
    _run_dir = Path(run_dir) if run_dir is not None else None


def log_path() -> Path | None:
    """Where refusals go: POSTTRAIN_QUERY_LOG, else the running run's refused_queries.jsonl, else nowhere (a CLI
    search outside a run: the refusal is still the answer)."""
    if os.environ.get(LOG_ENV):
        return Path(os.environ[LOG_ENV])
    return _run_dir / LOG_NAME if _run_dir is not None else None


def record(refusal: Refusal) -> None:
    path = log_path()
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock, path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(asdict(refusal)) + "\n")


def read_refusals(run_dir: str | Path) -> list[dict]:
    """The refusals recorded in a run (lines cut by a kill are skipped)."""
    path = Path(run_dir) / LOG_NAME
    found = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return found
