"""Benchmarks loaded from the Hugging Face Hub with ``datasets``: gsm8k, math500, aime2025, gpqa, humaneval.

Each entry names the dataset id, config, split and revision, and maps one raw row (the dataset's real schema) to
an ``Item``. The mapping is a plain function, so tests feed it rows written by hand while the loading code stays
the same one a user's machine runs::

    bench = get_benchmark("gpqa:diamond")        # Idavidrein/gpqa, config gpqa_diamond, split train (gated)
    bench.item_from_row(row, index=0)            # choices shuffled by seed, answer = the correct letter

Prompts are zero-shot instructions sent as the user turn of the model's chat template when it has one (raw text
otherwise). Pin a dataset version with ``revision=<commit sha>`` in the spec, e.g. ``gsm8k:revision=abc123``.
"""

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from posttrain.tools.errors import ConfigError, ToolError
from posttrain.tools.evaluation.benchmark import AnswerType, Benchmark, Item, take
from posttrain.tools.methods import get_format


_BOXED_INSTRUCTION = "\n\nPlease reason step by step, and put your final answer within \\boxed{}."
_CHOICE_INSTRUCTION = (
    "Answer the following multiple choice question. The last line of your response must be of the form "
    "'Answer: $LETTER' (without quotes) where LETTER is one of {letters}. Think step by step before answering.\n\n"
)
_HUMANEVAL_STOP = ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\nassert ")


def _gsm8k_row(row: dict[str, Any], index: int, seed: int) -> Item:
    # gold solutions end with "#### 1,234"; the number after the marker is the answer
    final = row["answer"].split("####")[-1].strip().replace(",", "")
    return Item(id=f"gsm8k-{index}", prompt=row["question"] + _BOXED_INSTRUCTION, answer=final,
                meta={"question": row["question"], "solution": row["answer"]})


def _gsm8k_shot(row: dict[str, Any]) -> tuple[str, str]:
    """(question, worked answer) of a gsm8k train row, the answer ending "The answer is N." for few-shot prompts."""
    solution, _, final = row["answer"].rpartition("####")
    solution = re.sub(r"<<[^>]*>>", "", solution).strip()  # drop the calculator annotations
    return row["question"], f"{solution}\nThe answer is {final.strip()}."


def _math500_row(row: dict[str, Any], index: int, seed: int) -> Item:
    meta = {"subject": row.get("subject"), "level": row.get("level"), "question": row["problem"]}
    item_id = row.get("unique_id") or f"math500-{index}"
    return Item(id=item_id, prompt=row["problem"] + _BOXED_INSTRUCTION, answer=str(row["answer"]), meta=meta)


def _aime_row(row: dict[str, Any], index: int, seed: int) -> Item:
    number = row.get("problem_idx", index + 1)
    return Item(id=f"aime2025-{number}", prompt=row["problem"] + _BOXED_INSTRUCTION, answer=str(row["answer"]).strip(),
                meta={"question": row["problem"]})


def _gpqa_row(row: dict[str, Any], index: int, seed: int) -> Item:
    correct = row["Correct Answer"].strip()
    choices = [correct] + [row[f"Incorrect Answer {k}"].strip() for k in (1, 2, 3)]
    record = row.get("Record ID") or str(index)
    random.Random(f"gpqa:{seed}:{record}").shuffle(choices)  # per item, so the order does not depend on the subset
    letters = "ABCD"
    options = "\n".join(f"{letter}) {text}" for letter, text in zip(letters, choices, strict=True))
    prompt = _CHOICE_INSTRUCTION.format(letters=letters) + row["Question"].strip() + "\n\n" + options
    answer = letters[choices.index(correct)]
    meta = {"choices": choices, "n_choices": 4, "question": row["Question"].strip()}
    return Item(id=f"gpqa-{record}", prompt=prompt, answer=answer, meta=meta)


def _humaneval_row(row: dict[str, Any], index: int, seed: int) -> Item:
    meta = {"test": row["test"], "entry_point": row["entry_point"]}
    return Item(id=row["task_id"], prompt=row["prompt"], answer=row["canonical_solution"], meta=meta)


