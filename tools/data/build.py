"""Run a build spec: load and map every source, mix, dedupe, length-filter, decontaminate, split, save with a card.

Counts are recorded after every step so the card (and the Data Engineer's report) shows what each filter removed.

>>> spec, base = load_spec("specs/math-mix.yaml")
>>> artifact = build_dataset(spec, "runs/x/artifacts/data", base_dir=base)
>>> artifact.counts   # {"source:data/extra.jsonl": 120, ..., "after_mix": 3000, "after_dedupe": 2987, ...}
"""

from pathlib import Path
from typing import Any

from posttrain.tools.data.artifact import ContaminationSummary, DatasetArtifact
from posttrain.tools.data.decontam import decontaminate
from posttrain.tools.data.dedupe import find_duplicates
from posttrain.tools.data.formats import describe_mapping, propose_fits, render_prompt, row_text, to_training_rows
from posttrain.tools.data.labels import LabelCheck, check_labels
from posttrain.tools.data.load import FILE_KINDS, load_rows
from posttrain.tools.data.mix import mix, split_rows, split_validation, upsample
from posttrain.tools.data.quality import quality_report
from posttrain.tools.data.save import push_dataset, save_dataset
from posttrain.tools.data.spec import BuildSpec, SourceSpec
from posttrain.tools.data.synthetic import benchmark_rows, gold_answer
from posttrain.tools.errors import ConfigError
from posttrain.tools.methods import get_format
from posttrain.tools.progress import ProgressFn, null_progress


class _Log:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.steps: list[str] = []
        self.sources: list[str] = []
        self.generation: dict[str, Any] = {}


def _raw_rows(source: SourceSpec, base: Path, log: _Log) -> list[dict]:
    path = str((base / Path(source.path).expanduser()).resolve()) if source.path else None
    raw, revision = load_rows(
        path=path, hub=source.hub, config=source.config, split=source.split, revision=source.revision
    )
    log.sources.append(f"{source.label}@{revision}" if source.path else revision)
    return raw


def _mapping(source: SourceSpec, fmt: str, raw: list[dict]) -> tuple[dict[str, str], str | None]:
    """The declared mapping, else the proposed one (ConfigError naming the columns when none fits)."""
    if source.mapping:
        return source.mapping, source.answer_extract
    fit = next(f for f in propose_fits(list(raw[0]), raw[:50]) if f.method == fmt)
    if not fit.fits:
        raise ConfigError(
            f"source {source.label} does not fit {fmt}: {fit.reason} (columns: {list(raw[0])}); "
            "fix: declare `mapping:` for it"
        )
    return fit.mapping, source.answer_extract or fit.answer_extract


def _mapped_rows(source: SourceSpec, spec: BuildSpec, base: Path, tokenizer: Any, log: _Log) -> list[dict]:
    raw = _raw_rows(source, base, log)
    if not raw:
        return []
    mapping, extract = _mapping(source, spec.format, raw)
    log.steps.append(f"{source.label}: mapped {describe_mapping(mapping, extract)} for {spec.format}")
    if get_format(spec.format).completion and extract == "gsm8k" and "answer" not in mapping:
        log.steps.append(
            f"{source.label}: completions rewritten as the benchmark asks: <<...>> calculator annotations removed, "
            "'#### N' replaced by 'The final answer is \\boxed{N}.'"
        )
    log.counts[f"raw:{source.label}"] = len(raw)
    required = {role: column for role, column in mapping.items() if role not in ("input",) + _OPTIONAL[spec.format]}
    raw = [row for row in raw if not _is_empty({role: row.get(column) for role, column in required.items()})]
    return to_training_rows(raw, spec.format, mapping, tokenizer=tokenizer, answer_extract=extract, system=spec.system)


_OPTIONAL = {"sft": ("answer",), "grpo": (), "dpo": ()}  # roles a row may lack without being empty


