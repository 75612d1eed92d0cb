"""User-defined benchmarks: a JSONL file of questions, or a few lines of YAML naming the file and the format.

``--benchmark items.jsonl`` works for the common row shapes without a YAML: question/answer, problem/solution,
input/output, instruction/output, prompt/completion, query/response, and ``messages`` (the last user turn is the
question, the last assistant turn the answer). The scorer is inferred from the gold answers (all numbers →
numeric, all single letters A-J → choice, otherwise text) and so is the generation budget; each guess is kept in
``bench.inferred`` and the description. A YAML file sets any of that explicitly::

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


# Field names tried, in order, when no YAML names them; the first one present in the first row wins. The specific
# names come first (question before prompt, answer before output) so a row carrying both reads the natural way.
# Kept beside formats.ALIASES (training columns) rather than imported: the order here is the eval reading.
QUESTION_FIELDS = ("question", "problem", "prompt", "instruction", "query", "input")
ANSWER_FIELDS = ("answer", "final_answer", "solution", "output", "completion", "response", "target", "label")
MESSAGES_FIELDS = ("messages", "conversations", "conversation", "chat", "dialog")
_USER_ROLES, _ASSISTANT_ROLES = ("user", "human"), ("assistant", "gpt", "model")
# Budget without a YAML: twice the longest gold answer in characters covers the answer in a character tokenizer
# (BPE needs fewer tokens) plus a short lead-in and the end token; at least 16 so one-letter answers still get
# room, at most 256 so a long reference solution does not make every eval slow. Reasoning models need a YAML.
_MIN_BUDGET, _MAX_BUDGET = 16, 256


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    from posttrain.tools.evaluation.contamination.loading import decode_utf8

    text = decode_utf8(path)
    if text.lstrip().startswith("["):  # one array of rows, whatever the suffix (a JSONL row is an object)
        rows = _parse_json_array(path, text)
    else:
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ConfigError(
                    f"{path}:{number} is not valid JSON ({exc.msg}); fix: one JSON object per line"
                ) from exc
    if not rows:
        raise ConfigError(f"{path} has no rows; fix: write one JSON object per line")
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise ConfigError(f"{path} row {number} is not a JSON object; fix: one object per row, e.g. "
                              '{"question": "2+2?", "answer": "4"}')
    return rows


def _parse_json_array(path: Path, text: str) -> list:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON ({exc.msg}); fix: a JSON array of row objects") from exc


def _turn(value: Any, roles: tuple[str, ...]) -> str | None:
    """The content of the last chat turn whose role is in ``roles`` (OpenAI and ShareGPT shapes), else None."""
    if not isinstance(value, list):
        return None
    texts = [m.get("content", m.get("value")) for m in value
             if isinstance(m, dict) and (m.get("role") or m.get("from")) in roles]
    return None if not texts or texts[-1] is None else str(texts[-1])


def _missing(path: Path, number: int, field: str, row: dict, names: tuple[str, ...]) -> ConfigError:
    return ConfigError(
        f"{path} row {number} has no field '{field}' (fields: {sorted(row)}); fix: name it "
        f"{' or '.join(names[:4])}…, or set question_field/answer_field in a YAML spec"
    )


def _infer_fields(path: Path, row: dict) -> tuple[str, str, str]:
    """(question field, answer field, note) from the first row; ConfigError when no known shape fits."""
    keys = {key.lower(): key for key in row}
    question = next((keys[f] for f in QUESTION_FIELDS if f in keys), None)
    answer = next((keys[f] for f in ANSWER_FIELDS if f in keys and keys[f] != question), None)
    if question and answer:
        return question, answer, f"fields {question}/{answer}, inferred from the first row"
    chat = next((keys[f] for f in MESSAGES_FIELDS if f in keys and isinstance(row[keys[f]], list)), None)
    if chat:
        return chat, chat, f"fields: '{chat}' last user turn = question, last assistant turn = answer"
    if question is None:
        raise _missing(path, 1, "question", row, QUESTION_FIELDS)
    raise _missing(path, 1, "answer", row, ANSWER_FIELDS)


def _infer_scorer(rows: list[dict], answers: list[str]) -> tuple[str, str, int]:
    """(scorer, note, n_choices) from the gold answers: numbers → numeric, letters A-J → choice, else text."""
    from posttrain.tools.evaluation.scorers import parse_number

    if all("test" in row and "entry_point" in row for row in rows):
        return "code", "scorer code, inferred: every row has test and entry_point", 4
    if all(parse_number(a) is not None for a in answers):
        return "numeric", "scorer numeric, inferred: every answer is a number", 4
    if all(len(a.strip()) == 1 and "A" <= a.strip() <= "J" for a in answers):
        highest = max(ord(a.strip()) - ord("A") + 1 for a in answers)
        return "choice", "scorer choice, inferred: every answer is a single letter A-J", max(4, highest)
    example = next(a for a in answers if parse_number(a) is None)
    return "text", f"scorer text, inferred: answers are not numbers (e.g. {example[:30]!r})", 4


class FileBenchmark(Benchmark):
    """A benchmark read from a local JSONL file, configured by ``FileBenchmarkConfig``.

    Fields the config leaves unset (question/answer fields, scorer, budget, chat) are inferred from the rows;
    ``inferred`` lists one note per guess.
    """

    has_generator = False

    def __init__(self, config: FileBenchmarkConfig, base_dir: Path, spec: str):
        path = Path(config.file)
        self.path = path if path.is_absolute() else base_dir / path
        if not self.path.is_file():
            raise ConfigError(f"benchmark file {self.path} does not exist; fix: check the path in '{spec}'")
        self._rows = _read_jsonl(self.path)
        self.inferred: list[str] = []
        self.labels: tuple[str, ...] | None = None
        self.fixed_budget = "max_new_tokens" in config.model_fields_set
        self.config = self._infer(config)
        self.name = self.config.name or self.path.stem
        self.spec = spec
        self.answer_type = self.config.scorer
        self.max_new_tokens = self.config.max_new_tokens
        self.chat = self.config.chat
        notes = "; ".join(self.inferred)
        self.description = f"local file {self.path.name}, " + (notes or f"scorer {self.config.scorer}")

    def _infer(self, config: FileBenchmarkConfig) -> FileBenchmarkConfig:
        given, update = config.model_fields_set, {}
        if not {"question_field", "answer_field"} & given:
            question, answer, note = _infer_fields(self.path, self._rows[0])
            update |= {"question_field": question, "answer_field": answer}
            self.inferred.append(note)
            if question == answer and "chat" not in given:  # chat rows were written for a chat template
                update["chat"] = True
                self.inferred.append("chat template on, inferred: rows are chat messages")
        config = config.model_copy(update=update)
        answers = [self._pair(index, row, config)[1] for index, row in enumerate(self._rows)]
        if "scorer" not in given:
            scorer, note, n_choices = _infer_scorer(self._rows, answers)
            update |= {"scorer": scorer, "n_choices": config.n_choices if "n_choices" in given else n_choices}
            self.inferred.append(note)
        if (update.get("scorer") or config.scorer) == "text":
            from posttrain.tools.evaluation.text_answers import label_set

            self.labels = label_set(answers)
            if self.labels:
                self.inferred.append(f"answers are labels of a closed set ({', '.join(self.labels)}): the first "
                                     "sentence naming exactly one of them is the answer")
        if "max_new_tokens" not in given:
            longest = max(len(a) for a in answers)
            update["max_new_tokens"] = min(_MAX_BUDGET, max(_MIN_BUDGET, 2 * longest))
            self.inferred.append(f"max_new_tokens {update['max_new_tokens']}, inferred: twice the longest answer "
                                 f"({longest} characters), within {_MIN_BUDGET}-{_MAX_BUDGET}")
        return config.model_copy(update=update)

    def _pair(self, index: int, row: dict, config: FileBenchmarkConfig) -> tuple[str, str]:
        """(question, answer) of one row; chat rows give their last user and last assistant turns."""
        for field in (config.question_field, config.answer_field):
            if field not in row:
                raise ConfigError(
                    f"{self.path} row {index + 1} has no field '{field}' (fields: {sorted(row)}); "
                    "fix: rename the field or set question_field/answer_field in a YAML spec"
                )
        question, answer = row[config.question_field], row[config.answer_field]
        if config.question_field != config.answer_field:
            return str(question), str(answer)
        user, assistant = _turn(question, _USER_ROLES), _turn(answer, _ASSISTANT_ROLES)
        if user is None or assistant is None:
            role = "user" if user is None else "assistant"
            raise ConfigError(f"{self.path} row {index + 1} has no {role} turn in '{config.question_field}'; "
                              "fix: end each conversation with a user turn and the gold assistant turn")
        return user, assistant

    def eval_items(self, limit: int | None = None) -> list[Item]:
        """Every row of the file as an item, in file order."""
        items = []
        for index, row in enumerate(self._rows):
            question, answer = self._pair(index, row, self.config)
            fields = {**row, "question": question}
            item_id = str(row.get(self.config.id_field or "", index)) if self.config.id_field else str(index)
            meta = {"n_choices": self.config.n_choices, "question": question}
            if self.labels:
                meta["labels"] = list(self.labels)
            if self.answer_type == "code":
                meta |= {"test": row.get("test", ""), "entry_point": row.get("entry_point", "")}
            prompt = self.config.prompt_template.format(**fields)
            items.append(Item(id=item_id, prompt=prompt, answer=answer, meta=meta))
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
