"""Find training data for a goal the team has never seen, and turn what is usable into a build spec.

Candidates, in the order they are preferred: (1) the user's own data (``--train-data``), (2) the benchmark's own
training split (gsm8k's train, never its eval split), (3) Hub datasets found by search and inspected for fit,
size, licence and gating, (4) a teacher model sampling on the prompts of (1)–(3) with rejection sampling, and
(5) the benchmark's synthetic generator. Each candidate says, in numbers, why it is usable or not.

>>> found = find_sources("gsm8k", fmt="sft", train_data=["data/mine.jsonl"])
>>> print(found.describe())
>>> spec = compose_build_spec(found, fmt="sft", n_rows=3000, benchmark_spec="gsm8k", seed=0, tokenizer=None)
"""

import os
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from posttrain.tools.data.formats import MethodFit, propose_fits
from posttrain.tools.data.load import load_rows
from posttrain.tools.data.spec import BuildSpec, SourceSpec, TeacherSpec, parse_data_ref
from posttrain.tools.errors import ConfigError, ToolError
from posttrain.tools.methods import DataFormat, get_format
from posttrain.tools.query_guard import refusal_for


if TYPE_CHECKING:
    from posttrain.tools.evaluation.benchmark import Benchmark


CandidateKind = Literal["user", "benchmark_train", "hub", "teacher", "generator"]
# Rows held out of every team build as its validation split (capped at a tenth of the rows: tools/data/mix.py).
VALIDATION_ROWS = 200
_DATA_KINDS = ("user", "benchmark_train", "hub", "generator")  # preference order of row sources


class SourceCandidate(BaseModel):
    """One place training data could come from, and the evidence for or against it."""

    kind: CandidateKind = Field(description="user, benchmark_train, hub, teacher or generator.")
    label: str = Field(description="What it is, e.g. 'openai/gsm8k main/train' or 'data/mine.jsonl'.")
    source: SourceSpec | None = Field(None, description="The build-spec source that reads it (None: unusable).")
    usable: bool = Field(description="True when it fits the format and can be read now.")
    evidence: str = Field(description="Why or why not, in numbers: rows, columns, mapping, licence, gating.")
    rows: int | None = Field(None, description="Rows available, when known.")


class SourceCandidates(BaseModel):
    """Every candidate, best first, and what would unblock the build when none is usable."""

    benchmark: str = Field(description="The goal's benchmark spec.")
    format: DataFormat = Field(description="The training format the data is for.")
    candidates: list[SourceCandidate] = Field(default_factory=list, description="In order of preference.")
    blocked_reason: str | None = Field(None, description="One line naming what would unblock it; None if usable.")

    def describe(self) -> str:
        """One line per candidate, for the Data Engineer's turn."""
        lines = [f"[{'x' if c.usable else ' '}] {c.kind}: {c.label} — {c.evidence}" for c in self.candidates]
        return "\n".join(lines + ([f"blocked: {self.blocked_reason}"] if self.blocked_reason else []))


def _fit(rows: list[dict], fmt: str) -> MethodFit:
    return next(f for f in propose_fits(list(rows[0]), rows[:50]) if f.method == fmt)


def _from_rows(kind: CandidateKind, label: str, source: SourceSpec, fmt: str, load) -> SourceCandidate:
    """Load a source's rows and judge its fit for ``fmt``; a load failure is an unusable candidate."""
    try:
        rows = load()
    except (ToolError, ConfigError) as exc:
        return SourceCandidate(kind=kind, label=label, usable=False, evidence=str(exc)[:400])
    if not rows:
        return SourceCandidate(kind=kind, label=label, usable=False, evidence="0 rows", rows=0)
    fit = source.mapping and MethodFit(
        method=fmt, fits=True, mapping=source.mapping, answer_extract=source.answer_extract, reason="declared"
    )
    fit = fit or _fit(rows, fmt)
    evidence = f"{len(rows)} rows, columns {list(rows[0])}; {fit.line}"
    if not fit.fits:
        return SourceCandidate(kind=kind, label=label, usable=False, evidence=evidence, rows=len(rows))
    mapped = source.model_copy(update={"mapping": fit.mapping, "answer_extract": fit.answer_extract})
    return SourceCandidate(kind=kind, label=label, source=mapped, usable=True, evidence=evidence, rows=len(rows))


def _user(ref: str, fmt: str) -> SourceCandidate:
    source = parse_data_ref(ref)  # a typo is the user's ConfigError, not a silent "unusable"
    load = lambda: load_rows(path=source.path, hub=source.hub, config=source.config, split=source.split)[0]  # noqa: E731
    return _from_rows("user", ref, source, fmt, load)


