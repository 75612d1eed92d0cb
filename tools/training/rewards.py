"""GRPO reward library: plain TRL reward functions `(completions, **columns) -> list[float]`, built from RewardSpecs.

Names: ``benchmark`` (the Evaluator's scorer for the spec's benchmark), ``exact_match`` (stripped text equals the
``answer`` column), ``numeric_match`` (the Evaluator's number parser: "0579" matches "579", "5790" does not;
``params.position`` first|last), ``choice_letter`` (the Evaluator's letter extraction, ``params.n_choices``),
``format`` (regex ``params.pattern`` fully matches), ``length_penalty`` (0 up to ``params.max_tokens``, then
down to −1 at twice that)::

    funcs = build_reward_funcs([RewardSpec(name="exact_match")])
    funcs[0](completions=["rangf", "range"], answer=["rangf", "rangf"])   # [1.0, 0.0]
"""

import re
from collections.abc import Callable

from posttrain.tools.errors import ConfigError
from posttrain.tools.training.grpo_config import RewardSpec


RewardFn = Callable[..., list[float]]


def completion_text(completion) -> str:
    """The generated text, whether TRL passes a string or a conversational list of messages."""
    if isinstance(completion, list):
        return completion[-1]["content"] if completion else ""
    return completion


def _exact_match(params: dict) -> RewardFn:
    fold = not params.get("case_sensitive", True)

    def exact_match(completions, answer, **_) -> list[float]:
        norm = (lambda s: s.strip().lower()) if fold else (lambda s: s.strip())
        return [float(norm(completion_text(c)) == norm(str(a))) for c, a in zip(completions, answer, strict=True)]

    return exact_match


def _numeric_match(params: dict) -> RewardFn:
    from posttrain.tools.evaluation.scorers import score_numeric  # same parser as the metric: no drift

    position = params.get("position", "last")

    def numeric_match(completions, answer, **_) -> list[float]:
        return [
            float(score_numeric(completion_text(c), str(a), position).correct)
            for c, a in zip(completions, answer, strict=True)
        ]

    return numeric_match


def _choice_letter(params: dict) -> RewardFn:
    from posttrain.tools.evaluation.scorers import score_choice

    n_choices = int(params.get("n_choices", 4))

    def choice_letter(completions, answer, **_) -> list[float]:
        return [
            float(score_choice(completion_text(c), str(a), n_choices).correct)
            for c, a in zip(completions, answer, strict=True)
        ]

    return choice_letter


def _format(params: dict) -> RewardFn:
    if "pattern" not in params:
        raise ConfigError("reward 'format' needs params.pattern (a regex the whole completion must match)")
    try:
        pattern = re.compile(params["pattern"], re.DOTALL)
    except re.error as exc:
        raise ConfigError(f"reward 'format' pattern does not compile ({exc}); fix the regex") from exc

    def format_reward(completions, **_) -> list[float]:
        return [float(pattern.fullmatch(completion_text(c).strip()) is not None) for c in completions]

    format_reward.__name__ = "format"
    return format_reward


def _length_penalty(params: dict) -> RewardFn:
    limit = int(params.get("max_tokens", 64))
    if limit < 1:
        raise ConfigError("reward 'length_penalty' needs params.max_tokens >= 1")

    def length_penalty(completions, completion_ids=None, **_) -> list[float]:
        lengths = [len(ids) for ids in completion_ids] if completion_ids is not None else [
            len(completion_text(c)) for c in completions
        ]
        return [-min(1.0, max(0, n - limit) / limit) for n in lengths]

    return length_penalty


def _benchmark(params: dict, benchmark: str | None) -> RewardFn:
    from posttrain.tools.evaluation import Item, get_benchmark

    bench = get_benchmark(benchmark)

    def benchmark_reward(prompts, completions, answer, **_) -> list[float]:
        return [
            float(bench.score(completion_text(c), Item(id="rollout", prompt=str(p), answer=str(a))).correct)
            for p, c, a in zip(prompts, completions, answer, strict=True)
        ]

    benchmark_reward.__name__ = "benchmark"
    return benchmark_reward


BUILDERS: dict[str, Callable[[dict], RewardFn]] = {
    "exact_match": _exact_match,
    "numeric_match": _numeric_match,
    "choice_letter": _choice_letter,
    "format": _format,
    "length_penalty": _length_penalty,
}


def build_reward_funcs(specs: list[RewardSpec], benchmark: str | None = None) -> list[RewardFn]:
    """One TRL reward function per spec, in order (weights go to GRPOConfig.reward_weights)."""
    funcs = []
    for spec in specs:
        if spec.name == "benchmark":
            funcs.append(_benchmark(spec.params, benchmark))
        elif spec.name in BUILDERS:
            funcs.append(BUILDERS[spec.name](spec.params))
        else:
            raise ConfigError(f"unknown reward {spec.name!r}; use one of: benchmark, {', '.join(BUILDERS)}")
    return funcs
