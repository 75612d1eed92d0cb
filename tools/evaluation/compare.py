"""Paired comparison of two evaluations of the same items, and a regression guard across benchmarks.

Items are matched by id. The p-value is McNemar's exact test (two-sided binomial test on the discordant pairs);
the 95% interval of the score difference is a paired bootstrap with a fixed seed, so reruns agree::

    cmp = compare_reports("base/arithmetic.json", "sft/arithmetic.json")
    cmp.diff, cmp.ci95, cmp.p_value, cmp.significant      # 0.31, (0.25, 0.37), 1.2e-19, True
    guard = check_regressions({"arithmetic": cmp, "caesar": cmp2})
    guard.tradeoff                                        # True when a gain on one costs another
"""

import math
from pathlib import Path

from pydantic import BaseModel, Field

from posttrain.tools.errors import ConfigError
from posttrain.tools.evaluation.report import EvalReport, load_records


class Comparison(BaseModel):
    """Candidate minus baseline on the items both evaluated."""

    n_pairs: int = Field(description="Items present in both reports (matched by id).")
    baseline_score: float = Field(description="Baseline accuracy on the paired items.")
    candidate_score: float = Field(description="Candidate accuracy on the paired items.")
    diff: float = Field(description="candidate_score - baseline_score.")
    ci95: tuple[float, float] = Field(description="95% paired-bootstrap interval of diff.")
    p_value: float = Field(description="Two-sided p-value of McNemar's exact test (1.0 without discordant pairs).")
    significant: bool = Field(description="p_value < 0.05.")
    method: str = Field(description="How p_value and ci95 were computed.")
    only_improved: int = Field(0, description="Items the candidate gets right and the baseline wrong.")
    only_regressed: int = Field(0, description="Items the baseline gets right and the candidate wrong.")

    # The one wording of a paired test: debates, summaries, the console, the report and the Markdown export all
    # quote these, so a reader sees the same numbers said the same way everywhere.
    @property
    def verdict(self) -> str:
        return "significant" if self.significant else "not significant"

    def interval(self) -> str:
        """The 95% CI of the difference: `+0.050…+0.210`."""
        return f"{self.ci95[0]:+.3f}…{self.ci95[1]:+.3f}"

    def brief(self) -> str:
        """`Δ +0.130, p=0.0042`: where a table has room for the difference and the p-value only."""
        return f"Δ {self.diff:+.3f}, p={self.p_value:.3g}"

    def describe(self) -> str:
        """`Δ +0.130 (95% CI +0.050…+0.210, p=0.0042, significant at 0.05)`."""
        return f"Δ {self.diff:+.3f} (95% CI {self.interval()}, p={self.p_value:.3g}, {self.verdict} at 0.05)"


def mcnemar_exact(only_baseline: int, only_candidate: int) -> float:
    """Two-sided exact McNemar p-value: P(X <= min(b, c)) * 2 for X ~ Binomial(b + c, 1/2), capped at 1."""
    discordant = only_baseline + only_candidate
    if discordant == 0:
        return 1.0
    low = min(only_baseline, only_candidate)
    tail = sum(math.comb(discordant, k) for k in range(low + 1)) / 2**discordant
    return min(1.0, 2 * tail)


