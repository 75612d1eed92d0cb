"""Rejection-sampling fine-tuning (RFT) data: the current model's own answers that the benchmark verifies.

The step between SFT and GRPO in the strongest recipes: sample k completions per training prompt from the model
being trained, keep only those the benchmark's scorer accepts against the prompt's gold answer, and SFT on them.
The model learns from answers it can already produce, so the data are on-policy and every label is verified::

    items = items_from_dataset("runs/x/data/caesar-grpo.parquet")            # prompt + gold answer
    artifact = build_rft_dataset("runs/x/sft/checkpoint", items, "caesar", "runs/x/rft", samples_per_prompt=8)
    artifact.counts, artifact.generation["acceptance_rate"]   # {"prompts": 500, "samples": 4000, ...}, 0.41

Generation is ``generate_samples``: vLLM when installed with a GPU, else batched transformers (CPU or GPU).
"""

from dataclasses import dataclass
from pathlib import Path

from posttrain.tools.data.artifact import DatasetArtifact
from posttrain.tools.data.decontam import decontaminate
from posttrain.tools.data.save import save_dataset
from posttrain.tools.data.synthetic import gold_answer
from posttrain.tools.data.teacher import generate_samples
from posttrain.tools.errors import ConfigError, ToolError
from posttrain.tools.evaluation.benchmark import Benchmark, Item, cut_at_stop
from posttrain.tools.progress import ProgressFn, null_progress


def items_from_dataset(path: str | Path) -> list[Item]:
    """Items (prompt + gold answer) from a local GRPO/SFT dataset file with ``prompt`` and ``answer`` columns."""
    from posttrain.tools.data.load import load_rows

    rows, _ = load_rows(path=path)
    if not rows:
        raise ConfigError(f"{path} has no rows; fix: point to a non-empty dataset with prompt and answer columns")
    missing = [column for column in ("prompt", "answer") if column not in rows[0]]
    if missing:
        raise ConfigError(
            f"{path} lacks column(s) {', '.join(missing)} (it has {', '.join(rows[0])}); RFT needs each prompt's gold "
            "answer; fix: use a GRPO dataset (prompt + answer), e.g. build_benchmark_dataset(..., fmt='grpo')"
        )
    return [Item(id=f"row-{i}", prompt=str(row["prompt"]), answer=str(row["answer"])) for i, row in enumerate(rows)]


@dataclass
class Sampled:
    """k sampled completions per item and the scorer's verdict on each: the on-policy outcomes RFT keeps the right
    ones of and preference pairs contrast (`pairs.py`)."""

    items: list[Item]
    samples: list[list[str]]
    correct: list[list[bool]]
    backend: str
    duration_s: float
    temperature: float
    seed: int

    @property
    def k(self) -> int:
        return len(self.samples[0]) if self.samples else 0

    def facts(self, model: str) -> dict:
        """Sampling facts for the artifact: acceptance, prompts solved, prompts answered both right and wrong."""
        total = sum(len(group) for group in self.correct) or 1
        n = len(self.items) or 1
        return {"backend": self.backend, "model": model, "k": self.k,
                "acceptance_rate": round(sum(map(sum, self.correct)) / total, 4),
                "prompts_solved": round(sum(any(c) for c in self.correct) / n, 4),
                "prompts_mixed": round(sum(any(c) and not all(c) for c in self.correct) / n, 4),
                "temperature": self.temperature, "duration_s": self.duration_s}


def sample_and_score(model: str, items: list[Item], bench: Benchmark, *, samples_per_prompt: int, temperature: float,
                     max_new_tokens: int | None, seed: int, progress: ProgressFn) -> Sampled:
    """Sample ``samples_per_prompt`` completions per item from ``model`` (cut at the benchmark's stop strings, in its
    chat setting) and score each against the item's gold answer with the benchmark's scorer."""
    if not items:
        raise ConfigError("no items to sample from; fix: pass training items (prompt + gold answer)")
    if samples_per_prompt < 1:
        raise ConfigError("samples_per_prompt must be >= 1; fix: e.g. 4")
    if temperature <= 0:
        raise ConfigError(f"temperature {temperature} makes every sample the same greedy answer; fix: use 0.7-1.0")
    teacher = generate_samples(model, [item.prompt for item in items], n=samples_per_prompt, temperature=temperature,
                               max_new_tokens=max_new_tokens or bench.max_new_tokens, seed=seed, chat=bench.chat,
                               progress=progress)
    samples = [[cut_at_stop(text, bench.stop) for text in group] for group in teacher.samples]
    correct = []
    for item, group in zip(items, samples, strict=True):
        gold = item.model_copy(update={"answer": gold_answer(item)})  # generators put noisy labels in `answer`
        correct.append([bool(text.strip()) and bench.score(text, gold).correct for text in group])
    return Sampled(items=items, samples=samples, correct=correct, backend=teacher.backend,
                   duration_s=teacher.duration_s, temperature=temperature, seed=seed)


