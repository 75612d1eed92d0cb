"""Read the user's goal sentence into an Objective: benchmark, base model, target, budget, data and teacher.

`read_goal` applies rules to the words, fast and offline (no model loading, no downloads); flags override what the
text says. `read_goal_with_model` lets an LLM brain read the sentence instead, checks its answer against the
registry and falls back to the rules. Each field gets a line in `reading` saying where it came from::

    >>> objective = read_goal("Improve Qwen/Qwen3-1.7B-Base on GSM8K to 30% within 2 hours")
    >>> objective.benchmark, objective.base_model, objective.target, objective.time_budget_s
    ('gsm8k', 'Qwen/Qwen3-1.7B-Base', 0.3, 7200.0)

A goal that names nothing posttrain can measure is a ConfigError; there is no default benchmark to fall back on.
"""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from posttrain.run.config import parse_duration
from posttrain.run.objective import GoalReading, Objective
from posttrain.tools.errors import ConfigError


@dataclass
class _Value:
    """One field's value, where it came from (flag, goal, llm, default) and why, for the reading line."""

    value: Any
    source: str
    why: str


@dataclass
class _Draft:
    """The fields read so far, keyed by Objective field name, and notes on what was ignored."""

    values: dict[str, _Value] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# --- the words: paths, model ids, scores, durations -------------------------------------------------------------

_FILE_SUFFIXES = (".jsonl", ".json", ".yaml", ".yml")
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")
_NOT_IDS = {"and/or", "either/or", "input/output", "question/answer", "problem/solution", "prompt/completion",
            "true/false", "yes/no", "train/test", "pass/fail"}  # slashes in plain English, not owner/name
_UNOWNED_MODEL = re.compile(r"[A-Za-z][\w.]*(?:-[\w.]+)*-\d+(?:\.\d+)?[BbMm](?:-[\w.]+)*")  # Qwen3-1.7B-Base
_DATA_BEFORE = re.compile(r"(?:\btrain(?:ing)?(?:\s+it)?\s+on|\bfine-?tune\s+on|\bwith(?:\s+the)?\s+data(?:set)?"
                          r"|\busing(?:\s+the)?(?:\s+data(?:set)?)?|\bdata(?:set)?s?)\s*:?\s*$", re.I)
_TEACHER_BEFORE = re.compile(r"(?:\bteacher(?:\s+model)?|\bdistil+(?:ling|ing)?\s+from|\bdistillation\s+from)"
                             r"\s*:?\s*$", re.I)
_TEACHER_AFTER = re.compile(r"^\s*as\s+(?:the\s+|a\s+)?teacher\b", re.I)
_BENCH_BEFORE = re.compile(r"(?:\bon|\bevaluated?(?:\s+on)?|\bbenchmark|\bmeasured?\s+(?:on|by)|\bscore\s+on)"
                           r"\s*:?\s*(?:the\s+)?$", re.I)


@dataclass
class _Scan:
    """What the tokens of a goal name; ``masked`` is the goal with paths and model ids blanked out, so that
    a model called 'someone/gsm8k-sft' is not read as the benchmark gsm8k."""

    masked: str
    base_model: tuple[str, str] | None = None  # (value, why)
    teacher: tuple[str, str] | None = None
    benchmark_file: tuple[int, str, str] | None = None  # (position, path, why)
    train_data: list[tuple[str, str]] = field(default_factory=list)
    unowned: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _scan_tokens(goal: str) -> _Scan:
    scan = _Scan(masked=goal)
    for match in re.finditer(r"\S+", goal):
        token = match.group().lstrip("'\"`(").rstrip(".,;:!?)]}'\"`")
        if not token:
            continue
        before, after = goal[max(0, match.start() - 40): match.start()], goal[match.end():]
        if _take_token(scan, token, before, after, match.start()):
            scan.masked = scan.masked[: match.start()] + " " * len(match.group()) + scan.masked[match.end():]
    return scan