@dataclass(frozen=True)
class HubSource:
    """Where a Hub benchmark lives and how its rows become items."""

    name: str
    dataset: str
    config: str | None
    split: str
    answer_type: AnswerType
    max_new_tokens: int
    to_item: Callable[[dict[str, Any], int, int], Item]
    description: str
    chat: bool = True
    stop: tuple[str, ...] = ()
    configs: tuple[str, ...] = ()  # allowed positional variants, e.g. gpqa:diamond
    gated: bool = False
    shot_split: str | None = None  # split the few-shot examples come from (never the eval split)
    to_shot: Callable[[dict[str, Any]], tuple[str, str]] | None = None
    train_split: str | None = None  # a split published for training (never the eval split); None: there is none
    train_columns: tuple[str, str] | None = None  # (prompt column, worked-answer column) of the train split
    train_extract: str | None = None  # how the final answer comes out of the worked answer, e.g. "gsm8k"


HUB_SOURCES: dict[str, HubSource] = {
    source.name: source
    for source in (
        HubSource("gsm8k", "openai/gsm8k", "main", "test", "numeric", 512, _gsm8k_row,
                  "1319 grade-school word problems; numeric answer, \\boxed{} requested (shots=k: k train "
                  "examples as 'Question: ... Answer: ... The answer is N.', for base models)",
                  shot_split="train", to_shot=_gsm8k_shot, train_split="train",
                  train_columns=("question", "answer"), train_extract="gsm8k"),
        HubSource("math500", "HuggingFaceH4/MATH-500", None, "test", "numeric", 2048, _math500_row,
                  "500 MATH competition problems; numbers compared as values, LaTeX normalised"),
        HubSource("aime2025", "MathArena/aime_2025", None, "train", "numeric", 4096, _aime_row,
                  "30 AIME 2025 problems (I and II); integer answers 0-999"),
        HubSource("gpqa", "Idavidrein/gpqa", "gpqa_main", "train", "choice", 2048, _gpqa_row,
                  "graduate-level science multiple choice (main 448 / diamond 198); letters shuffled by seed",
                  configs=("main", "diamond"), gated=True),
        HubSource("humaneval", "openai/openai_humaneval", "openai_humaneval", "test", "code", 512, _humaneval_row,
                  "164 Python functions; pass@1 by running the tests in a sandbox", chat=False,
                  stop=_HUMANEVAL_STOP),
    )
}