def _benchmark_source(source: SourceSpec, spec: BuildSpec, tokenizer: Any, log: _Log) -> list[dict]:
    rows = benchmark_rows(
        source.benchmark, n=source.n, fmt=spec.format, seed=source.seed, teacher_noise=source.teacher_noise
    )
    for row in rows:
        row["prompt"] = render_prompt(row["prompt"], tokenizer, spec.system)
    log.sources.append(f"benchmark:{source.benchmark}@seed={source.seed},teacher_noise={source.teacher_noise}")
    log.steps.append(f"generated {source.n} rows with the {source.benchmark} generator")
    return rows


def _prompt_items(source: SourceSpec, base: Path, limit: int, log: _Log) -> list[Any]:
    """Prompts and gold answers from a path or hub source (mapped as for GRPO: prompt + short answer)."""
    from posttrain.tools.evaluation import Item

    raw = _raw_rows(source, base, log)
    log.sources[-1] = "prompts:" + log.sources[-1]
    mapping = dict(source.mapping)
    if "answer" not in mapping and "completion" in mapping:
        mapping["answer"] = mapping.pop("completion")  # the gold answer is pulled out of the worked solution
    extract = source.answer_extract
    if not mapping and raw:
        fits = {f.method: f for f in propose_fits(list(raw[0]), raw[:50])}
        fit = fits["grpo"]  # the format of prompts with gold answers, which a teacher answers
        if not fit.fits:
            raise ConfigError(f"teacher prompts {source.label} need prompt and answer columns: {fit.reason}")
        mapping, extract = fit.mapping, extract or fit.answer_extract
    rows = to_training_rows(raw[:limit], "grpo", mapping, answer_extract=extract)
    name = Path(source.label).stem
    return [Item(id=f"{name}-{i}", prompt=row["prompt"], answer=row["answer"]) for i, row in enumerate(rows)]


def _teacher_source(
    source: SourceSpec, spec: BuildSpec, tokenizer: Any, log: _Log, progress: ProgressFn, base: Path
) -> list[dict]:
    from posttrain.tools.data.verify import verified_generation
    from posttrain.tools.evaluation import get_benchmark

    t = source.teacher
    if t.prompts is not None:
        items, benchmark = _prompt_items(t.prompts, base, t.n_prompts, log), t.benchmark
    elif Path(t.prompts_from).suffix.lower() in FILE_KINDS:
        items, benchmark = _prompt_items(SourceSpec(path=t.prompts_from), base, t.n_prompts, log), t.benchmark
    else:
        items = get_benchmark(t.prompts_from).train_items(t.n_prompts, t.seed)
        items = [item.model_copy(update={"answer": gold_answer(item)}) for item in items]  # check the truth
        benchmark = t.benchmark or t.prompts_from
    result = verified_generation(
        t.model,
        items,
        checks=t.checks,
        benchmark=benchmark,
        n=t.samples_per_prompt,
        keep_per_prompt=t.keep_per_prompt,
        temperature=t.temperature,
        max_new_tokens=t.max_new_tokens,
        seed=t.seed,
        backend=t.backend,
        chat=t.chat,
        hosted_api=t.hosted_api,
        progress=progress,
    )
    # sft rows keep the gold answer for the label check
    rows = result.pairs if get_format(spec.format).teacher_output == "pairs" else result.rows
    for row in rows:
        row["prompt"] = render_prompt(row["prompt"], tokenizer, spec.system)
    log.sources.append(f"teacher:{result.teacher.model}@backend={result.teacher.backend},seed={t.seed}")
    log.steps.append(
        f"teacher {result.teacher.model} sampled {result.n_samples} completions "
        f"({t.samples_per_prompt}/prompt); kept those passing {t.checks}"
    )
    log.counts[f"teacher_samples:{source.label}"] = result.n_samples
    log.counts[f"teacher_accepted:{source.label}"] = result.n_accepted
    log.generation |= {
        "backend": result.teacher.backend,
        "model": result.teacher.model,
        "acceptance_rate": round(result.acceptance_rate, 4),
        "prompts_solved": round(result.prompts_solved, 4),
    }
    if result.teacher.hosted_api:
        log.generation["hosted_api"] = result.teacher.hosted_api
    return rows


def _is_empty(row: dict) -> bool:
    return any(
        v is None or (isinstance(v, str | list) and not v) or (isinstance(v, str) and not v.strip())
        for k, v in row.items()
        if not k.startswith("_")
    )