def _take_token(scan: _Scan, token: str, before: str, after: str, position: int) -> bool:
    """Sort one token into the scan; True when it is a path or a model id (hidden from the benchmark search)."""
    path = Path(token).expanduser()
    path_like = token.endswith(_FILE_SUFFIXES) or token.startswith(("/", "./", "../", "~")) or token.count("/") > 1
    if (path_like or "/" in token) and os.path.exists(path):  # os.path: False, not OSError, for a too-long name
        _take_path(scan, token, path.resolve(), before, position)
        return True
    if path_like:
        scan.notes.append(f"ignored {token!r}: no such file or folder")
        return True
    if _HUB_ID.fullmatch(token) and token.lower() not in _NOT_IDS:
        return _take_hub_id(scan, token, before, after)
    if _UNOWNED_MODEL.fullmatch(token):
        scan.unowned.append(token)
    return False


def _take_path(scan: _Scan, token: str, path: Path, before: str, position: int) -> None:
    if path.is_dir() and (path / "config.json").is_file():
        _take_model(scan, str(path), f"the goal names the local model folder {token!r}", before, "")
    elif path.is_file() and path.suffix.lower() == ".gguf":
        _take_model(scan, str(path), f"the goal names the GGUF file {token!r}", before, "")
    elif path.is_dir():
        scan.notes.append(f"ignored folder {token!r}: it has no config.json, so it is not a model")
    elif _DATA_BEFORE.search(before):
        scan.train_data.append((str(path), f"the goal trains on {token!r}"))
    elif path.suffix in _FILE_SUFFIXES and (_BENCH_BEFORE.search(before) or scan.benchmark_file is None):
        why = f"the goal names the local file {token!r}" + ("" if _BENCH_BEFORE.search(before) else
                                                             " (no 'train on' before it, so read as the benchmark)")
        scan.benchmark_file = scan.benchmark_file or (position, str(path), why)
    else:
        scan.notes.append(f"ignored {token!r}: not introduced as training data ('train on', 'using', 'with data')")


def _take_hub_id(scan: _Scan, token: str, before: str, after: str) -> bool:
    from posttrain.tools.evaluation.hub_benchmarks import HUB_SOURCES

    if token.lower() in {source.dataset.lower() for source in HUB_SOURCES.values()}:
        return False  # a benchmark's dataset id: left for the benchmark search to name
    if _DATA_BEFORE.search(before):
        scan.train_data.append((token, f"the goal trains on {token!r}"))
    else:
        _take_model(scan, token, f"the goal names {token!r}", before, after)
    return True


def _take_model(scan: _Scan, value: str, why: str, before: str, after: str) -> None:
    if _TEACHER_BEFORE.search(before) or _TEACHER_AFTER.match(after):
        scan.teacher = scan.teacher or (value, why + " as the teacher")
    elif scan.base_model is None:
        scan.base_model = (value, why)
    else:
        scan.notes.append(f"ignored {value!r}: the goal already names the base model {scan.base_model[0]!r}")


_NUM = r"(\d+(?:\.\d+)?)"
_PCT = r"(\s*(?:%|percent\b))?"
_TARGET_BEFORE = re.compile(r"\b(?:to|reach(?:es|ing)?|at\s+least|above|over|beyond|exceed(?:s|ing)?|hit(?:s|ting)?"
                            r"|score\s+of|accuracy\s+of|target(?:\s+of)?)\s+" + _NUM + _PCT, re.I)
_TARGET_AFTER = re.compile(r"(?<![\w.])" + _NUM + r"(\s*(?:%|percent\b))\s*(?:accuracy|exact[\s-]match|pass@1"
                           r"|pass\s+rate|score|correct)\b", re.I)
_START = re.compile(r"\bfrom\s+" + _NUM + _PCT, re.I)
# after a bare number these words still leave it a score ("reach 0.9 on gsm8k"); any other word is a unit ("2 hours")
_SCORE_FOLLOWERS = re.compile(r"\s*(?:$|[^\w\s-]|(?:to|on|in|within|by|and|or|with|for|accuracy|under)\b)", re.I)