def paired_bootstrap_ci(deltas: list[int], resamples: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """Percentile 95% interval of the mean of per-item deltas (-1, 0, +1), resampling items with replacement."""
    n = len(deltas)
    if n == 0:
        return (0.0, 0.0)
    import numpy as np

    rng = np.random.default_rng(seed)
    values = np.asarray(deltas, dtype=np.float64)
    means = values[rng.integers(0, n, size=(resamples, n))].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return (float(low), float(high))


def _correct_by_id(report: EvalReport | str | Path) -> dict[str, bool]:
    return {record.id: record.correct for record in load_records(report)}


def compare_reports(baseline: EvalReport | str | Path, candidate: EvalReport | str | Path) -> Comparison:
    """Compare two evaluations item by item (matched by id): difference, 95% CI, exact McNemar p-value, and
    whether the difference is significant at 0.05. Reports with no common item raise ConfigError."""
    base, cand = _correct_by_id(baseline), _correct_by_id(candidate)
    ids = [item_id for item_id in base if item_id in cand]
    if not ids:
        raise ConfigError("the two reports share no item ids; fix: evaluate both models on the same benchmark spec")
    deltas = [int(cand[i]) - int(base[i]) for i in ids]
    improved, regressed = deltas.count(1), deltas.count(-1)
    p_value = mcnemar_exact(regressed, improved)
    base_score = sum(base[i] for i in ids) / len(ids)
    cand_score = sum(cand[i] for i in ids) / len(ids)
    return Comparison(
        n_pairs=len(ids), baseline_score=base_score, candidate_score=cand_score, diff=cand_score - base_score,
        ci95=paired_bootstrap_ci(deltas), p_value=p_value, significant=p_value < 0.05,
        method="mcnemar-exact p-value; paired-bootstrap 95% CI (10000 resamples, seed 0)",
        only_improved=improved, only_regressed=regressed,
    )


class RegressionReport(BaseModel):
    """Per-benchmark verdicts of one candidate against its baseline."""

    comparisons: dict[str, Comparison] = Field(description="Benchmark name → paired comparison.")
    improved: list[str] = Field(description="Benchmarks with a significant gain.")
    regressed: list[str] = Field(description="Benchmarks with a significant loss.")
    unclear: list[str] = Field(description="Benchmarks whose change is not significant.")
    tradeoff: bool = Field(description="True when a significant gain comes with a significant loss elsewhere.")
    summary: str = Field(description="One line per benchmark, for the Evaluator's debate turn.")


def check_regressions(comparisons: dict[str, Comparison]) -> RegressionReport:
    """Regression guard for goals that name several benchmarks: flags significant losses, and a gain on one
    benchmark that costs another (``tradeoff``). Pass benchmark name → ``compare_reports`` result."""
    improved = [name for name, c in comparisons.items() if c.significant and c.diff > 0]
    regressed = [name for name, c in comparisons.items() if c.significant and c.diff < 0]
    unclear = [name for name in comparisons if name not in improved and name not in regressed]
    lines = []
    for name, c in comparisons.items():
        verdict = "GAIN" if name in improved else "REGRESSION" if name in regressed else "no significant change"
        lines.append(
            f"{name}: {c.baseline_score:.3f} -> {c.candidate_score:.3f} (diff {c.diff:+.3f}, "
            f"95% CI [{c.ci95[0]:+.3f}, {c.ci95[1]:+.3f}], p={c.p_value:.3g}, n={c.n_pairs}) {verdict}"
        )
    if improved and regressed:
        lines.append(f"TRADE-OFF: gains on {', '.join(improved)} cost {', '.join(regressed)}")
    return RegressionReport(comparisons=comparisons, improved=improved, regressed=regressed, unclear=unclear,
                            tradeoff=bool(improved and regressed), summary="\n".join(lines))


def compare_many(pairs: dict[str, tuple[EvalReport | str | Path, EvalReport | str | Path]]) -> RegressionReport:
    """``check_regressions`` from benchmark name → (baseline report, candidate report)."""
    return check_regressions({name: compare_reports(b, c) for name, (b, c) in pairs.items()})



def compare_folders(baseline_dir: str | Path, candidate_dir: str | Path) -> RegressionReport:
    """Regression guard over two eval folders (e.g. ``artifacts/0/eval`` and ``artifacts/3/eval``): every
    ``<benchmark>.json`` present in both is compared; ConfigError when they share none."""
    base, cand = Path(baseline_dir), Path(candidate_dir)
    for folder in (base, cand):
        if not folder.is_dir():
            raise ConfigError(f"{folder} is not a folder of evaluation reports; fix: pass the eval folders")
    names = sorted(p.stem for p in base.glob("*.json") if (cand / p.name).is_file())
    if not names:
        raise ConfigError(f"{base} and {cand} share no <benchmark>.json report; fix: evaluate the same benchmarks")
    return compare_many({name: (base / f"{name}.json", cand / f"{name}.json") for name in names})
