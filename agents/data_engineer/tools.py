"""The DataEngineer's tools: `posttrain.tools.data` / `posttrain.tools.hub` bound to the run's artifacts and ledger."""

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from posttrain.orchestrator.context import RunContext
from posttrain.tools.hub import DatasetHits, DatasetReport


class BuiltDataset(BaseModel):
    summary: str = Field(description="One line for the team with sizes, label accuracy and decontamination.")
    artifact: dict = Field(description="The saved dataset: path, format, rows, card, counts, contamination.")


def make_data_engineer_tools(ctx: RunContext) -> list[Callable]:
    from posttrain.tools.data import build_benchmark_dataset
    from posttrain.tools.hub import inspect_dataset as _inspect_dataset
    from posttrain.tools.hub import search_datasets as _search_datasets

    def build_dataset(fmt: Annotated[Literal["sft", "grpo"], "sft: prompt/completion; grpo: prompt/answer"],
                      n_rows: Annotated[int, "rows to generate, e.g. 4000"]) -> BuiltDataset:
        """Generate training data for the goal's benchmark with its seeded generator (disjoint from the eval items),
        run the decontamination gate against the benchmark, save parquet + dataset card under the run's artifacts."""
        iteration = ctx.iteration
        artifact = build_benchmark_dataset(
            ctx.config.benchmark, ctx.artifacts / "data", n=n_rows, fmt=fmt,
            seed=ctx.config.seed + 1000 * iteration.index, teacher_noise=ctx.config.teacher_noise,
        )
        record = artifact.model_dump()
        iteration.dataset = record
        acc = "n/a" if artifact.label_accuracy is None else f"{artifact.label_accuracy:.0%}"
        c = artifact.contamination
        summary = (f"Built {artifact.n_rows} {fmt} rows (label accuracy {acc}); decontamination against "
                   f"{', '.join(c.checked_against)} dropped {c.dropped} rows (rate {c.rate:.1%}); "
                   f"saved {artifact.path}.")
        return BuiltDataset(summary=summary, artifact=record)

    def search_datasets(query: Annotated[str, "keywords, e.g. 'grade school math'"], limit: int = 10) -> DatasetHits:
        """Search Hugging Face Hub datasets by keyword (sorted by downloads). Offline trouble is reported, not raised."""
        return _search_datasets(query, limit=limit)

    def inspect_dataset(dataset_id: Annotated[str, "Hub dataset id, e.g. 'openai/gsm8k'"]) -> DatasetReport:
        """Inspect a Hub dataset: configs, splits, sizes, schema, sample rows, licence, gating and fit per method."""
        return _inspect_dataset(dataset_id)

    return [build_dataset, search_datasets, inspect_dataset]
