"""Evaluate a model on a benchmark end to end: items → generation → scoring → report file.

    report = evaluate_model("runs/x/model", "arithmetic", "artifacts/3/eval", limit=100)
    report.score, report.ci95, report.path        # artifacts/3/eval/arithmetic.json
"""

import json
import os
import time
from pathlib import Path

from posttrain.tools.errors import ConfigError
from posttrain.tools.evaluation.backends import Backend, GenerationSettings, generate
from posttrain.tools.evaluation.benchmark import Benchmark, cut_at_stop
from posttrain.tools.evaluation.registry import get_benchmark
from posttrain.tools.evaluation.report import EvalReport, ItemRecord, build_report, write_report
from posttrain.tools.progress import ProgressFn, null_progress


def _check_model(model: str) -> None:
    """A model that looks like a path must exist; anything else is taken as a Hub id."""
    path = Path(model).expanduser()
    looks_local = model.startswith((".", "/", "~")) or path.exists() or model.count("/") > 1
    if looks_local and not path.exists():
        raise ConfigError(f"model path {model} does not exist; fix: give a saved model folder or a Hub id (org/name)")
    if path.exists() and not any((path / name).exists() for name in ("config.json", "adapter_config.json")):
        raise ConfigError(
            f"{model} has no config.json (nor adapter_config.json), so it is not a saved model or LoRA adapter; "
            "fix: point to the model folder"
        )


DECODING_FILE = "posttrain_decoding.json"  # written beside a checkpoint by check_decoding


def saved_decoding(model: str) -> dict | None:
    """The decoding choice ``check_decoding`` saved beside ``model`` (its posttrain_decoding.json), or None."""
    path = Path(model).expanduser() / DECODING_FILE
    if not path.is_file():
        return None
    try:
        choice = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON ({exc.msg}); fix: delete it or rerun check_decoding") from exc
    return choice if isinstance(choice, dict) and isinstance(choice.get("chat_template"), bool) else None


def _score_all(bench: Benchmark, items, texts: list[str], finished: list[bool],
               progress: ProgressFn) -> list[ItemRecord]:
    """Score every completion and name its outcome; code runs in parallel sandboxes (each waits on a subprocess)."""
    from concurrent.futures import ThreadPoolExecutor

    from posttrain.tools.evaluation.failures import outcome_of

    completions = [cut_at_stop(text, bench.stop) for text in texts]
    finished = finished or [True] * len(texts)
    workers = min(8, os.cpu_count() or 1) if bench.answer_type == "code" else 1
    records = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        verdicts = pool.map(bench.score, completions, items)
        for done, (item, completion, verdict, ended) in enumerate(
                zip(items, completions, verdicts, finished, strict=True), start=1):
            outcome = outcome_of(completion, verdict, item.answer, finished=ended, answer_type=bench.answer_type)
            records.append(ItemRecord(id=item.id, prompt=item.prompt, completion=completion, outcome=outcome,
                                      extracted=verdict.extracted, gold=item.answer, correct=verdict.correct,
                                      rule=verdict.rule))
            progress("score " + bench.name, done, len(items))
    return records


def evaluate_model(model: str, benchmark: str | Benchmark, out_dir: str | Path, *, limit: int | None = None,
                   backend: Backend = "auto", settings: GenerationSettings | None = None,
                   default_chat: bool | None = None, progress: ProgressFn = null_progress) -> EvalReport:
    """Evaluate ``model`` (local path or Hub id) on ``benchmark`` (spec or object) and write
    ``out_dir/<benchmark>.json`` with score, n, Wilson 95% CI, per-item records, backend and timings.

    ``limit`` keeps the first N items; ``backend`` is auto (vLLM with a GPU, else transformers), vllm or
    transformers; ``settings`` overrides decoding (default: the benchmark's token budget and the model's
    generation_config.json). Without ``settings``, a posttrain_decoding.json beside the model (written by
    ``check_decoding``) decides whether prompts go through the chat template; else ``default_chat`` (the run's prompt
    format, chosen on its baseline), else the benchmark's default. Every record names its outcome (correct, empty,
    cut, format_miss, wrong) and the report counts them.
    Returns the EvalReport summary.
    """
    started = time.perf_counter()
    bench = get_benchmark(benchmark) if isinstance(benchmark, str) else benchmark
    _check_model(model)
    items = bench.eval_items(limit=limit)
    if not items:
        raise ConfigError(f"benchmark {bench.spec} gave no items (limit={limit}); fix: raise --limit")
    chosen = saved_decoding(model) if settings is None else None
    chat = chosen["chat_template"] if chosen else bench.chat if default_chat is None else default_chat
    settings = settings or GenerationSettings(max_new_tokens=bench.answer_budget(chat), chat=chat,
                                              stop=list(bench.stop))
    progress("eval " + bench.name, 0, len(items))
    task = "eval " + bench.name

    def generating(name: str, done: float, total: float | None = None, **info) -> None:
        # generation is the evaluation's long part: its ticks drive the eval line (rate and ETA per item generated)
        progress(task if name == "generate" else name, done, total, **info)

    generation = generate(model, [item.prompt for item in items], settings, backend=backend, progress=generating)
    scoring_started = time.perf_counter()
    records = _score_all(bench, items, generation.texts, generation.finished, progress)
    score_s = time.perf_counter() - scoring_started
    timings = {
        "load_s": round(generation.load_s, 3), "generate_s": round(generation.duration_s, 3),
        "score_s": round(score_s, 3),
        "items_per_s": round(len(items) / generation.duration_s, 2) if generation.duration_s else 0.0,
    }
    if generation.new_tokens:
        timings["mean_new_tokens"] = round(sum(generation.new_tokens) / len(generation.new_tokens), 2)
    report = build_report(
        benchmark=bench.name, spec=bench.spec, model=model, records=records, backend=generation.backend,
        duration_s=round(time.perf_counter() - started, 3), path=Path(out_dir) / f"{bench.name}.json",
        timings=timings, settings=settings.model_dump() | {"batch_size": generation.batch_size}
        | {"decoding": generation.sampling} | ({"decoding_choice": str(chosen.get("chosen", ""))} if chosen else {}),
    )
    write_report(report, records)
    return report
