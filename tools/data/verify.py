"""Verified generation (rejection sampling): keep a teacher sample only when every check accepts it.

Checks: ``benchmark`` (the benchmark's own scorer against the known answer), ``exact`` (stripped text equals
the answer), ``numeric`` (first number equals the answer), ``regex:<pattern>`` (format: the stripped
completion fully matches). Accepted samples become SFT rows; a prompt with both an accepted and a rejected sample
also yields a DPO pair. Acceptance rates are reported overall, per check, and per prompt.

>>> result = verified_generation("runs/x/teacher", items, checks=["benchmark"], benchmark="arithmetic", n=4)
>>> result.acceptance_rate, result.rejected_by, len(result.rows), len(result.pairs)
"""

import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from posttrain.tools.data.teacher import TeacherSamples, generate_samples
from posttrain.tools.errors import ConfigError


Check = Callable[[str, Any], bool]


class VerifiedSamples(BaseModel):
    """What rejection sampling kept, and the rates."""

    rows: list[dict[str, str]] = Field(
        description="Accepted samples as SFT rows: prompt, completion, answer (the item's gold answer)."
    )
    pairs: list[dict[str, str]] = Field(description="DPO rows: prompt, chosen (accepted), rejected (rejected sample).")
    n_prompts: int = Field(description="Prompts sent to the teacher.")
    n_samples: int = Field(description="Samples generated (prompts × n).")
    n_accepted: int = Field(description="Samples every check accepted.")
    acceptance_rate: float = Field(description="n_accepted / n_samples.")
    prompts_solved: float = Field(description="Share of prompts with at least one accepted sample.")
    rejected_by: dict[str, int] = Field(description="Samples each check rejected (a sample can fail several).")
    teacher: TeacherSamples = Field(description="The raw generation (all samples), for audit.")


def make_check(name: str, benchmark: Any | None = None) -> Check:
    """Build one check by name: benchmark, exact, numeric or regex:<pattern>."""
    from posttrain.tools.evaluation.scorers import score_completion

    if name == "benchmark":
        if benchmark is None:
            raise ConfigError("check 'benchmark' needs a benchmark; fix: set prompts_from to a benchmark name")
        return lambda text, item: benchmark.score(text, item).correct
    if name == "exact":
        return lambda text, item: text.strip() == item.answer.strip()
    if name == "numeric":
        return lambda text, item: score_completion("numeric", text, item).correct
    if name.startswith("regex:"):
        try:
            pattern = re.compile(name[len("regex:") :])
        except re.error as exc:
            raise ConfigError(f"bad check pattern {name!r}: {exc}; fix the regular expression") from exc
        return lambda text, item: pattern.fullmatch(text.strip()) is not None
    raise ConfigError(f"unknown check {name!r}; fix: use benchmark, exact, numeric or regex:<pattern>")


def verified_generation(
    model: str,
    items: list[Any],
    *,
    checks: list[str],
    benchmark: str | None = None,
    n: int = 4,
    keep_per_prompt: int = 1,
    **generation: Any,
) -> VerifiedSamples:
    """Sample ``n`` completions per item from a teacher, keep those every check accepts (rejection sampling).

    ``items``: objects with ``prompt`` and ``answer`` (the known true answer), e.g. a benchmark's train items.
    ``keep_per_prompt``: distinct accepted completions kept per prompt. ``generation``: passed to
    generate_samples (temperature, max_new_tokens, seed, backend, chat, stop, hosted_api...).
    """
    if not checks:
        raise ConfigError("verified generation needs at least one check; fix: e.g. checks: [benchmark]")
    from posttrain.tools.evaluation import get_benchmark

    bench = get_benchmark(benchmark) if benchmark else None
    named = [(name, make_check(name, bench)) for name in checks]
    teacher = generate_samples(model, [item.prompt for item in items], n=n, **generation)
    rows, pairs, rejected_by = [], [], {name: 0 for name, _ in named}
    accepted_total = solved = 0
    for item, samples in zip(items, teacher.samples, strict=True):
        good, bad = [], []
        for text in samples:
            failed = [name for name, check in named if not check(text, item)]
            for name in failed:
                rejected_by[name] += 1
            (bad if failed else good).append(text)
        accepted_total += len(good)
        solved += bool(good)
        for text in list(dict.fromkeys(good))[:keep_per_prompt]:
            rows.append({"prompt": item.prompt, "completion": text, "answer": str(item.answer)})
        if good and bad:
            pairs.append({"prompt": item.prompt, "chosen": good[0], "rejected": bad[0]})
    total = len(items) * n
    return VerifiedSamples(
        rows=rows,
        pairs=pairs,
        n_prompts=len(items),
        n_samples=total,
        n_accepted=accepted_total,
        acceptance_rate=accepted_total / total if total else 0.0,
        prompts_solved=solved / len(items) if items else 0.0,
        rejected_by=rejected_by,
        teacher=teacher,
    )
