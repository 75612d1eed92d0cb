"""Read a PostTrainBench task prompt into what a run needs: base model, benchmark, hours, output folder, and the
paths of the task's evaluation script, contamination checker, test data and timer when it provides them.

Rules over the words, no model: the task text follows one template ("We want to train the small LLM `{model}` to
excel at {benchmark}. ... Store your best trained model in the folder `final_model`. ... You have a maximum of
{num_hours} hours ... `bash timer.sh`"), so each field has one pattern and a fallback::

    task = parse_task(Path("TASK.txt").read_text(), task_dir=Path.cwd())
    task.base_model, task.benchmark, task.hours, task.output_dir, task.checker
"""

import re
from pathlib import Path

from pydantic import BaseModel, Field

from posttrain.tools.errors import ConfigError


class PtbTask(BaseModel):
    """A PostTrainBench task as read from its prompt text."""

    base_model: str = Field(description="Hub id or local folder of the base model to post-train.")
    benchmark_name: str = Field(description="The benchmark as the task names it, e.g. 'GSM8K'.")
    benchmark: str | None = Field(None, description="posttrain's benchmark spec (registry name or items file); None "
                                                     "when the task names one posttrain cannot measure.")
    hours: float | None = Field(None, description="The task's time limit in hours.")
    output_dir: str = Field("final_model", description="Folder the final model must be left in.")
    eval_script: str | None = Field(None, description="The task's evaluation script (evaluate.py), when found.")
    checker: str | None = Field(None, description="The task's contamination checker script, when found.")
    test_data: str | None = Field(None, description="The benchmark's test items the checker compares against.")
    timer: str | None = Field(None, description="The task's timer script (`bash timer.sh` prints time left).")
    train_data: list[str] = Field(default_factory=list, description="Training data the task text offers.")
    notes: list[str] = Field(default_factory=list, description="How each field was read, and what was not found.")

    def describe(self) -> str:
        lines = [f"base model  {self.base_model}",
                 f"benchmark   {self.benchmark or '?'} (the task says {self.benchmark_name!r})",
                 f"hours       {self.hours:g}" if self.hours else "hours       not stated",
                 f"output      {self.output_dir}"]
        for label, value in (("evaluate", self.eval_script), ("checker", self.checker),
                             ("test data", self.test_data), ("timer", self.timer)):
            lines.append(f"{label:<11} {value or '-'}")
        return "\n".join(lines + [f"note: {note}" for note in self.notes])


_MODEL = [re.compile(r"train\s+the\s+(?:small\s+)?(?:LLM|model)\s+`([^`]+)`", re.I),
          re.compile(r"fine-?tuned?\s+(?:version\s+of\s+)?`([^`]+)`", re.I),
          re.compile(r"base\s+model\s*:?\s*`([^`]+)`", re.I)]
_BENCH = [re.compile(r"to\s+excel\s+at\s+(.+?)(?:\.\s|\.?\n|\.$)", re.I),
          re.compile(r"maximum\s+performance\s+on\s+(.+?)(?:\.\s|\.?\n|\.$)", re.I),
          re.compile(r"benchmark\s*:\s*(.+?)(?:\.\s|\.?\n|\.$)", re.I)]
_HOURS = [re.compile(r"maximum\s+of\s+(\d+(?:\.\d+)?)\s*(?:hours?|h)\b", re.I),
          re.compile(r"(\d+(?:\.\d+)?)\s*(?:hours?|h)\s+(?:on|of|to|in\s+total|budget|time)", re.I),
          re.compile(r"(\d+(?:\.\d+)?)\s*(?:minutes?|min)\b", re.I)]
_OUTPUT = re.compile(r"(?:in|to|into)\s+the\s+(?:folder|directory)\s+`([^`]+)`", re.I)
_TRAIN = re.compile(r"training\s+data[^`\n]{0,40}`([^`]+)`", re.I)
_SCRIPTS = {"eval_script": re.compile(r"[\w./~-]*evaluate\w*\.py"),
            "checker": re.compile(r"[\w./~-]*contamination_check\w*\.py"),
            "test_data": re.compile(r"[\w./~-]*test_data\w*\.jsonl?"),
            "timer": re.compile(r"[\w./~-]*timer\.sh")}