def _benchmark_train(bench, fmt: str) -> SourceCandidate | None:
    train_source = getattr(bench, "train_source", None)
    if train_source is None:
        return None
    source = train_source(fmt)
    if source is None:
        return SourceCandidate(
            kind="benchmark_train",
            label=bench.spec,
            usable=False,
            evidence=f"{bench.spec} publishes no training split apart from its eval split",
        )
    label = f"{source.hub} {source.config or 'default'}/{source.split} (eval split {bench.source.split} never used)"
    return _from_rows("benchmark_train", label, source, fmt, bench.train_rows)


def _hub_candidates(bench, fmt: str, limit: int) -> list[SourceCandidate]:
    from posttrain.tools.hub import inspect_dataset, search_datasets

    hits = search_datasets(bench.name, limit=min(100, limit * 2))
    if hits.errors or not hits.datasets:
        why = "; ".join(hits.errors) or f"no Hub dataset matches {bench.name!r}"
        return [SourceCandidate(kind="hub", label=f"Hub search {bench.name!r}", usable=False, evidence=why)]
    own = getattr(getattr(bench, "source", None), "dataset", None)
    found = []
    # a hit that names PostTrainBench (its traces, its results) is never inspected: the refusal is recorded instead
    allowed = [h for h in hits.datasets if refusal_for(h.id, surface="data.discover") is None]
    for hit in [h for h in allowed if h.id != own][:limit]:  # the benchmark's own repo is candidate (2)
        report = inspect_dataset(hit.id, sample_rows=20)
        fit = next((f for f in report.fits if f.method == fmt), None)
        config, _, split = (report.sampled or "default/train").partition("/")
        rows = sum(s.num_rows or 0 for s in report.splits if s.config == config and s.split == split) or None
        gated = bool(hit.gated) and not os.environ.get("HF_TOKEN")
        licence = report.license or hit.license or "?"
        evidence = (
            f"{rows if rows is not None else '?'} rows ({config}/{split}), licence {licence}, "
            f"gated {hit.gated or False}, {hit.downloads or 0} downloads; "
            + (fit.line if fit else "no sample rows: " + "; ".join(report.errors.values())[:200])
        )
        usable = bool(fit and fit.fits) and not gated
        source = (
            SourceSpec(
                hub=hit.id,
                config=None if config == "default" else config,
                split=split,
                revision=report.revision,
                mapping=fit.mapping if fit else {},
                answer_extract=fit.answer_extract if fit else None,
            )
            if usable
            else None
        )
        found.append(
            SourceCandidate(
                kind="hub",
                label=hit.id,
                source=source,
                usable=usable,
                evidence=evidence + ("; gated: set HF_TOKEN" if gated else ""),
                rows=rows,
            )
        )
    return sorted(found, key=lambda c: (not c.usable, -(c.rows or 0)))  # fitting first, then the largest


def _teacher(teacher: str, bench, fmt: str, found: list[SourceCandidate]) -> SourceCandidate:
    if get_format(fmt).teacher_output != "rows":
        return SourceCandidate(
            kind="teacher",
            label=teacher,
            usable=False,
            evidence="GRPO trains on prompts with answers; a teacher's completions are for SFT",
        )
    for candidate in found:  # prompts with gold answers, so rejection sampling can check the samples
        if (
            candidate.usable
            and candidate.source is not None
            and ("answer" in candidate.source.mapping or candidate.source.answer_extract)
        ):
            prompts = candidate.source
            spec = TeacherSpec(
                model=teacher,
                prompts=prompts,
                benchmark=bench.spec,
                checks=["benchmark"],
                n_prompts=min(candidate.rows or 500, 500),
            )
            return SourceCandidate(
                kind="teacher",
                label=teacher,
                source=SourceSpec(teacher=spec),
                usable=True,
                evidence=f"samples on the prompts of {candidate.label}, kept when the {bench.name} "
                "scorer accepts them against the gold answer",
            )
    if bench.has_generator:
        spec = TeacherSpec(model=teacher, prompts_from=bench.spec, checks=["benchmark"])
        return SourceCandidate(
            kind="teacher",
            label=teacher,
            source=SourceSpec(teacher=spec),
            usable=True,
            evidence=f"samples on {bench.name} generator prompts, checked by its scorer",
        )
    return SourceCandidate(
        kind="teacher",
        label=teacher,
        usable=False,
        evidence="no prompts with gold answers to check its samples against",
    )