def _fraction(match: re.Match, text: str) -> float | None:
    """The score a match names as a fraction: percent / 100, a bare number <= 1 as is; None when not a score."""
    value, percent = float(match.group(1)), match.group(2)
    if percent:
        return value / 100 if value <= 100 else None
    if not _SCORE_FOLLOWERS.match(text[match.end():]):
        return None
    return value if value <= 1 else None


def _read_target(text: str) -> dict[str, tuple[float | str, str]]:
    found = sorted((m.start(), m) for pattern in (_TARGET_BEFORE, _TARGET_AFTER) for m in pattern.finditer(text))
    result = {}
    for _, match in found:
        if (value := _fraction(match, text)) is not None:
            result["target"] = (value, f"the goal says {match.group(0).strip()!r}")
            break
    start = _START.search(text)
    if start and (value := _fraction(start, text)) is not None:
        result["start_score"] = (value, f"the goal says {start.group(0).strip()!r} (informational)")
    return result


_UNITS = {"seconds": 1, "second": 1, "secs": 1, "sec": 1, "s": 1, "minutes": 60, "minute": 60, "mins": 60, "min": 60,
          "m": 60, "hours": 3600, "hour": 3600, "hrs": 3600, "hr": 3600, "h": 3600, "days": 86400, "day": 86400,
          "d": 86400}
_DURATION = re.compile(r"(?<![\w.])" + _NUM + r"\s*-?\s*(?:(GPU|[A-Z]\d{2,4}[A-Z]?)[\s-]?)?(" + "|".join(_UNITS)
                       + r")(?![\w-])", re.I)


def _read_budget(text: str) -> dict[str, tuple[float | str, str]]:
    match = _DURATION.search(text)
    if not match:
        return {}
    seconds = float(match.group(1)) * _UNITS[match.group(3).lower()]
    phrase = match.group(0).strip()
    if not match.group(2):
        return {"time_budget_s": (seconds, f"the goal says {phrase!r}")}
    why = f"the goal says {phrase!r}; GPU-hours are read as wall hours on one GPU"
    return {"time_budget_s": (seconds, why), "compute_note": (phrase, "kept verbatim from the goal")}


def read_goal(goal: str, *, benchmark: str | None = None, base_model: str | None = None,
              target: float | None = None, time_budget: str | None = None, train_data: list[str] = (),
              teacher: str | None = None) -> Objective:
    """Read ``goal`` by rules; non-None flags override the text. ConfigError when no benchmark can be found."""
    draft = _rule_draft(goal)
    _apply_flags(draft, benchmark=benchmark, base_model=base_model, target=target, time_budget=time_budget,
                 train_data=list(train_data), teacher=teacher)
    return _finish(goal, draft)


def _rule_draft(goal: str) -> _Draft:
    """Everything the rules find in ``goal``; never raises for a missing benchmark (the caller decides)."""
    from posttrain.tools.evaluation.registry import benchmarks_in_text

    if not goal.strip():
        raise ConfigError("the goal is empty; say what to achieve, e.g. 'Teach the base model 3-digit addition'")
    scan = _scan_tokens(goal)
    draft = _Draft(notes=list(scan.notes))
    named = benchmarks_in_text(scan.masked)
    words = [(goal.find(text), spec, f"the goal says {text!r}") for spec, text in named]
    if scan.benchmark_file:
        words.append(scan.benchmark_file)
    if words:
        _, spec, why = min(words)
        others = [text for s, text in named if s != spec]
        why += f" (also names {', '.join(map(repr, others))}; the first is measured)" if others else ""
        draft.values["benchmark"] = _Value(spec, "goal", why)
    _read_models(scan, draft)
    for name, (value, why) in {**_read_target(scan.masked), **_read_budget(scan.masked)}.items():
        draft.values[name] = _Value(value, "goal", why)
    return draft


def _read_models(scan: _Scan, draft: _Draft) -> None:
    if scan.base_model:
        draft.values["base_model"] = _Value(scan.base_model[0], "goal", scan.base_model[1])
    elif scan.unowned:
        draft.values["base_model"] = _Value(
            "tiny", "default", f"the goal names {scan.unowned[0]!r} without an owner, so it is not a Hub id; "
            f"pass --base-model OWNER/{scan.unowned[0]} to use it")
    if scan.train_data:
        draft.values["train_data"] = _Value([v for v, _ in scan.train_data], "goal",
                                            "; ".join(why for _, why in scan.train_data))
    if scan.teacher:
        draft.values["teacher"] = _Value(scan.teacher[0], "goal", scan.teacher[1])


