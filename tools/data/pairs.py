"""Preference pairs from the model's own samples: the data step of Iterative Reasoning Preference Optimization
(arXiv:2404.19733).

Sample k completions per training prompt from the current model (the same sampling and scoring as RFT,
`rft.sample_and_score`), and pair an answer the benchmark's scorer accepts (chosen) with one it rejects (rejected).
Only prompts the model answers both right and wrong yield pairs, so the pairs are where the model is unsure::

    items = items_from_dataset("runs/x/data/caesar-grpo.parquet")
    artifact = build_preference_pairs("runs/x/rft/checkpoint", items, "caesar", "runs/x/dpo-data", samples_per_prompt=8)
    artifact.counts["pairs"], artifact.generation["prompts_mixed"]
"""

from pathlib import Path

from posttrain.tools.data.artifact import DatasetArtifact
from posttrain.tools.data.decontam import decontaminate
from posttrain.tools.data.rft import Sampled, sample_and_score
from posttrain.tools.data.save import save_dataset
from posttrain.tools.errors import ConfigError, ToolError
from posttrain.tools.evaluation.benchmark import Benchmark, Item
from posttrain.tools.progress import ProgressFn, null_progress


def pair_samples(sampled: Sampled, pairs_per_prompt: int) -> list[dict]:
    """Up to ``pairs_per_prompt`` (chosen, rejected) rows per prompt: each distinct rejected answer against a distinct
    accepted one, taken in turn (empty answers are not an answer to prefer against)."""
    rows = []
    for item, group, correct in zip(sampled.items, sampled.samples, sampled.correct, strict=True):
        good = list(dict.fromkeys(t for t, ok in zip(group, correct, strict=True) if ok))
        bad = list(dict.fromkeys(t for t, ok in zip(group, correct, strict=True) if not ok and t.strip()))
        if good:  # every distinct wrong answer against a right one, the right ones taken in turn
            rows += [{"prompt": item.prompt, "chosen": good[i % len(good)], "rejected": r}
                     for i, r in enumerate(bad[:pairs_per_prompt])]
    return rows


def build_preference_pairs(
    model: str,
    items: list[Item],
    benchmark: Benchmark | str,
    out_dir: str | Path,
    *,
    samples_per_prompt: int = 4,
    pairs_per_prompt: int = 2,
    temperature: float = 1.0,
    max_new_tokens: int | None = None,
    seed: int = 0,
    progress: ProgressFn = null_progress,
) -> DatasetArtifact:
    """Sample, score, pair, and save prompt/chosen/rejected rows (out_dir/<benchmark>-pairs.parquet + card).

    Counts: prompts, samples, accepted, pairs (then after_decontam); generation facts as RFT's (acceptance_rate,
    prompts_solved) plus prompts_mixed, the share of prompts answered both right and wrong. ToolError when no
    prompt had both."""
    from posttrain.tools.evaluation.registry import get_benchmark

    if pairs_per_prompt < 1:
        raise ConfigError("pairs_per_prompt must be >= 1; fix: e.g. 2")
    bench = get_benchmark(benchmark) if isinstance(benchmark, str) else benchmark
    sampled = sample_and_score(model, items, bench, samples_per_prompt=samples_per_prompt, temperature=temperature,
                               max_new_tokens=max_new_tokens, seed=seed, progress=progress)
    rows = pair_samples(sampled, pairs_per_prompt)
    accepted, total = sum(map(sum, sampled.correct)), len(items) * samples_per_prompt
    if not rows:
        raise ToolError(
            f"no preference pairs: none of the {len(items)} prompts got both an accepted and a rejected answer from "
            f"{model} ({accepted} of {total} samples accepted by the {bench.name} scorer); fix: "
            + ("train with SFT first" if not accepted else "the model is already consistent: sample more per prompt "
               "or use harder prompts") + f" (samples_per_prompt={samples_per_prompt})")
    counts = {"prompts": len(items), "samples": total, "accepted": accepted, "pairs": len(rows)}
    kept, contamination = decontaminate(rows, [bench.spec] if bench.spec else [])
    counts["after_decontam"] = len(kept)
    return save_dataset(
        kept, out_dir, name=bench.name.replace("/", "_") + "-pairs", fmt="dpo", counts=counts,
        contamination=contamination,
        sources=[f"pairs:{model}@k={samples_per_prompt},temperature={temperature},seed={seed}"],
        transformations=[
            f"sampled {samples_per_prompt} completions for each of {len(items)} prompts from {model} "
            f"({sampled.backend}, temperature {temperature}, seed {seed})",
            f"scored each against the gold answer with the {bench.spec} scorer ({accepted} of {total} accepted)",
            f"paired distinct accepted (chosen) with distinct rejected (rejected) answers, at most {pairs_per_prompt} "
            "per prompt",
            f"decontamination gate against {bench.spec or 'nothing'}",
        ],
        generation=sampled.facts(model),
    )
