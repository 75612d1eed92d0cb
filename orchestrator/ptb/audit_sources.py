"""Provenance audit: no hosted model made training data, and no agent looked up the benchmark's leaderboard.

- hosted API: the run's dataset cards (sources, generation, transformations) and its teacher must name no hosted
  model endpoint. The brain may be hosted (it is the agent deciding what to do); it must not be a data source.
- benchmark lookup: every tool call in `transcript.jsonl` (the Librarian's and DataEngineer's searches included)
  is matched against a block list of PostTrainBench pages, leaderboards and traces.
"""

import json
import re
from pathlib import Path
from typing import Any

from posttrain.orchestrator.ptb.checks import Check


HOSTED = re.compile(
    r"api\.openai\.com|openrouter\.ai|api\.anthropic\.com|generativelanguage\.googleapis\.com"
    r"|router\.huggingface\.co|api-inference\.huggingface\.co|api\.together\.(?:xyz|ai)|api\.groq\.com"
    r"|api\.mistral\.ai|api\.deepseek\.com|api\.x\.ai|bedrock|azure\.com/openai"
    r"|\b(?:openai|anthropic|hf|together|openrouter|gemini|groq|mistral|deepseek):[\w./-]+"
    r"|\bgpt-(?:3\.5|4|4o|4\.1|5)[\w.-]*|\bo[134]-(?:mini|preview)\b|\bclaude-[\w.-]+|\bgemini-[\d.]+[\w.-]*",
    re.I)
# squashed (lower case, letters and digits only) so spacing, dashes and case cannot hide a term
BLOCKED_SQUASHED = ("posttrainbench", "posttrainingbench", "aisagroup", "ptbleaderboard", "ptbtrace")
BLOCKED_PATTERNS = (re.compile(r"\bptb\b.{0,40}\b(?:leaderboard|traces?|results?|scores?)\b", re.I),
                    re.compile(r"post[\s_-]?train\w*.{0,40}\bleaderboard", re.I))
BLOCKED_DOMAINS = ("posttrainbench.com", "posttrainbench.github.io")


def blocked_term(text: str) -> str | None:
    """The block-list term `text` hits, or None."""
    squashed = re.sub(r"[^a-z0-9]", "", text.lower())
    for term in BLOCKED_SQUASHED:
        if term in squashed:
            return term
    for pattern in BLOCKED_PATTERNS:
        if match := pattern.search(text):
            return match.group(0)
    return None


def _card_header(path: Path) -> dict[str, Any]:
    import yaml

    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return {}
    try:
        header = yaml.safe_load(text.split("---", 2)[1]) or {}
    except yaml.YAMLError:
        return {}
    return header if isinstance(header, dict) else {}


def check_hosted_api(run_dir: Path, config: dict) -> Check:
    cards = sorted(Path(run_dir, "artifacts").glob("*/**/README.md"))
    hits: list[str] = []
    for card in cards:
        info = _card_header(card).get("posttrain") or {}
        record = {key: info.get(key) for key in ("sources", "generation", "transformations", "teacher")}
        for match in HOSTED.finditer(json.dumps(record, default=str)):
            hits.append(f"{card.relative_to(run_dir)}: {match.group(0)}")
    teacher = config.get("teacher") or ""
    if teacher and HOSTED.search(teacher):
        hits.append(f"the run's teacher {teacher}")
    brain = str(config.get("brain") or "offline")
    details = {"cards": [str(c.relative_to(run_dir)) for c in cards], "teacher": teacher or None, "brain": brain,
               "hits": hits[:20],
               "note": "the brain decides and calls tools; it is not a data source (no tool writes its text as rows)"}
    if hits:
        return Check(name="hosted_api", status="fail", details=details,
                     summary=f"hosted model used for data: {'; '.join(dict.fromkeys(hits[:3]))}",
                     fix="rebuild that data from local sources or a local teacher (--teacher PATH) and retrain")
    return Check(name="hosted_api", status="pass", details=details,
                 summary=f"{len(cards)} dataset card(s) and the teacher name no hosted model (brain {brain})")


def tool_calls(run_dir: Path) -> list[dict[str, Any]]:
    """Every tool call in the transcript: source agent, tool, arguments, iteration."""
    path = Path(run_dir, "transcript.jsonl")
    calls = []
    if not path.is_file():
        return calls
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by a kill
        if record.get("type") != "ToolCallRequestEvent":
            continue
        for call in record.get("content") or []:
            calls.append({"source": record.get("source"), "tool": call.get("name"),
                          "arguments": str(call.get("arguments", "")), "iteration": record.get("iteration")})
    return calls


def check_benchmark_lookup(run_dir: Path) -> Check:
    from posttrain.tools.papers import Blocklist

    calls = tool_calls(run_dir)
    hits = []
    for call in calls:
        term = blocked_term(call["arguments"])
        if term:
            hits.append(f"{call['source']} {call['tool']}({call['arguments'][:80]}) in iteration "
                        f"{call['iteration']}: {term!r}")
    papers = Blocklist.from_env()
    enforced = [d for d in BLOCKED_DOMAINS if d in papers.domains]
    details = {"tool_calls": len(calls), "hits": hits[:20], "blocked_terms": list(BLOCKED_SQUASHED),
               "papers_blocklist_domains": enforced,
               "note": "tools/papers blocks domains and paper ids at request time (POSTTRAIN_PAPERS_BLOCKLIST); it "
                       "has no query-term block list, so query terms are audited here after the fact"}
    if hits:
        return Check(name="benchmark_lookup", status="fail", details=details,
                     summary=f"{len(hits)} tool call(s) asked for PostTrainBench: {hits[0]}",
                     fix="the run looked the benchmark up; judges zero such runs: redo the run without that query")
    return Check(name="benchmark_lookup", status="pass", details=details,
                 summary=f"{len(calls)} tool call(s), none asked for PostTrainBench pages, leaderboards or traces")
