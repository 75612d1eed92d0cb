"""The build spec: a YAML file declaring sources, column mappings, mix weights, filters and synthetic generation.

```yaml
name: math-mix
format: sft                     # sft | grpo | dpo
tokenizer: runs/x/base-model    # chat template + token lengths (optional)
chat_template: true
max_tokens: 256                 # drop rows longer than this (prompt + answer, in tokens)
sources:
  - path: data/extra.jsonl      # local JSONL / JSON / parquet / CSV (relative to this file)
    mapping: {prompt: question, completion: answer}
    weight: 3
  - hub: openai/gsm8k           # a Hub dataset (config, split, revision)
    config: main
    answer_extract: gsm8k
  - benchmark: arithmetic       # a built-in generator
    n: 2000
    teacher_noise: 0.1
  - teacher:                    # verified teacher generation
      model: runs/x/teacher
      prompts_from: arithmetic
      n_prompts: 500
      samples_per_prompt: 4
      checks: [benchmark]
total: 3000                     # mix size (omit to keep every row)
dedupe: near                    # none | exact | near
test_size: 0.05
decontaminate_against: [arithmetic, gsm8k]
```

>>> spec = load_spec("specs/math-mix.yaml")
>>> parse_data_ref("openai/gsm8k:main@train")     # SourceSpec(hub="openai/gsm8k", config="main", split="train")
"""

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from posttrain.tools.data.teacher import HostedAPI, TeacherBackend
from posttrain.tools.errors import ConfigError
from posttrain.tools.methods import DataFormat, get_format


class TeacherSpec(BaseModel):
    """Verified teacher generation: sample, keep what the checks accept."""

    model: str = Field(description="Teacher model path or Hub id (ignored by a hosted API, which names its own).")
    prompts_from: str | None = Field(
        None,
        description="Benchmark whose generator gives prompts and true answers (e.g. 'arithmetic'), or a local "
        ".jsonl/.json/.parquet/.csv file with prompt and answer columns.",
    )
    prompts: "SourceSpec | None" = Field(
        None, description="Or any path/hub source whose rows carry prompts and gold answers (mapped as for GRPO)."
    )
    benchmark: str | None = Field(
        None, description="Benchmark whose scorer the 'benchmark' check uses when prompts do not come from one."
    )
    n_prompts: int = Field(100, ge=1, description="Prompts to generate for.")
    samples_per_prompt: int = Field(4, ge=1, description="Samples per prompt (n).")
    keep_per_prompt: int = Field(1, ge=1, description="Distinct accepted samples kept per prompt.")
    checks: list[str] = Field(
        default_factory=lambda: ["benchmark"], description="benchmark, exact, numeric, regex:<p>."
    )
    temperature: float = Field(0.8, ge=0.0, description="Sampling temperature (0 = greedy).")
    max_new_tokens: int = Field(64, ge=1, description="Tokens per sample.")
    seed: int = Field(0, description="Seed for the prompts and the sampling.")
    backend: TeacherBackend = Field("auto", description="auto, vllm, transformers, or hosted.")
    chat: bool = Field(False, description="Wrap prompts in the teacher's chat template.")
    hosted_api: HostedAPI | None = Field(
        None, description="Only when the user asked for a hosted API; recorded in the card."
    )

    @model_validator(mode="after")
    def _hosted_consistent(self) -> "TeacherSpec":
        if (self.prompts_from is None) == (self.prompts is None):
            raise ValueError("a teacher needs exactly one of prompts_from or prompts; fix: set one of them")
        if self.prompts is not None and not (self.prompts.path or self.prompts.hub):
            raise ValueError("teacher prompts must be a path or hub source; fix: use prompts_from for a benchmark")
        if (self.backend == "hosted") != (self.hosted_api is not None):
            raise ValueError(
                "backend 'hosted' and hosted_api go together; fix: set both, or neither for a local teacher"
            )
        return self


class SourceSpec(BaseModel):
    """One source: exactly one of path, hub, benchmark, teacher."""

    path: str | None = Field(
        None, description="Local .jsonl/.json/.parquet/.csv file, save_to_disk folder, or Hub-layout folder."
    )
    hub: str | None = Field(None, description="Hub dataset id.")
    config: str | None = Field(None, description="Hub config (subset).")
    split: str = Field("train", description="Split to read.")
    revision: str | None = Field(None, description="Hub revision to pin (resolved to a sha when online).")
    benchmark: str | None = Field(None, description="Built-in generator, e.g. 'arithmetic:digits=3'.")
    n: int | None = Field(None, ge=1, description="Rows from the generator (benchmark sources).")
    seed: int = Field(0, description="Generator seed (benchmark sources).")
    teacher_noise: float = Field(0.0, ge=0.0, le=1.0, description="Share of wrong teacher labels (benchmark, sft).")
    teacher: TeacherSpec | None = Field(None, description="Verified teacher generation.")
    mapping: dict[str, str] = Field(default_factory=dict, description="Role → column; empty = proposed automatically.")
    answer_extract: str | None = Field(None, description="gsm8k, boxed or regex:<p> (GRPO answers).")
    take: int | None = Field(None, ge=1, description="Keep only the first N rows of this source (a slice).")
    upsample: float = Field(1.0, gt=0.0, description="Repeat this source's rows (2.0 doubles it).")
    weight: float = Field(1.0, ge=0.0, description="Mix weight (used when `total` is set).")

    @model_validator(mode="after")
    def _one_kind(self) -> "SourceSpec":
        kinds = [k for k in ("path", "hub", "benchmark", "teacher") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"a source needs exactly one of path, hub, benchmark, teacher (got {kinds or 'none'})")
        if self.benchmark and not self.n:
            raise ValueError(f"benchmark source {self.benchmark!r} needs n (rows to generate)")
        return self

    @property
    def label(self) -> str:
        return (
            self.path
            or self.hub
            or (f"benchmark:{self.benchmark}" if self.benchmark else f"teacher:{self.teacher.model}")
        )