class HubBenchmark(Benchmark):
    """A registry entry backed by a Hub dataset; rows are fetched on the first ``eval_items`` call."""

    has_generator = False

    def __init__(self, source: HubSource, variant: str | None = None, revision: str | None = None,
                 seed: int = 0, shots: int = 0, rows: list[dict[str, Any]] | None = None):
        if variant is not None and variant not in source.configs:
            valid = ", ".join(f"{source.name}:{c}" for c in source.configs) or f"{source.name} (no variants)"
            raise ConfigError(f"unknown variant '{variant}' of {source.name}; use one of: {valid}")
        if shots and source.to_shot is None:
            raise ConfigError(f"{source.name} has no few-shot format; fix: drop shots= (only gsm8k takes it)")
        if not 0 <= shots <= 32:
            raise ConfigError(f"shots must be 0-32, got {shots}; fix: e.g. gsm8k:shots=8")
        self.source, self.revision, self.seed, self.shots = source, revision, seed, shots
        self.config = f"gpqa_{variant}" if source.name == "gpqa" and variant else source.config
        self.name = source.name if variant in (None, "main") else f"{source.name}_{variant}"
        parts = [variant] if variant else []
        parts += [f"revision={revision}"] if revision else []
        parts += [f"seed={seed}"] if source.answer_type == "choice" else []
        parts += [f"shots={shots}"] if shots else []
        self.spec = source.name + (":" + ",".join(parts) if parts else "")
        self.answer_type, self.max_new_tokens = source.answer_type, source.max_new_tokens
        self.chat, self.stop, self.description = source.chat, source.stop, source.description
        if shots:  # a base model continues the pattern; stop before it invents the next question
            self.stop = (*self.stop, "\n\nQuestion:", "\nQuestion:")
        self._rows = rows

    def item_from_row(self, row: dict[str, Any], index: int) -> Item:
        """Map one raw dataset row (the Hub schema) to an Item; raises ToolError naming a missing column."""
        try:
            return self.source.to_item(row, index, self.seed)
        except KeyError as exc:
            raise ToolError(
                f"{self.source.dataset} row {index} has no column {exc}; the dataset schema changed — "
                f"pin an older revision (spec '{self.source.name}:revision=<sha>') or update the mapping"
            ) from exc

    def load_rows(self, split: str | None = None) -> list[dict[str, Any]]:
        """Download (or read from the datasets cache) the split named in the registry (or ``split``).

        With ``POSTTRAIN_DATASETS_MIRROR=/dir`` holding ``/dir/<dataset id>`` (a Hub-layout folder), it is read
        from there instead, with no network.
        """
        from posttrain.tools.data.load import mirror_folder

        split = split or self.source.split
        mirror = mirror_folder(self.source.dataset)
        try:
            from datasets import load_dataset

            if mirror is not None:
                dataset = load_dataset(str(mirror), self.config, split=split)
            else:
                dataset = load_dataset(self.source.dataset, self.config, split=split, revision=self.revision)
        except Exception as exc:  # datasets raises many types: offline, gated, missing revision
            hint = " (gated: accept its terms on the Hub and set HF_TOKEN)" if self.source.gated else ""
            raise ToolError(
                f"could not load {self.source.dataset} config={self.config} split={split}{hint}: "
                f"{type(exc).__name__}: {str(exc)[:300]}; check the network (HF_HUB_OFFLINE unset), set "
                "POSTTRAIN_DATASETS_MIRROR to a local mirror, or use a local benchmark file (--benchmark items.jsonl)"
            ) from exc
        return [dict(row) for row in dataset]

    def train_rows(self) -> list[dict[str, Any]]:
        """Raw rows of the split the dataset publishes for training (gsm8k: train); never the eval split."""
        split = self.source.train_split
        if split is None or split == self.source.split:
            raise ToolError(
                f"{self.source.dataset} publishes no training split apart from its eval split "
                f"'{self.source.split}'; fix: pass --train-data PATH|HUB_ID or a --teacher model"
            )
        return self.load_rows(split)

    def train_source(self, fmt: str = "sft") -> Any:
        """The build-spec source (a SourceSpec) of the training split with the mapping that fits ``fmt``
        (sft: prompt + worked completion with its gold answer; grpo: prompt + final answer); None without one."""
        from posttrain.tools.data.spec import SourceSpec

        split, columns = self.source.train_split, self.source.train_columns
        if split is None or split == self.source.split or columns is None:
            return None
        prompt, answer = columns
        role = get_format(fmt).roles[1]  # the column the split's answer fills: a completion, or a gold answer
        return SourceSpec(hub=self.source.dataset, config=self.config, split=split, revision=self.revision,
                          mapping={"prompt": prompt, role: answer}, answer_extract=self.source.train_extract)

    def eval_items(self, limit: int | None = None) -> list[Item]:
        """All rows of the registry split mapped to items, in dataset order (``limit`` keeps the first ones)."""
        if self._rows is None:
            self._rows = self.load_rows()
        items = take([self.item_from_row(row, i) for i, row in enumerate(self._rows)], limit)
        if not self.shots:
            return items
        prefix = self.few_shot_prefix(self.load_rows(self.source.shot_split)[: self.shots])
        few_shot = []
        for item, row in zip(items, self._rows, strict=False):  # items may be cut by limit
            question, _ = self.source.to_shot(row)  # only the question of an eval row is shown
            few_shot.append(item.model_copy(update={"prompt": f"{prefix}Question: {question}\nAnswer:"}))
        return few_shot

    def few_shot_prefix(self, rows: list[dict[str, Any]]) -> str:
        """The worked examples put before each question when ``shots`` > 0 (taken from the train split)."""
        shots = [self.source.to_shot(row) for row in rows]
        return "".join(f"Question: {question}\nAnswer: {answer}\n\n" for question, answer in shots)


def normalise_variant(text: str) -> str:
    """``gpqa_diamond`` → ``diamond``, so both spellings of a variant are accepted."""
    return re.sub(r"^gpqa_", "", text)
