"""The DataEngineer's tools: `posttrain.tools.data` / `posttrain.tools.hub` bound to the run's artifacts and ledger."""

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from posttrain.run.context import RunContext
from posttrain.tools.data import BuildSpec
from posttrain.tools.data.spec import SourceSpec, TeacherSpec
from posttrain.tools.hub import DatasetHits, DatasetReport


# The tool's argument type. BuildSpec is recursive (a source's teacher takes its prompts from a source), and
# autogen inlines $refs into the JSON schema sent to an LLM: a recursive model gives a circular schema that no
# request can serialise ("Circular reference detected"). One level is all a build uses: a teacher's prompts come
# from a path or hub source, never from another teacher. The tool converts back to BuildSpec.
class _PromptSource(SourceSpec):
    teacher: None = Field(None, description="Not for a teacher's prompts: use path or hub.")


class _Teacher(TeacherSpec):
    prompts: _PromptSource | None = Field(
        None, description="Or any path/hub source whose rows carry prompts and gold answers (mapped as for GRPO).")


class _Source(SourceSpec):
    teacher: _Teacher | None = Field(None, description="Verified teacher generation.")


class BuildSpecArgs(BuildSpec):
    sources: list[_Source] = Field(min_length=1, description="Where rows come from.")


class BuiltDataset(BaseModel):
    summary: str = Field(description="One line for the team: sources, mapping, counts per step, label check, gate.")
    path: str = Field(description="The parquet file the Trainer will read.")
    n_rows: int
    label_accuracy: float | None = Field(description="Share of labels the benchmark's scorer accepts; None = unknown.")


def make_data_engineer_tools(ctx: RunContext) -> list[Callable]:
    from posttrain.tools.data import build_dataset as _build_dataset
    from posttrain.tools.data.discover import SourceCandidates, find_sources
    from posttrain.tools.hub import inspect_dataset as _inspect_dataset
    from posttrain.tools.hub import search_datasets as _search_datasets

    def find_training_data(fmt: Annotated[Literal["sft", "grpo"], "sft: prompt/completion rows; grpo: prompts with "
                                                                     "gold answers (also for rft)"]) -> SourceCandidates:
        """Find training data for the goal's benchmark, best evidence first: the user's --train-data, the
        benchmark's own train split, Hub datasets that fit (format, size, licence, gating), a --teacher model
        sampling on those prompts with rejection sampling, the benchmark's generator. Each candidate says why it is
        or is not usable; `blocked_reason` says what would unblock a run with no usable source."""
        found = find_sources(ctx.benchmark, fmt=fmt, train_data=ctx.config.train_data, teacher=ctx.config.teacher,
                             teacher_noise=ctx.config.teacher_noise)
        iteration = ctx.iteration
        iteration.data_candidates, iteration.data_search = found, found.describe()
        if found.blocked_reason:
            iteration.blocked = found.blocked_reason
        return found

    def build_dataset(spec: Annotated[BuildSpecArgs, "the build: sources (path / hub / benchmark / teacher, "
                                                      "each with mapping), format, total rows, dedupe, label_check, "
                                                      "filters"]) -> BuiltDataset:
        """Build this iteration's training set from a build spec and save parquet + card under the run's artifacts.
        The decontamination gate against the goal's benchmark and the label check with its scorer always run
        (added when the spec leaves them out)."""
        spec = BuildSpec.model_validate(spec.model_dump(exclude_unset=True))
        bench = ctx.benchmark.spec
        spec = spec.model_copy(update={
            "decontaminate_against": list(dict.fromkeys([*spec.decontaminate_against, bench])),
            "label_check": spec.label_check or bench})
        artifact = _build_dataset(spec, ctx.artifacts / "data", progress=ctx.progress)
        ctx.iteration.dataset = artifact
        return BuiltDataset(summary=artifact.describe(), path=artifact.path, n_rows=artifact.n_rows,
                            label_accuracy=artifact.label_accuracy)

    def search_datasets(query: Annotated[str, "keywords, e.g. 'grade school math'"], limit: int = 10) -> DatasetHits:
        """Search Hugging Face Hub datasets by keyword (sorted by downloads). Offline trouble is reported, not raised."""
        return _search_datasets(query, limit=limit)

    def inspect_dataset(dataset_id: Annotated[str, "Hub dataset id, e.g. 'openai/gsm8k'"]) -> DatasetReport:
        """Inspect a Hub dataset: configs, splits, sizes, schema, sample rows, licence, gating and fit per method."""
        return _inspect_dataset(dataset_id)

    return [find_training_data, build_dataset, search_datasets, inspect_dataset]