# PostTrainBench copies the checker and the test data one level above the task folder (the agent's home)
_DEFAULT_NAMES = {"eval_script": "evaluate.py", "checker": "contamination_check.py", "test_data": "test_data.json",
                  "timer": "timer.sh"}


def _first(patterns, text: str) -> str | None:
    for pattern in patterns:
        if match := pattern.search(text):
            return match.group(1).strip()
    return None


def _find(name: str, text: str, task_dir: Path, notes: list[str]) -> str | None:
    """The file the text mentions (relative to the task folder or its parent), else the default name there."""
    mentioned = [m.group(0) for m in _SCRIPTS[name].finditer(text)]
    candidates = [*mentioned, _DEFAULT_NAMES[name]]
    for candidate in candidates:
        path = Path(candidate).expanduser()
        for place in ([path] if path.is_absolute() else [task_dir / path, task_dir.parent / path.name]):
            if place.is_file():
                return str(place.resolve())
    if mentioned:
        notes.append(f"the task mentions {mentioned[0]!r} but it is not in {task_dir} or its parent")
    return None


def resolve_benchmark(name: str, task_dir: Path) -> str | None:
    """posttrain's spec for the benchmark the task names: a local items file, else the registry's name."""
    from posttrain.tools.evaluation.registry import benchmarks_in_text

    cleaned = name.strip().strip("`'\"")
    path = Path(cleaned).expanduser()
    path = path if path.is_absolute() else task_dir / path
    if path.is_file():
        return str(path.resolve())
    named = benchmarks_in_text(cleaned)
    return named[0][0] if named else None


def parse_task(text: str, task_dir: str | Path | None = None, *, benchmark: str | None = None,
               base_model: str | None = None) -> PtbTask:
    """Read the task text; flags (benchmark, base_model) win. ConfigError names what is missing and the fix."""
    task_dir = Path(task_dir or Path.cwd()).resolve()
    if not text.strip():
        raise ConfigError("the task text is empty; pass the PostTrainBench prompt with --prompt-file TASK.txt")
    notes: list[str] = []
    model = base_model or _first(_MODEL, text)
    if model is None:
        model = _model_from_goal(text)
    if not model:
        raise ConfigError("the task text names no base model (expected 'train the small LLM `owner/name`'); "
                          "pass --base-model HUB_ID|PATH")
    local = Path(model).expanduser()
    if not local.is_absolute() and (task_dir / local).is_dir():
        model = str((task_dir / local).resolve())
    bench_name = _first(_BENCH, text) or ""
    spec = benchmark or (resolve_benchmark(bench_name, task_dir) if bench_name else None)
    if spec is None:
        spec = _benchmark_from_goal(text)
        if spec:
            notes.append(f"benchmark {spec} read from the whole text")
    hours = _hours(text)
    output = _first([_OUTPUT], text) or "final_model"
    found = {name: _find(name, text, task_dir, notes) for name in _SCRIPTS}
    train = [str((task_dir / p).resolve()) if not Path(p).is_absolute() else p for p in _TRAIN.findall(text)]
    return PtbTask(base_model=model, benchmark_name=bench_name.strip("`") or (spec or ""), benchmark=spec,
                   hours=hours, output_dir=output, train_data=[p for p in train if Path(p).exists()],
                   notes=notes, **found)


def _hours(text: str) -> float | None:
    for index, pattern in enumerate(_HOURS):
        if match := pattern.search(text):
            value = float(match.group(1))
            return value / 60 if index == 2 else value
    return None


def _read_goal(text: str):
    """The goal reader's reading of the whole text (benchmark aliases, Hub ids), or None when it finds no benchmark."""
    from posttrain.orchestrator.goal import read_goal

    try:
        return read_goal(text)
    except ConfigError:
        return None


def _model_from_goal(text: str) -> str | None:
    objective = _read_goal(text)
    return objective.base_model if objective and objective.base_model != "tiny" else None


def _benchmark_from_goal(text: str) -> str | None:
    objective = _read_goal(text)
    return objective.benchmark if objective else None