def find_sources(
    benchmark: "str | Benchmark",
    *,
    fmt: DataFormat,
    train_data: list[str] | tuple[str, ...] = (),
    teacher: str | None = None,
    hub_search: bool = True,
    limit: int = 5,
    teacher_noise: float = 0.0,
) -> SourceCandidates:
    """List where training data for ``benchmark`` could come from, best first; use it before building data.

    Order: the user's data, the benchmark's own train split, Hub datasets (search + inspect; offline says so),
    a teacher model on those prompts, the benchmark's generator. Each candidate carries a build-spec source and
    evidence in numbers. ``benchmark``: a spec or a Benchmark. ``blocked_reason`` is one line naming what would
    unblock it when nothing is usable. ``teacher_noise``: the generator's share of wrong SFT labels (a study knob).
    """
    from posttrain.tools.evaluation import get_benchmark

    bench = get_benchmark(benchmark) if isinstance(benchmark, str) else benchmark
    found = [_user(ref, fmt) for ref in train_data or ()]
    own = _benchmark_train(bench, fmt)
    found += [own] if own else []
    if hub_search:
        found += _hub_candidates(bench, fmt, limit)
    if teacher:
        found.append(_teacher(teacher, bench, fmt, found))
    if bench.has_generator:
        capacity = bench.train_capacity
        generator = SourceSpec(benchmark=bench.spec, n=min(1000, capacity or 1000), teacher_noise=teacher_noise)
        size = f"up to {capacity:,}" if capacity is not None else "any number"
        evidence = f"synthetic items disjoint from the eval set, {size}" + (
            f"; SFT labels from a teacher wrong on {teacher_noise:.0%} of rows" if teacher_noise else ""
        )
        found.append(
            SourceCandidate(kind="generator", label=bench.spec, source=generator, usable=True, evidence=evidence,
                            rows=capacity)
        )
    else:
        found.append(
            SourceCandidate(
                kind="generator", label=bench.spec, usable=False, evidence=f"{bench.name} has no generator"
            )
        )
    blocked = None
    if not any(c.usable for c in found):
        blocked = (
            f"no training data for {bench.name}: pass --train-data PATH|HUB_ID, a --teacher model, or make the Hub "
            "reachable so datasets can be searched"
        )
    return SourceCandidates(benchmark=bench.spec, format=fmt, candidates=found, blocked_reason=blocked)


def compose_build_spec(
    candidates: SourceCandidates,
    *,
    fmt: DataFormat,
    n_rows: int,
    benchmark_spec: str,
    seed: int = 0,
    tokenizer: str | None = None,
    chat_template: bool = False,
) -> BuildSpec:
    """The build spec for the best usable candidates: the most preferred kind of rows (user > benchmark train >
    best Hub hit > generator) plus the teacher when usable; label check and decontamination against the benchmark,
    near dedupe, ``total=n_rows`` when the sources hold more. ConfigError with ``blocked_reason`` when none is."""
    usable = [c for c in candidates.candidates if c.usable and c.source is not None]
    if not usable:
        raise ConfigError(candidates.blocked_reason or f"no usable training data for {benchmark_spec}")
    chosen = []
    for kind in _DATA_KINDS:
        group = [c for c in usable if c.kind == kind]
        if group:
            chosen = group[:1] if kind == "hub" else group
            break
    chosen += [c for c in usable if c.kind == "teacher"][:1]
    # a generator makes as many rows as asked, up to the distinct items its space holds outside the eval set
    sources = [c.source.model_copy(update={"n": min(n_rows, c.rows or n_rows)}) if c.kind == "generator" else c.source
               for c in chosen]
    known = [c.rows for c in chosen if c.kind not in ("generator", "teacher")]
    total = n_rows if sum(r or 0 for r in known) > n_rows else None  # never repeat rows to reach n_rows
    name = benchmark_spec.split(":")[0].replace("/", "_").replace(".", "_")
    return BuildSpec(
        name=f"{name}-{fmt}",
        format=fmt,
        sources=sources,
        tokenizer=tokenizer,
        chat_template=chat_template and tokenizer is not None,
        total=total,
        seed=seed,
        dedupe="near",
        label_check=benchmark_spec if get_format(fmt).completion else None,
        decontaminate_against=[benchmark_spec],
        # the Trainer trains until this held-out slice stops improving (tools/training/convergence.py)
        validation_rows=VALIDATION_ROWS,
        why="; ".join(f"{c.kind} {c.label}: {c.evidence}" for c in chosen)
        + (f" (preferred over: {', '.join(skipped)})" if (skipped := _passed_over(candidates, chosen)) else ""),
    )


def _passed_over(candidates: SourceCandidates, chosen: list[SourceCandidate]) -> list[str]:
    """Usable candidates the spec did not take (lower in the order of preference)."""
    return [f"{c.kind} {c.label}" for c in candidates.candidates if c.usable and c not in chosen]
