"""Turn a benchmark spec string into a Benchmark: built-in synthetic ones, Hub ones, or a local file.

Spec grammar: ``name[:variant][,key=value...]`` or a path::

    get_benchmark("arithmetic:digits=3,ops=+-,n_eval=200,seed=0")
    get_benchmark("gpqa:diamond")
    get_benchmark("gsm8k:revision=<sha>")
    get_benchmark("my/items.jsonl")        # or my/bench.yaml

Goal sentences name benchmarks in words; ``benchmark_from_text`` maps them to a spec, and ``expected_items``
counts a spec's eval items without downloading anything::

    benchmark_from_text("push the model on GPQA-Diamond")   # ("gpqa:diamond", "GPQA-Diamond")
    benchmark_from_text("2-digit multiplication")            # ("arithmetic:digits=2,ops=*", "2-digit multiplication")
    expected_items("gsm8k")                                  # 1319
"""

import inspect
import re
from pathlib import Path

from posttrain.tools.errors import ConfigError
from posttrain.tools.evaluation.benchmark import Benchmark
from posttrain.tools.evaluation.file_benchmark import FileBenchmark, load_file_benchmark
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


# --- sizes known without downloading ---------------------------------------------------------------------------

# Eval items of each Hub benchmark's registry split, keyed by the benchmark's report name (HubBenchmark.name).
# Fixed by the published datasets; a test-set change upstream would show as a different n in the report.
HUB_ITEM_COUNTS: dict[str, int] = {
    "gsm8k": 1319, "math500": 500, "aime2025": 30, "gpqa": 448, "gpqa_diamond": 198, "humaneval": 164,
}


def expected_items(spec: str) -> int | None:
    """Eval items of ``spec`` without downloading: the Hub size table, a synthetic n_eval, or a file's rows.

    None when the size is unknown (a Hub benchmark missing from the table). Bad specs raise ConfigError.
    """
    bench = get_benchmark(spec)
    if isinstance(bench, HubBenchmark):
        return HUB_ITEM_COUNTS.get(bench.name)
    if isinstance(bench, FileBenchmark):
        return len(bench.eval_items())
    return getattr(bench, "n_eval", None)


# --- benchmark names in words ----------------------------------------------------------------------------------

# Words people use that the registry's own names do not cover. Names, dataset ids and variants are added below.
_EXTRA_ALIASES = {
    "grade school math": "gsm8k", "aime": "aime2025", "human eval": "humaneval", "gpqa main": "gpqa",
    "caesar shift": "caesar", "caesar cipher": "caesar",
}
_NUMBER_WORDS = {w: n for n, w in enumerate("one two three four five six seven eight nine".split(), start=1)}
_OP_WORDS = {"addition": "+", "subtraction": "-", "multiplication": "*"}
_OP = r"(?:addition|subtraction|multiplication)s?"
_DIGITS = r"(?P<digits>\d+|" + "|".join(_NUMBER_WORDS) + r")[\s-]*digits?"
# "3-digit addition and subtraction", "addition", "two digit multiplication", "3-digit arithmetic",
# "addition of 3-digit numbers"
_ARITHMETIC = re.compile(
    rf"(?<![\w/])(?:{_DIGITS}[\s-]+)?(?P<ops>{_OP}(?:\s*(?:,|and|&|/|or)\s*{_OP})*|arithmetic)"
    rf"(?:\s+of\s+(?:two\s+)?(?P<digits_after>\d+|{'|'.join(_NUMBER_WORDS)})[\s-]*digits?\s+(?:numbers|integers))?"
    r"(?![\w/])",
    re.IGNORECASE,
)


def _alias_table() -> dict[str, str]:
    """Alias words → spec, built from the registry so a new Hub entry is found by its name and dataset id."""
    aliases = {name: name for name in SYNTHETIC}
    for name, source in HUB_SOURCES.items():
        aliases[name] = name
        aliases[source.dataset.lower()] = name  # openai/gsm8k
        aliases[source.dataset.split("/")[-1].lower()] = name  # MATH-500, aime_2025
        aliases |= {f"{name} {variant}": f"{name}:{variant}" for variant in source.configs if variant != "main"}
    return aliases | _EXTRA_ALIASES


BENCHMARK_ALIASES: dict[str, str] = _alias_table()


def _alias_pattern(alias: str) -> re.Pattern:
    # "gsm8k" also matches "GSM-8K" and "gsm 8k": letters, digits and punctuation may be split by space, - or _
    parts = re.findall(r"[a-z]+|\d+|[^a-z\d\s_-]", alias)
    return re.compile(r"(?<![\w/])" + r"[\s_-]*".join(map(re.escape, parts)) + r"(?![\w/])", re.IGNORECASE)


_ALIAS_PATTERNS = [(_alias_pattern(alias), spec) for alias, spec in BENCHMARK_ALIASES.items()]


def _number(text: str) -> int:
    return int(text) if text.isdigit() else _NUMBER_WORDS[text.lower()]


def _arithmetic_spec(match: re.Match) -> str:
    digits = match.group("digits") or match.group("digits_after")
    words = re.findall(_OP, match.group("ops"), re.IGNORECASE)
    ops = "".join(dict.fromkeys(_OP_WORDS[w.lower().rstrip("s")] for w in words))
    params = ([f"digits={_number(digits)}"] if digits else []) + ([f"ops={ops}"] if ops else [])
    return "arithmetic" + (":" + ",".join(params) if params else "")  # unnamed knobs keep the class defaults


def benchmarks_in_text(text: str) -> list[tuple[str, str]]:
    """Every benchmark ``text`` names, in order of mention, as (spec, matched words); case-insensitive.

    Where two matches overlap the longer one wins, so "GPQA diamond" is gpqa:diamond, not gpqa.
    """
    found = [(m.start(), m.end(), spec) for pattern, spec in _ALIAS_PATTERNS for m in pattern.finditer(text)]
    found += [(m.start(), m.end(), _arithmetic_spec(m)) for m in _ARITHMETIC.finditer(text)]
    found.sort(key=lambda f: (f[0] - f[1], f[0]))  # longest first
    kept: list[tuple[int, int, str]] = []
    for start, end, spec in found:
        if all(end <= s or start >= e for s, e, _ in kept):
            kept.append((start, end, spec))
    return [(spec, text[start:end]) for start, end, spec in sorted(kept)]


def benchmark_from_text(text: str) -> tuple[str, str] | None:
    """The first benchmark ``text`` names as (spec, matched words), or None; see ``benchmarks_in_text``."""
    found = benchmarks_in_text(text)
    return found[0] if found else None
