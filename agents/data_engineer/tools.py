"""The DataEngineer's tools: `posttrain.tools.data` / `posttrain.tools.hub` bound to the run's artifacts and ledger.

A Hub or dataset-viewer outage (unreachable, timed out, 429 / 5xx after huggingface_hub's retries) is news: the
search / inspect result's summary says so and a warning `Notice` goes on the run's event bus. Offline mode is a
setting, not news: the summary says the Hub was not asked, and nothing is published.
"""

import re
from collections.abc import Callable, Iterable
from typing import Annotated

from pydantic import BaseModel, Field

from posttrain.run.context import RunContext
from posttrain.run.events import Notice
from posttrain.tools.data import BuildSpec
from posttrain.tools.data.discover import VALIDATION_ROWS
from posttrain.tools.data.spec import SourceSpec, TeacherSpec
from posttrain.tools.hub import DatasetHits, DatasetReport
from posttrain.tools.methods import DataFormat


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


class DatasetSearch(DatasetHits):
    """DatasetHits plus the one line for the team."""

    summary: str = Field(description="One line: what was found, or why the Hub could not be searched.")


class DatasetInspection(DatasetReport):
    """DatasetReport plus the one line for the team."""

    summary: str = Field(description="One line: licence, gating, splits, fit per method, or what could not be read.")


_OVERLOADED = re.compile(r"\b(429|5\d\d)\b")
_WHERE_WHY = re.compile(r"(?:^|\s)(?P<where>[^\s(]+)?\s?(?:unreachable )?\((?P<why>.*)\)$")


def hub_outages(errors: Iterable[tuple[str, str]]) -> list[str]:
    """One short line per service that could not be reached, from (service, error) pairs: the Hub or the viewer
    unreachable (TCP probe, connection error, timeout), or the Hub answering 429 / 5xx after huggingface_hub's
    retries. Offline mode, not-found, gated and not-ready answers are not outages."""
    lines: dict[str, str] = {}  # one line per service: the first part that failed says why
    for service, error in errors:
        if service in lines or error.startswith("offline mode is on") or "skipped, POSTTRAIN_OFFLINE" in error:
            continue
        if "unreachable" in error:
            detail = error.split("; fix:")[0].split("; check the network")[0]
            # "... unreachable (offline): host:port (Error: why)" / "/splits: URL unreachable (Error: why)"
            found = _WHERE_WHY.search(detail.split("(offline): ", 1)[-1])
            if found:
                where = found["where"] if found["where"] not in (None, "Hub") else ""
                detail = f"{where}: {found['why']}" if where else found["why"]
        elif service == "Hugging Face Hub" and error.startswith("Hub refused") and (
                status := _OVERLOADED.search(error.split("for url")[0])):
            detail = f"HTTP {status[1]}"
        else:
            continue
        lines[service] = f"{service} unreachable ({detail[:150]})"
    return list(lines.values())


def _split_rows(report: DatasetReport) -> str:
    shown = [f"{s.config}/{s.split} {s.num_rows if s.num_rows is not None else '?'} rows" for s in report.splits[:4]]
    return ", ".join(shown) + (f" (+{len(report.splits) - 4} more)" if len(report.splits) > 4 else "")


def make_data_engineer_tools(ctx: RunContext) -> list[Callable]:
    from posttrain.tools.data import build_dataset as _build_dataset
    from posttrain.tools.data.discover import SourceCandidates, find_sources
    from posttrain.tools.hub import inspect_dataset as _inspect_dataset
    from posttrain.tools.hub import search_datasets as _search_datasets

    def find_training_data(fmt: Annotated[DataFormat, "sft: prompt/completion rows; grpo: prompts with "
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
        (added when the spec leaves them out), and a validation split of the training rows is held out for the
        Trainer (`validation_rows`, default 200, at most a tenth of the rows)."""
        given = spec.model_dump(exclude_unset=True)
        given.setdefault("validation_rows", VALIDATION_ROWS)  # the Trainer stops on it (tools/training/convergence)
        spec = BuildSpec.model_validate(given)
        bench = ctx.benchmark.spec
        spec = spec.model_copy(update={
            "decontaminate_against": list(dict.fromkeys([*spec.decontaminate_against, bench])),
            "label_check": spec.label_check or bench})
        artifact = _build_dataset(spec, ctx.artifacts / "data", progress=ctx.progress_or_stop)
        ctx.iteration.dataset = artifact
        return BuiltDataset(summary=artifact.describe(), path=artifact.path, n_rows=artifact.n_rows,
                            label_accuracy=artifact.label_accuracy)

    def report_outages(errors: Iterable[tuple[str, str]], fallback: str) -> str | None:
        """The outage line for the summary, also published as a warning notice; None when nothing was down."""
        down = hub_outages(errors)
        if not down:
            return None
        news = "; ".join(down) + f"; {fallback}"
        ctx.bus.publish(Notice(level="warning", text=f"DataEngineer: {news}"))
        return news

    def search_datasets(query: Annotated[str, "keywords, e.g. 'grade school math'"], limit: int = 10) -> DatasetSearch:
        """Search Hugging Face Hub datasets by keyword (sorted by downloads). Offline trouble and outages are reported
        in `errors` and the summary, not raised."""
        hits = _search_datasets(query, limit=limit)
        news = report_outages([("Hugging Face Hub", e) for e in hits.errors],
                              "no Hub datasets searched; local files, the benchmark's generator or a teacher remain")
        if hits.datasets:
            shown = ", ".join(f"{h.id} ({h.downloads} downloads)" for h in hits.datasets[:5])
            summary = f"{len(hits.datasets)} Hub datasets for '{query}': {shown}"
        elif news:
            summary = news
        elif hits.errors:
            summary = f"Hub not searched for '{query}': {hits.errors[0][:200]}"
        else:
            summary = f"no Hub dataset matches '{query}'"
        return DatasetSearch(**hits.model_dump(), summary=summary)

    def inspect_dataset(dataset_id: Annotated[str, "Hub dataset id, e.g. 'openai/gsm8k'"]) -> DatasetInspection:
        """Inspect a Hub dataset: configs, splits, sizes, schema, sample rows, licence, gating and fit per method.
        Parts that could not be read are in `errors`; an outage is also in the summary."""
        report = _inspect_dataset(dataset_id)
        services = [("Hugging Face Hub" if part == "hub" else "the dataset viewer", error)
                    for part, error in report.errors.items() if part != "tokenizer"]
        news = report_outages(services, "this report is incomplete; try again later or use another source")
        fits = ", ".join(f.method for f in report.fits if f.fits) or "no method"
        known = [f"licence {report.license}", f"gated {report.gated}"] if "hub" not in report.errors else []
        known += [_split_rows(report)] if report.splits else []
        known += [f"fits {fits}"] if report.fits else []
        parts = [f"{dataset_id}: " + ("; ".join(known) if known else "nothing could be read")]
        if news:
            parts.append(news)
        elif not known and report.errors:
            parts.append(next(iter(report.errors.values()))[:200])
        return DatasetInspection(**report.model_dump(), summary="; ".join(parts))

    return [find_training_data, build_dataset, search_datasets, inspect_dataset]