def _apply_flags(draft: _Draft, *, benchmark, base_model, target, time_budget, train_data, teacher) -> None:
    """Flags win over the text and the model; the reading line names the flag and what it replaced."""

    def put(name: str, value: Any, flag: str) -> None:
        old = draft.values.get(name)
        replaced = f" (the goal's reading {old.value!r} is overridden)" if old and old.value != value else ""
        draft.values[name] = _Value(value, "flag", f"{flag}{replaced}")

    if benchmark is not None:
        put("benchmark", benchmark.strip(), "--benchmark")
    if base_model is not None:
        put("base_model", base_model.strip(), "--base-model")
    if target is not None:
        if not 0.0 <= target <= 1.0:
            raise ConfigError(f"--target {target} is not a score between 0 and 1; fix: e.g. --target 0.3 for 30%")
        put("target", float(target), "--target")
    if time_budget is not None:
        put("time_budget_s", parse_duration(time_budget), f"--time-budget {time_budget}")
        draft.values.pop("compute_note", None)
    if train_data:
        put("train_data", list(train_data), "--train-data")
    if teacher is not None:
        put("teacher", teacher.strip(), "--teacher")


_LABELS = {"benchmark": "benchmark", "base_model": "base model", "target": "target", "start_score": "start score",
           "time_budget_s": "time budget", "compute_note": "compute", "train_data": "train data", "teacher": "teacher"}


def _finish(goal: str, draft: _Draft) -> Objective:
    """Check the benchmark spec, count its items and build the Objective with one reading line per field."""
    from posttrain.tools.evaluation.registry import expected_items, list_benchmarks

    chosen = draft.values.get("benchmark")
    if chosen is None:
        short = goal if len(goal) <= 80 else goal[:77] + "..."
        raise ConfigError(
            f"the goal names no benchmark posttrain can measure ({short!r}); pass --benchmark NAME or "
            f"--benchmark items.jsonl (known: {', '.join(list_benchmarks())})"
        )
    try:
        items = expected_items(chosen.value)
    except ConfigError as exc:
        if chosen.source == "flag":
            raise
        raise ConfigError(f"the goal's benchmark {chosen.value!r} ({chosen.why}) cannot be run: {exc}") from exc
    draft.values.setdefault("base_model", _Value("tiny", "default", "default, the goal names no model"))
    values = {name: draft.values[name].value for name in _LABELS if name in draft.values}
    reading = [_reading_line(name, draft.values[name]) for name in values]
    if "target" not in values:
        reading.insert(2, "target none: the goal names no score, so the run ends on iterations or time")
    return Objective(goal=goal, benchmark_from=chosen.source, benchmark_items=items,
                     base_model_from=draft.values["base_model"].source, reading=reading + draft.notes,
                     **values)


def _reading_line(name: str, value: _Value) -> str:
    shown = value.value
    if name == "time_budget_s":
        shown = f"{value.value:g} s"
    elif isinstance(value.value, list):
        shown = ", ".join(value.value)
    elif isinstance(value.value, float):
        shown = f"{value.value:.2f}"
    why = value.why
    if name == "base_model" and str(value.value).lower().endswith(".gguf"):
        why += "; a GGUF file, dequantized once to float32 into RUN/base-model and loaded from there by path"
    return f"{_LABELS[name]} {shown}: {why}"


# --- an LLM reads the goal -------------------------------------------------------------------------------------

_SYSTEM = (
    "You read a post-training goal into JSON matching this schema: {schema}\n"
    "Benchmarks posttrain can measure: {known}. arithmetic takes digits=N and ops from +-* "
    "(e.g. 'arithmetic:digits=2,ops=*' for 2-digit multiplication); a local .jsonl path named in the goal also "
    "works. Use null for anything the goal does not say; never invent a model, data set or number. "
    "Answer with the JSON object only."
)


