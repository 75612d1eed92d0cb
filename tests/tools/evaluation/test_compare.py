"""Wilson intervals, the exact McNemar test and the paired comparison, checked against known answers."""

import math

import pytest

from posttrain.tools.errors import ConfigError
from posttrain.tools.evaluation import (
    check_regressions,
    compare_many,
    compare_reports,
    load_records,
    load_report,
    mcnemar_exact,
    wilson_interval,
)
from posttrain.tools.evaluation.report import ItemRecord, build_report, write_report


@pytest.mark.parametrize(
    ("correct", "n", "low", "high"),
    [(8, 10, 0.4902, 0.9433), (0, 10, 0.0, 0.2775), (50, 100, 0.4038, 0.5962), (10, 10, 0.7225, 1.0)],
)
def test_wilson_interval_matches_published_values(correct, n, low, high):
    assert wilson_interval(correct, n) == pytest.approx((low, high), abs=5e-5)


def test_wilson_interval_without_items():
    assert wilson_interval(0, 0) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("b", "c", "p"),
    [(0, 10, 2 / 1024), (2, 8, 2 * 56 / 1024), (5, 5, 1.0), (0, 0, 1.0), (1, 0, 1.0), (10, 40, None)],
)
def test_mcnemar_exact(b, c, p):
    if p is None:  # two-sided binomial tail, written out
        p = 2 * sum(math.comb(50, k) for k in range(11)) / 2**50
    assert mcnemar_exact(b, c) == pytest.approx(p, rel=1e-12)
    assert mcnemar_exact(c, b) == mcnemar_exact(b, c)


def test_mcnemar_agrees_with_scipy():
    stats = pytest.importorskip("scipy.stats")
    for b, c in [(3, 17), (12, 20), (0, 6), (30, 31)]:
        assert mcnemar_exact(b, c) == pytest.approx(stats.binomtest(min(b, c), b + c, 0.5).pvalue, rel=1e-9)


def _report(tmp_path, name, correct_ids, ids, benchmark="arithmetic"):
    records = [ItemRecord(id=i, prompt=f"{i}=", completion="x", extracted="x", gold="x", correct=i in correct_ids)
               for i in ids]
    report = build_report(benchmark=benchmark, spec=benchmark, model=name, records=records, backend="transformers",
                          duration_s=1.0, path=tmp_path / name / f"{benchmark}.json", timings={}, settings={})
    write_report(report, records)
    return report


def test_paired_comparison_on_planted_reports(tmp_path):
    ids = [f"q{i}" for i in range(100)]
    base = _report(tmp_path, "base", {f"q{i}" for i in range(60)}, ids)
    # candidate loses q50-q59 and gains q60-q99: b=10 regressions, c=40 improvements
    cand = _report(tmp_path, "cand", {f"q{i}" for i in list(range(50)) + list(range(60, 100))}, ids + ["extra"])
    result = compare_reports(base.path, cand)
    assert (result.n_pairs, result.only_regressed, result.only_improved) == (100, 10, 40)
    assert (result.baseline_score, result.candidate_score) == (0.6, 0.9)
    assert result.diff == pytest.approx(0.3)
    assert result.p_value == pytest.approx(mcnemar_exact(10, 40)) and result.significant
    low, high = result.ci95
    assert 0.15 < low < 0.3 < high < 0.45
    assert compare_reports(base, cand) == result  # fixed bootstrap seed: reruns agree


def test_equal_reports_are_not_significant(tmp_path):
    ids = [f"q{i}" for i in range(40)]
    base = _report(tmp_path, "a", set(ids[:20]), ids)
    other = _report(tmp_path, "b", set(ids[10:30]), ids)  # 10 gained, 10 lost
    result = compare_reports(base, other)
    assert result.diff == 0 and result.p_value == 1.0 and not result.significant
    assert result.ci95[0] < 0 < result.ci95[1]


def test_reports_without_common_items(tmp_path):
    base = _report(tmp_path, "a", {"x"}, ["x"])
    other = _report(tmp_path, "b", {"y"}, ["y"])
    with pytest.raises(ConfigError, match="share no item ids"):
        compare_reports(base, other)


def test_report_round_trip_and_errors(tmp_path):
    report = _report(tmp_path, "m", {"q1"}, ["q0", "q1"])
    loaded = load_report(report.path)
    assert loaded == report and (loaded.n, loaded.correct, loaded.score) == (2, 1, 0.5)
    assert [r.correct for r in load_records(report.path)] == [False, True]
    with pytest.raises(ConfigError, match="does not exist"):
        load_report(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ConfigError, match="not a JSON evaluation report"):
        load_report(tmp_path / "bad.json")


def test_regression_guard_reports_a_tradeoff(tmp_path):
    ids = [f"q{i}" for i in range(60)]
    pairs = {
        "arithmetic": (_report(tmp_path, "b1", set(ids[:10]), ids), _report(tmp_path, "c1", set(ids[:50]), ids)),
        "caesar": (_report(tmp_path, "b2", set(ids[:50]), ids, "caesar"),
                   _report(tmp_path, "c2", set(ids[:15]), ids, "caesar")),
        "gsm8k": (_report(tmp_path, "b3", set(ids[:30]), ids, "gsm8k"),
                  _report(tmp_path, "c3", set(ids[:31]), ids, "gsm8k")),
    }
    guard = compare_many(pairs)
    assert (guard.improved, guard.regressed, guard.unclear) == (["arithmetic"], ["caesar"], ["gsm8k"])
    assert guard.tradeoff and "TRADE-OFF: gains on arithmetic cost caesar" in guard.summary
    only_gain = check_regressions({"arithmetic": guard.comparisons["arithmetic"]})
    assert not only_gain.tradeoff and only_gain.regressed == []


def test_eval_compare_cli_on_folders_and_files(tmp_path, capsys):
    import json

    from posttrain.orchestrator.cli import main

    ids = [f"q{i}" for i in range(60)]
    base, cand = tmp_path / "it0", tmp_path / "it3"
    _report(base.parent, "it0", set(ids[:10]), ids)
    _report(cand.parent, "it3", set(ids[:50]), ids)
    _report(base.parent, "it0", set(ids[:50]), ids, "caesar")
    _report(cand.parent, "it3", set(ids[:15]), ids, "caesar")
    _report(cand.parent, "it3", set(ids), ids, "gsm8k")  # only in the candidate: not compared
    assert main(["eval-compare", str(base), str(cand), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["improved"], data["regressed"], data["tradeoff"]) == (["arithmetic"], ["caesar"], True)
    assert set(data["comparisons"]) == {"arithmetic", "caesar"}
    assert main(["eval-compare", str(base / "arithmetic.json"), str(cand / "arithmetic.json")]) == 0
    assert "arithmetic: 0.167 -> 0.833" in capsys.readouterr().out
    assert main(["eval-compare", str(base), str(tmp_path / "missing")]) == 2