def _verified(sampled: Sampled, keep: int) -> list[dict]:
    """At most ``keep`` distinct accepted completions per prompt, as SFT rows."""
    rows = []
    for item, group, correct in zip(sampled.items, sampled.samples, sampled.correct, strict=True):
        good = [text for text, ok in zip(group, correct, strict=True) if ok]
        rows += [{"prompt": item.prompt, "completion": text} for text in list(dict.fromkeys(good))[:keep]]
    return rows


def build_rft_dataset(
    model: str,
    items: list[Item],
    benchmark: Benchmark | str,
    out_dir: str | Path,
    *,
    samples_per_prompt: int = 4,
    keep_per_prompt: int = 1,
    temperature: float = 1.0,
    max_new_tokens: int | None = None,
    seed: int = 0,
    progress: ProgressFn = null_progress,
) -> DatasetArtifact:
    """Sample ``samples_per_prompt`` completions per item from ``model`` (the checkpoint being trained), keep at
    most ``keep_per_prompt`` distinct ones the benchmark's scorer accepts, and save them as SFT rows
    (out_dir/<benchmark>-rft.parquet + card). A prompt with no accepted sample contributes nothing.

    ``items``: prompt + gold answer (a benchmark's ``train_items``, or ``items_from_dataset``). Completions are cut
    at the benchmark's stop strings; prompts use its chat setting. Counts: prompts, samples, accepted, kept (then
    after_decontam); generation facts: acceptance_rate, prompts_solved, backend. ToolError when nothing is accepted.
    """
    from posttrain.tools.evaluation.registry import get_benchmark

    if keep_per_prompt < 1:
        raise ConfigError("keep_per_prompt must be >= 1; fix: e.g. 1")
    bench = get_benchmark(benchmark) if isinstance(benchmark, str) else benchmark
    sampled = sample_and_score(model, items, bench, samples_per_prompt=samples_per_prompt, temperature=temperature,
                               max_new_tokens=max_new_tokens, seed=seed, progress=progress)
    rows = _verified(sampled, keep_per_prompt)
    accepted, total = sum(map(sum, sampled.correct)), len(items) * samples_per_prompt
    if not rows:
        raise ToolError(
            f"{model} solves none of the {len(items)} prompts: 0 of {total} samples pass the {bench.name} scorer at "
            f"temperature {temperature}; fix: train it with SFT first, raise temperature, or sample more per prompt "
            f"(samples_per_prompt={samples_per_prompt})"
        )
    counts = {"prompts": len(items), "samples": total, "accepted": accepted, "kept": len(rows)}
    kept, contamination = decontaminate(rows, [bench.spec] if bench.spec else [])
    counts["after_decontam"] = len(kept)
    name = bench.name.replace("/", "_") + "-rft"
    return save_dataset(
        kept, out_dir, name=name, fmt="sft", counts=counts, contamination=contamination,
        sources=[f"rft:{model}@k={samples_per_prompt},temperature={temperature},seed={seed}"],
        transformations=[
            f"sampled {samples_per_prompt} completions for each of {len(items)} prompts from {model} "
            f"({sampled.backend}, temperature {temperature}, seed {seed})",
            f"kept samples the {bench.spec} scorer accepts against the gold answer ({accepted} of {total})",
            f"kept at most {keep_per_prompt} distinct accepted completion(s) per prompt",
            f"decontamination gate against {bench.spec or 'nothing'}",
        ],
        label_accuracy=1.0,  # every kept completion passed the scorer
        generation=sampled.facts(model),
    )