async def read_goal_with_model(goal: str, model_client: Any, **flags: Any) -> Objective:
    """Ask ``model_client`` (an autogen ChatCompletionClient) to read ``goal``; flags override its answer.

    Its answer is checked (the benchmark must parse in the registry, nothing may be invented); on any failure the
    rules read the goal instead and ``reading`` says why the model's reading was rejected.
    """
    try:
        reading = await _ask_model(goal, model_client)
        _check(reading, goal)
    except Exception as exc:  # any model failure (network, bad JSON, bad spec) falls back to the rules
        reason = str(exc).splitlines()[0].split("; check the endpoint")[0][:200] if str(exc) else type(exc).__name__
        objective = read_goal(goal, **flags)
        objective.reading.append(f"the model's reading was rejected ({reason}); read by rules instead")
        return objective
    try:
        draft = _rule_draft(goal)
    except ConfigError:
        draft = _Draft()
    for name, value in reading.model_dump(exclude_none=True).items():
        if value != []:
            draft.values[name] = _Value(value, "llm", "read by the model from the goal")
    _apply_flags(draft, **{key: flags.get(key) for key in
                           ("benchmark", "base_model", "target", "time_budget", "teacher")},
                 train_data=list(flags.get("train_data") or ()))
    return _finish(goal, draft)


async def _ask_model(goal: str, client: Any) -> GoalReading:
    import json

    from autogen_core.models import SystemMessage, UserMessage

    from posttrain.tools.evaluation.registry import list_benchmarks

    info = client.model_info
    json_output = GoalReading if info.get("structured_output") else True if info.get("json_output") else None
    system = _SYSTEM.format(schema=json.dumps(GoalReading.model_json_schema()), known=", ".join(list_benchmarks()))
    result = await client.create([SystemMessage(content=system), UserMessage(content=goal, source="user")],
                                 json_output=json_output)
    text = result.content if isinstance(result.content, str) else ""
    text = re.sub(r"^```(?:json)?\s*|\s*```$", "", text.strip())
    try:
        return GoalReading.model_validate_json(text)
    except ValidationError as exc:
        kind = "json_schema" if json_output is GoalReading else "json_object" if json_output else None
        ignored = f" (the server ignored response_format {kind})" if kind and not text.startswith("{") else ""
        raise ValueError(f"its answer is not the JSON asked for{ignored}: {exc.errors()[0]['msg']}") from exc


def _check(reading: GoalReading, goal: str) -> None:
    """ValueError naming the first thing wrong with the model's reading; only parses specs, never loads data."""
    from posttrain.tools.evaluation.registry import expected_items

    if not reading.benchmark:
        raise ValueError("it named no benchmark")
    try:
        expected_items(reading.benchmark)  # parses the spec; reads a local file, never downloads Hub rows
    except ConfigError as exc:
        raise ValueError(f"benchmark {reading.benchmark!r} is not one posttrain can run: {exc}") from exc
    if not Path(reading.benchmark).expanduser().is_file():  # a name: the registry's spelling ("GSM8K" → gsm8k)
        name, sep, rest = reading.benchmark.strip().partition(":")
        reading.benchmark = name.lower() + sep + rest
    for name in ("target", "start_score"):
        value = getattr(reading, name)
        if value is not None and not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} {value} is not a fraction between 0 and 1")
    if reading.time_budget_s is not None and reading.time_budget_s <= 0:
        raise ValueError(f"time budget {reading.time_budget_s} s is not positive")
    for name in [reading.base_model, reading.teacher, *reading.train_data]:
        if name and name != "tiny" and not _named_in(name, goal):
            raise ValueError(f"{name!r} is not in the goal (invented)")


def _named_in(name: str, goal: str) -> bool:
    # the model may add a Hub owner the user left out (Qwen3-1.7B → Qwen/Qwen3-1.7B) but not a new model
    return name.rstrip("/").split("/")[-1].lower() in goal.lower() or Path(name).expanduser().exists()