def _token_length(row: dict, tokenizer: Any) -> int:
    trained = {k: v for k, v in row.items() if not k.startswith("_") and not (k == "answer" and "completion" in row)}
    text = row_text(trained)  # an SFT row's gold answer is not trained on, so it does not count
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def _load_tokenizer(name: str | None) -> Any:
    if not name:
        return None
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(name)
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot load tokenizer {name!r}: {str(exc)[:200]}; fix: a local model dir or Hub id"
        ) from exc


def _source_rows(spec: BuildSpec, base: Path, tokenizer: Any, log: _Log, progress: ProgressFn) -> list[list[dict]]:
    """Rows of every source in the output format, empty rows dropped (before any templating hides them)."""
    template = tokenizer if spec.chat_template else None
    if template is not None and getattr(template, "chat_template", None):
        log.steps.append(f"prompts rendered through the chat template of {spec.tokenizer} (the prompt format the model "
                         "is served and evaluated in); the loss is on the completions only")
    elif get_format(spec.format).completion:
        log.steps.append("prompts kept raw, no chat template (the prompt format the model is served and evaluated in)")
    per_source = []
    for index, source in enumerate(spec.sources):
        progress("load sources", index, len(spec.sources), source=source.label)
        if source.benchmark:
            rows = _benchmark_source(source, spec, template, log)
        elif source.teacher:
            rows = _teacher_source(source, spec, template, log, progress, base)
        else:
            rows = _mapped_rows(source, spec, base, template, log)
        log.counts[f"source:{source.label}"] = log.counts.pop(f"raw:{source.label}", len(rows))
        log.counts[f"non_empty:{source.label}"] = len(rows)
        per_source.append(rows)
    progress("load sources", len(spec.sources), len(spec.sources))
    return per_source


def _dedupe(per_source: list[list[dict]], spec: BuildSpec, log: _Log) -> list[list[dict]]:
    """Drop duplicates across all sources at once (before upsampling, which repeats rows on purpose)."""
    owners = [i for i, rows in enumerate(per_source) for _ in rows]
    flat = [row for rows in per_source for row in rows]
    texts = [row_text({k: v for k, v in row.items() if not k.startswith("_")}) for row in flat]
    found = find_duplicates(texts, near=spec.dedupe == "near", threshold=spec.near_threshold)
    drop = set(found.exact) | set(found.near)
    kept: list[list[dict]] = [[] for _ in per_source]
    for i, (owner, row) in enumerate(zip(owners, flat, strict=True)):
        if i not in drop:
            kept[owner].append(row)
    log.counts["after_dedupe"] = sum(len(rows) for rows in kept)
    log.steps.append(
        f"dropped {len(found.exact)} exact and {len(found.near)} near duplicates across sources"
        + (f" (Jaccard ≥ {spec.near_threshold})" if spec.dedupe == "near" else "")
    )
    return kept


def _label_check(
    per_source: list[list[dict]], spec: BuildSpec, log: _Log
) -> tuple[list[list[dict]], LabelCheck | None]:
    """Score SFT completions against their gold answers with the benchmark's scorer; drop what it rejects."""
    if not spec.label_check or not get_format(spec.format).completion:
        return per_source, None
    owners = [i for i, rows in enumerate(per_source) for _ in rows]
    flat = [
        dict(row, _owner=owner) for owner, row in zip(owners, (r for rows in per_source for r in rows), strict=True)
    ]
    kept, check = check_labels(flat, spec.label_check)
    out: list[list[dict]] = [[] for _ in per_source]
    for row in kept:
        out[row.pop("_owner")].append(row)
    log.counts["after_label_check"] = len(kept)
    log.steps.append(f"label check: {check.line()}")
    return out, check


def _take_and_upsample(per_source: list[list[dict]], spec: BuildSpec, log: _Log) -> list[list[dict]]:
    out = []
    for source, rows in zip(spec.sources, per_source, strict=True):
        if source.take:
            rows = rows[: source.take]
            log.steps.append(f"{source.label}: kept the first {source.take} rows")
        if source.upsample != 1.0:
            rows = upsample(rows, source.upsample, seed=spec.seed)
            log.steps.append(f"{source.label}: upsampled ×{source.upsample}")
        if source.take or source.upsample != 1.0:
            log.counts[f"sliced:{source.label}"] = len(rows)
        out.append(rows)
    return out


