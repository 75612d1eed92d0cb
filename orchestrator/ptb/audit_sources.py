"""Provenance audit: no hosted model made training data, and no agent looked up the benchmark's leaderboard.

- hosted API: the run's dataset cards (sources, generation, transformations) and its teacher must name no hosted
  model endpoint. The brain may be hosted (it is the agent deciding what to do); it must not be a data source.
- benchmark lookup: every tool call in `transcript.jsonl` (the Librarian's and DataEngineer's searches included)
  is matched against the query block list (tools/query_guard.py); a match the guard refused at query time (on
  record in `refused_queries.jsonl`) is clean, a match that was sent is a violation.
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


def blocked_term(text: str) -> str | None:
    """The built-in block-list term `text` hits (tools/query_guard's PostTrainBench rules), or None."""
    from posttrain.tools.query_guard import match

    found = match(text)
    return found[1] if found else None


def card_header(path: Path) -> dict[str, Any]:
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
        info = card_header(card).get("posttrain") or {}
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


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def check_benchmark_lookup(run_dir: Path) -> Check:
    """A blocked tool call the query guard refused (RUN/refused_queries.jsonl) is clean: nothing was sent. A blocked
    call with no refusal on record reached the network: that is the violation."""
    from posttrain.tools.query_guard import read_refusals

    calls, refusals = tool_calls(run_dir), read_refusals(run_dir)
    refused_queries = [_squash(r.get("query", "")) for r in refusals]
    refused, reached = [], []
    for call in calls:
        term = blocked_term(call["arguments"])
        if not term:
            continue
        line = f"{call['source']} {call['tool']}({call['arguments'][:80]}) in iteration {call['iteration']}: {term!r}"
        squashed = _squash(call["arguments"])
        (refused if any(q and q in squashed for q in refused_queries) else reached).append(line)
    details = {"tool_calls": len(calls), "hits": reached[:20], "refused_at_query_time": refused[:20],
               "refusals": refusals[:20], "blocked_terms": "tools/query_guard.PTB_RULES",
               "note": "the query guard refuses blocked queries before any request (papers search and fetch, Hub "
                       "dataset search and inspection, data discovery) and records each in refused_queries.jsonl"}
    if reached:
        return Check(name="benchmark_lookup", status="fail", details=details,
                     summary=f"{len(reached)} tool call(s) asked for PostTrainBench and reached the network: "
                             f"{reached[0]}",
                     fix="the run looked the benchmark up; judges zero such runs: redo it with the query block list "
                         "on (POSTTRAIN_QUERY_BLOCKLIST=ptb; posttrain ptb sets it)")
    if refusals:
        return Check(name="benchmark_lookup", status="pass", details=details,
                     summary=f"{len(calls)} tool call(s); {len(refusals)} blocked quer"
                             f"{'y' if len(refusals) == 1 else 'ies'} refused at query time, nothing sent "
                             f"({refusals[0].get('surface')}: {refusals[0].get('query', '')[:60]!r})")
    return Check(name="benchmark_lookup", status="pass", details=details,
                 summary=f"{len(calls)} tool call(s), none asked for PostTrainBench pages, leaderboards or traces")