TeacherSpec.model_rebuild()


class BuildSpec(BaseModel):
    """Everything `posttrain datasets build` needs; relative paths resolve against the spec file's folder."""

    name: str = Field(description="Dataset name: the parquet file is <name>.parquet.")
    format: DataFormat = Field(description="Training format of the output.")
    sources: list[SourceSpec] = Field(min_length=1, description="Where rows come from.")
    tokenizer: str | None = Field(None, description="Base model path/id: chat template and token lengths.")
    chat_template: bool = Field(False, description="Render prompts through the tokenizer's chat template.")
    system: str | None = Field(None, description="System message when chat_template is on.")
    max_tokens: int | None = Field(None, ge=1, description="Drop rows longer than this many tokens (needs tokenizer).")
    total: int | None = Field(None, ge=1, description="Mix size; None keeps every row.")
    seed: int = Field(0, description="Seed for mixing, sampling and splitting.")
    dedupe: Literal["none", "exact", "near"] = Field("near", description="Duplicate filter.")
    near_threshold: float = Field(0.85, gt=0.0, le=1.0, description="Jaccard similarity for near duplicates.")
    test_size: float = Field(0.0, ge=0.0, lt=1.0, description="Share split off as <name>-test.parquet.")
    validation_rows: int = Field(
        0, ge=0, description="Training rows held out as <name>-validation.parquet (after the decontamination gate) "
        "for validation loss and score during training; at most a tenth of the rows (`validation_count`)."
    )
    label_check: str | None = Field(
        None,
        description="Benchmark whose scorer checks every SFT completion against its gold `answer`; failures "
        "are dropped and the measured accuracy is the artifact's label_accuracy.",
    )
    decontaminate_against: list[str] = Field(description="Benchmarks of the goal; rows overlapping them are dropped.")
    license: str | None = Field(None, description="Licence written in the card.")
    push_to_hub: str | None = Field(None, description="Hub repo id to upload to after the build (needs HF_TOKEN).")
    why: str | None = Field(None, description="Why these sources were chosen (the evidence); written into the card.")

    @model_validator(mode="after")
    def _consistent(self) -> "BuildSpec":
        if (self.chat_template or self.max_tokens) and not self.tokenizer:
            raise ValueError("chat_template and max_tokens need a tokenizer; fix: set tokenizer to the base model")
        if not get_format(self.format).benchmark_source and any(s.benchmark for s in self.sources):
            raise ValueError("benchmark sources make sft/grpo rows, not DPO pairs; fix: use a teacher source for dpo")
        if get_format(self.format).teacher_output is None and any(s.teacher for s in self.sources):
            raise ValueError(
                "GRPO rows need only prompt+answer; fix: use a benchmark source, teachers are for sft/dpo"
            )
        return self


def load_spec(path: str | Path) -> tuple[BuildSpec, Path]:
    """Read and validate a YAML spec; returns (spec, folder that relative paths resolve against)."""
    import yaml

    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"spec file {file} does not exist; fix: check the path")
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
        return BuildSpec.model_validate(raw), file.resolve().parent
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file} is not valid YAML: {str(exc).splitlines()[0]}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{file}: {problems}") from exc


_HUB_REF = re.compile(r"(?P<id>[A-Za-z0-9][\w.-]*/[\w.-]+)(?::(?P<config>[^:@]+))?(?:@(?P<split>[^@]+))?")
_DATA_SUFFIXES = (".jsonl", ".json", ".parquet", ".csv", ".arrow")


def parse_data_ref(text: str) -> SourceSpec:
    """A ``--train-data`` argument as a source: an existing file or folder, else ``owner/name[:config][@split]``.

    A missing path-like argument (starting with . / ~ or ending in a data suffix) is a ConfigError, never a Hub
    lookup; ``openai/gsm8k:main@train`` is the Hub id, config and split (split default: train).
    """
    ref = text.strip()
    if not ref:
        raise ConfigError(
            "empty --train-data; fix: pass a data file or folder, or a Hub id owner/name[:config][@split]"
        )
    local = Path(ref).expanduser()
    if local.exists():
        return SourceSpec(path=str(local.resolve()))
    if ref.startswith((".", "/", "~")) or ref.lower().endswith(_DATA_SUFFIXES):
        raise ConfigError(f"--train-data {ref}: no such file or folder; fix: check the path (it is not a Hub id)")
    match = _HUB_REF.fullmatch(ref)
    if match is None:
        raise ConfigError(
            f"--train-data {ref!r} is neither an existing path nor a Hub id; fix: pass PATH or owner/name[:config]"
            "[@split], e.g. openai/gsm8k:main@train"
        )
    return SourceSpec(hub=match["id"], config=match["config"], split=match["split"] or "train")
