"""Evaluation reports: score with a Wilson 95% interval, per-item records, written as one JSON file per benchmark.

    report = load_report("artifacts/3/eval/arithmetic.json")
    report.score, report.ci95                 # 0.62, (0.55, 0.68)
    load_records(report.path)[0]              # ItemRecord(id=..., prompt=..., completion=..., correct=...)
"""

import json
import math
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from posttrain.tools.errors import ConfigError


Z95 = 1.959963984540054  # two-sided 95% normal quantile


class ItemRecord(BaseModel):
    """What happened on one item."""

    id: str = Field(description="Item id (pairs items across reports).")
    prompt: str = Field(description="The prompt as sent (before any chat template).")
    completion: str = Field(description="The model's completion, cut at the benchmark's stop strings.")
    extracted: str | None = Field(description="Answer found in the completion; None when none was found.")
    gold: str = Field(description="The gold answer.")
    correct: bool = Field(description="Scorer verdict.")
    outcome: str = Field("", description="correct, empty, cut (hit max_new_tokens), format_miss (gold in the text, "
                                         "not where the scorer reads) or wrong.")
    rule: str | None = Field(None, description="How the scorer found the answer (boxed, answer marker, label word…).")


class EvalReport(BaseModel):
    """Summary of one evaluation; ``path`` is the JSON file that also holds the per-item records."""

    benchmark: str = Field(description="Benchmark name.")
    model: str = Field(description="Model path or Hub id that was evaluated.")
    n: int = Field(description="Number of items scored.")
    correct: int = Field(description="Number scored correct.")
    score: float = Field(description="correct / n (0 when n is 0).")
    ci95: tuple[float, float] = Field(description="Wilson 95% interval of the score.")
    backend: str = Field(description="'vllm' or 'transformers'.")
    duration_s: float = Field(description="Wall time of the whole evaluation (loading, generation, scoring).")
    path: str = Field(description="JSON file holding this report plus per-item records.")
    spec: str = Field("", description="Canonical benchmark spec, to rebuild the same items.")
    timings: dict[str, float] = Field(default_factory=dict, description="load_s, generate_s, score_s, items_per_s.")
    settings: dict = Field(default_factory=dict, description="Generation settings used.")
    outcomes: dict = Field(default_factory=dict, description="How items failed and how answers were read "
                                                             "(failures.Outcomes as a dict).")

    def failures(self):
        """The outcome counts as a typed `Outcomes` (empty for reports written before they were recorded)."""
        from posttrain.tools.evaluation.failures import Outcomes

        return Outcomes.model_validate(self.outcomes) if self.outcomes else None


def wilson_interval(correct: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion; (0, 1) when n is 0. Better than Wald near 0 and 1 and at small n."""
    if n == 0:
        return (0.0, 1.0)
    p = correct / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # rounding removes float dust such as 7e-18 for a lower bound that is exactly 0
    return (round(max(0.0, centre - half), 12), round(min(1.0, centre + half), 12))


def build_report(*, benchmark: str, spec: str, model: str, records: list[ItemRecord], backend: str,
                 duration_s: float, path: Path, timings: dict[str, float], settings: dict) -> EvalReport:
    """Summarise records into an EvalReport (no I/O)."""
    from posttrain.tools.evaluation.failures import Outcomes

    correct = sum(record.correct for record in records)
    n = len(records)
    outcomes = Outcomes.tally([r.outcome for r in records if r.outcome], [r.rule for r in records],
                              settings.get("max_new_tokens"))
    return EvalReport(
        benchmark=benchmark, model=model, n=n, correct=correct, score=correct / n if n else 0.0,
        ci95=wilson_interval(correct, n), backend=backend, duration_s=duration_s, path=str(path), spec=spec,
        timings=timings, settings=settings, outcomes=outcomes.model_dump() if outcomes.n else {},
    )


def write_report(report: EvalReport, records: list[ItemRecord]) -> Path:
    """Write the report and its records to ``report.path`` (parent folders created)."""
    path = Path(report.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = report.model_dump(mode="json") | {"records": [r.model_dump(mode="json") for r in records]}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)  # atomic: a reader never sees half a report
    return path


def _read(path: str | Path) -> dict:
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"evaluation report {file} does not exist; fix: run `posttrain eval` first or fix the path")
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{file} is not a JSON evaluation report ({exc.msg})") from exc


def load_report(path: str | Path) -> EvalReport:
    """Read the summary of a report file written by ``evaluate_model``."""
    data = _read(path)
    try:
        return EvalReport.model_validate({k: v for k, v in data.items() if k != "records"} | {"path": str(path)})
    except ValidationError as exc:
        raise ConfigError(f"{path} is not an evaluation report: {exc.errors()[0]['msg']}") from exc


def load_records(report: EvalReport | str | Path) -> list[ItemRecord]:
    """The per-item records of a report (by report object or file path)."""
    path = report.path if isinstance(report, EvalReport) else report
    return [ItemRecord.model_validate(record) for record in _read(path).get("records", [])]