def _length_and_gate(
    rows: list[dict], spec: BuildSpec, tokenizer: Any, log: _Log
) -> tuple[list[dict], ContaminationSummary]:
    """The last filters before saving: the token-length cap, then the decontamination gate (never skipped)."""
    if spec.max_tokens:
        rows = [row for row in rows if _token_length(row, tokenizer) <= spec.max_tokens]
        log.counts["after_length_filter"] = len(rows)
        log.steps.append(f"dropped rows longer than {spec.max_tokens} tokens of {spec.tokenizer}")
    rows, contamination = decontaminate(rows, spec.decontaminate_against)
    log.counts["after_decontam"] = len(rows)
    log.steps.append(
        f"decontamination gate against {', '.join(spec.decontaminate_against) or 'nothing'}: "
        f"{contamination.dropped} rows dropped"
    )
    return rows, contamination


def build_dataset(
    spec: BuildSpec, out_dir: str | Path, *, base_dir: str | Path = ".", progress: ProgressFn = null_progress
) -> DatasetArtifact:
    """Build the dataset a spec declares and save it as parquet + card under ``out_dir``; returns the artifact.

    Steps, each counted: per-source rows (empty rows dropped) → dedupe across sources (exact or near) → label
    check (``label_check``: SFT completions scored against their gold answers, failures dropped) → take /
    upsample per source → mix (weights, total) → max_tokens filter → decontamination gate against
    ``decontaminate_against`` → train/test split → save (and push_to_hub when set). Rows overlapping the goal's
    benchmarks never reach the Trainer.
    """
    log = _Log()
    if spec.why:
        log.steps.append(f"sources chosen: {spec.why}")
    tokenizer = _load_tokenizer(spec.tokenizer)
    per_source = _source_rows(spec, Path(base_dir), tokenizer, log, progress)
    shapes = {tuple(sorted(k for k in rows[0] if k not in _OPTIONAL[spec.format])) for rows in per_source if rows}
    if len(shapes) > 1:
        raise ConfigError(
            f"sources map to different columns {sorted(shapes)}; fix: map every source to the same "
            "roles (e.g. all prompt+completion, or all messages)"
        )
    if spec.dedupe != "none":
        per_source = _dedupe(per_source, spec, log)
    per_source, label_check = _label_check(per_source, spec, log)
    per_source = _take_and_upsample(per_source, spec, log)
    rows = mix(per_source, weights=[s.weight for s in spec.sources], total=spec.total, seed=spec.seed)
    log.counts["after_mix"] = len(rows)
    log.steps.append(
        f"mixed sources with weights {[s.weight for s in spec.sources]}"
        + (f" to {spec.total} rows" if spec.total else " (all rows)")
    )
    rows, contamination = _length_and_gate(rows, spec, tokenizer, log)
    train, test = split_rows(rows, spec.test_size, seed=spec.seed)
    if spec.test_size:
        log.counts |= {"train": len(train), "test": len(test)}
        log.steps.append(f"split off {spec.test_size:.0%} as the test split")
    train, validation = split_validation(train, spec.validation_rows)
    if validation:
        log.counts |= {"train": len(train), "validation": len(validation)}
        log.steps.append(f"held out {len(validation)} training rows as the validation split (decontaminated like "
                         "the rest; never the benchmark's items)")
    artifact = save_dataset(
        train,
        out_dir,
        name=spec.name,
        fmt=spec.format,
        counts=log.counts,
        contamination=contamination,
        sources=log.sources,
        transformations=log.steps,
        test_rows=test or None,
        validation_rows=validation or None,
        label_check=label_check,
        generation=log.generation,
        license=spec.license,
        quality=quality_report(train[:1000], tokenizer=tokenizer),  # token lengths guide the Trainer's max_length
    )
    if spec.push_to_hub:
        artifact.generation["pushed_to"] = push_dataset(artifact, spec.push_to_hub)
    return artifact
