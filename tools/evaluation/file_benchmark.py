"""User-defined benchmarks: a JSONL file of questions, or a few lines of YAML naming the file and the format.

``--benchmark items.jsonl`` reads fields ``question`` and ``answer`` (``id`` when present) and scores numbers.
A YAML file changes any of that::

    file: data/capitals.jsonl          # relative to the YAML file
    name: capitals
    question_field: q
    answer_field: a
    prompt_template: "Q: {question}\\nA:"
    scorer: text                        # numeric | choice | text | code
    max_new_tokens: 16
    chat: false
"""

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from posttrain.tools.errors import ConfigError
from posttrain.tools.evaluation.benchmark import Benchmark, Item, take


class FileBenchmarkConfig(BaseModel):
    """How to read a local benchmark file."""

    model_config = {"extra": "forbid"}

    file: str = Field(description="JSONL file of rows; relative paths are resolved against the YAML file.")
    name: str | None = Field(None, description="Report name; defaults to the file name without extension.")
    question_field: str = Field("question", description="Row field holding the question.")
    answer_field: str = Field("answer", description="Row field holding the gold answer.")
    id_field: str | None = Field("id", description="Row field holding a stable id; row numbers when absent.")
    prompt_template: str = Field("{question}", description="Python format string; {question} and any row field.")
    scorer: Literal["numeric", "choice", "text", "code"] = Field("numeric", description="How answers are compared.")
    max_new_tokens: int = Field(256, ge=1, le=32768, description="Generation budget per item.")
    chat: bool = Field(False, description="Send the prompt through the model's chat template when it has one.")
    n_choices: int = Field(4, ge=2, le=10, description="Letters allowed by the choice scorer (A..).")

    @field_validator("prompt_template")
    @classmethod
    def _has_question(cls, value: str) -> str:
        if "{question}" not in value:
            raise ValueError("prompt_template must contain {question}; fix: e.g. 'Q: {question}\\nA:'")
        return value


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{number} is not valid JSON ({exc.msg}); fix: one JSON object per line") from exc
    if not rows:
        raise ConfigError(f"{path} has no rows; fix: write one JSON object per line")
    return rows


class FileBenchmark(Benchmark):
    """A benchmark read from a local JSONL file, configured by ``FileBenchmarkConfig``."""

    has_generator = False

    def __init__(self, config: FileBenchmarkConfig, base_dir: Path, spec: str):
        path = Path(config.file)
        self.path = path if path.is_absolute() else base_dir / path
        if not self.path.is_file():
            raise ConfigError(f"benchmark file {self.path} does not exist; fix: check the path in '{spec}'")
        self.config = config
        self.name = config.name or self.path.stem
        self.spec = spec
        self.answer_type = config.scorer
        self.max_new_tokens = config.max_new_tokens
        self.chat = config.chat
        self.description = f"local file {self.path.name}, scorer {config.scorer}"

    def eval_items(self, limit: int | None = None) -> list[Item]:
        """Every row of the file as an item, in file order."""
        items = []
        for index, row in enumerate(_read_jsonl(self.path)):
            for field in (self.config.question_field, self.config.answer_field):
                if field not in row:
                    raise ConfigError(
                        f"{self.path} row {index + 1} has no field '{field}' (fields: {sorted(row)}); "
                        "fix: rename the field or set question_field/answer_field in a YAML spec"
                    )
            fields = {**row, "question": row[self.config.question_field]}
            item_id = str(row.get(self.config.id_field or "", index)) if self.config.id_field else str(index)
            meta = {"n_choices": self.config.n_choices, "question": str(row[self.config.question_field])}
            if self.answer_type == "code":
                meta |= {"test": row.get("test", ""), "entry_point": row.get("entry_point", "")}
            prompt = self.config.prompt_template.format(**fields)
            items.append(Item(id=item_id, prompt=prompt, answer=str(row[self.config.answer_field]), meta=meta))
        return take(items, limit)


def load_file_benchmark(spec: str) -> FileBenchmark:
    """Build a FileBenchmark from ``path.jsonl`` (defaults) or ``path.yaml`` (a FileBenchmarkConfig)."""
    path = Path(spec).expanduser()
    if not path.is_file():
        raise ConfigError(f"benchmark file {path} does not exist; fix: give an existing .jsonl or .yaml path")
    if path.suffix in (".yaml", ".yml"):
        import yaml

        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            config = FileBenchmarkConfig.model_validate(raw)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ConfigError(f"{path}: {problems}") from exc
        return FileBenchmark(config, path.parent, str(path))
    return FileBenchmark(FileBenchmarkConfig(file=str(path.resolve())), path.parent, str(path))
