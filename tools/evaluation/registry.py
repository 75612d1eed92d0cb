"""Turn a benchmark spec string into a Benchmark: built-in synthetic ones, Hub ones, or a local file.

Spec grammar: ``name[:variant][,key=value...]`` or a path::

    get_benchmark("arithmetic:digits=3,ops=+-,n_eval=200,seed=0")
    get_benchmark("gpqa:diamond")
    get_benchmark("gsm8k:revision=<sha>")
    get_benchmark("my/items.jsonl")        # or my/bench.yaml
"""

import inspect
from pathlib import Path

from posttrain.tools.errors import ConfigError
from posttrain.tools.evaluation.benchmark import Benchmark
from posttrain.tools.evaluation.file_benchmark import load_file_benchmark
from posttrain.tools.evaluation.hub_benchmarks import HUB_SOURCES, HubBenchmark, normalise_variant
from posttrain.tools.evaluation.synthetic import ArithmeticBenchmark, CaesarBenchmark


SYNTHETIC = {"arithmetic": ArithmeticBenchmark, "caesar": CaesarBenchmark}
_FILE_SUFFIXES = (".jsonl", ".json", ".yaml", ".yml")


def list_benchmarks() -> list[str]:
    """Names of the built-in benchmarks (synthetic first, then Hub ones and their variants)."""
    names = list(SYNTHETIC)
    for name, source in HUB_SOURCES.items():
        names.append(name)
        names += [f"{name}:{variant}" for variant in source.configs if variant != "main"]
    return names


def _valid_names() -> str:
    return ", ".join(list_benchmarks()) + ", or a path to items.jsonl / bench.yaml"


def _parse_params(name: str, text: str) -> tuple[list[str], dict[str, str]]:
    positional, params = [], {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            positional.append(part)
        elif not key.strip() or not value.strip():
            raise ConfigError(f"bad parameter '{part}' in benchmark '{name}'; fix: write key=value")
        else:
            params[key.strip()] = value.strip()
    return positional, params


def _convert(cls: type, name: str, params: dict[str, str]) -> dict[str, object]:
    """Check parameter names against the constructor and convert values to its annotated types."""
    signature = inspect.signature(cls.__init__)
    allowed = {p: signature.parameters[p] for p in signature.parameters if p != "self"}
    converted: dict[str, object] = {}
    for key, value in params.items():
        if key not in allowed:
            raise ConfigError(
                f"unknown parameter '{key}' for benchmark '{name}'; valid: {', '.join(allowed)}"
            )
        kind = type(allowed[key].default) if allowed[key].default is not None else str
        try:
            converted[key] = kind(value)
        except ValueError as exc:
            raise ConfigError(f"parameter {key}={value!r} of '{name}' must be {kind.__name__}") from exc
    return converted


def get_benchmark(spec: str) -> Benchmark:
    """Build the benchmark named by ``spec``: "arithmetic", "arithmetic:digits=3,ops=+-,n_eval=200,seed=0",
    "caesar", "gsm8k", "math500", "aime2025", "gpqa", "gpqa:diamond", "humaneval", "path/items.jsonl" or
    "path/bench.yaml". Unknown names, bad parameters or missing files raise ConfigError listing valid names.
    """
    spec = spec.strip()
    if not spec:
        raise ConfigError(f"empty benchmark spec; use one of: {_valid_names()}")
    if spec.endswith(_FILE_SUFFIXES) or Path(spec).is_file():
        return load_file_benchmark(spec)
    name, _, rest = spec.partition(":")
    name = name.strip().lower()
    positional, params = _parse_params(name, rest)
    if name in SYNTHETIC:
        if positional:
            raise ConfigError(f"'{name}' takes key=value parameters only, got '{positional[0]}'")
        return SYNTHETIC[name](**_convert(SYNTHETIC[name], name, params))
    if name in HUB_SOURCES:
        if len(positional) > 1:
            raise ConfigError(f"'{name}' takes at most one variant, got {positional}")
        variant = normalise_variant(positional[0]) if positional else None
        for key in params:
            if key not in ("revision", "seed", "shots"):
                raise ConfigError(f"unknown parameter '{key}' for benchmark '{name}'; valid: revision, seed, shots")
        kwargs = _convert(HubBenchmark, name, params)
        return HubBenchmark(HUB_SOURCES[name], variant=variant, **kwargs)
    raise ConfigError(f"unknown benchmark '{name}'; use one of: {_valid_names()}")
