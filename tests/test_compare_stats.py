"""Statistics against values computed by hand."""

from __future__ import annotations

import math

import pytest

from scanner.compare.stats import (
    loglog_fit,
    mad,
    modified_z_scores,
    outliers,
    speedup,
    stability_warnings,
    summarize,
)


def test_summary_by_hand() -> None:
    s = summarize([4.0, 1.0, 100.0, 3.0, 2.0])
    assert s.n == 5
    assert s.mean == 22.0
    # deviations -21 -20 -19 -18 78: squares sum to 7610, / (n-1) = 1902.5
    assert s.stddev == pytest.approx(math.sqrt(1902.5))
    assert s.median == 3.0
    assert s.mad == 1.0  # |x - 3| = 1 2 0 1 97 -> median 1
    assert (s.min, s.max) == (1.0, 100.0)
    assert (s.q1, s.q3, s.iqr) == (2.0, 4.0, 2.0)


def test_quartiles_interpolate_like_numpy() -> None:
    s = summarize([1.0, 2.0, 3.0, 4.0])
    # positions 0.75 and 2.25 between closest ranks
    assert s.q1 == pytest.approx(1.75)
    assert s.q3 == pytest.approx(3.25)
    assert s.median == 2.5
    assert summarize([7.0]).stddev == 0.0


def test_modified_z_score_flags_the_outlier() -> None:
    values = [4.0, 1.0, 100.0, 3.0, 2.0]
    scores = modified_z_scores(values)
    assert scores[2] == pytest.approx(0.6745 * 97)
    assert scores[1] == pytest.approx(-0.6745 * 2)
    assert outliers(values) == [2]
    assert outliers([1.0, 1.1, 0.9, 1.05]) == []


def test_zero_mad_falls_back_on_mean_absolute_deviation() -> None:
    values = [1.0, 1.0, 1.0, 1.0, 5.0]
    assert mad(values) == 0.0
    # mean |x - 1| = 0.8; score of 5 = 4 / (1.253314 * 0.8)
    assert modified_z_scores(values)[4] == pytest.approx(4 / (1.253314 * 0.8))
    assert modified_z_scores([2.0, 2.0, 2.0]) == [0.0, 0.0, 0.0]


def test_warnings_first_run_outliers_and_instability() -> None:
    warnings = stability_warnings([10.0, 1.0, 1.01, 0.99, 1.0, 1.02, 0.98])
    assert any("first run" in w for w in warnings)
    assert any("1 statistical outlier" in w for w in warnings)
    assert any("unstable" in w for w in warnings)
    assert stability_warnings([1.0, 1.01, 0.99, 1.0, 1.02, 0.98]) == []


def test_speedup_ratio_of_medians_with_interval() -> None:
    sp = speedup([10.0, 10.0, 10.0], [2.0, 2.0, 2.0], resamples=200)
    assert (sp.ratio, sp.low, sp.high) == (5.0, 5.0, 5.0)
    assert sp.significant
    same = speedup([1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 2.0, 3.0, 4.0, 5.0], resamples=2000)
    assert same.ratio == 1.0
    assert same.low < 1.0 < same.high
    assert not same.significant
    assert same.to_dict()["significant"] is False


def test_speedup_is_reproducible_for_a_seed() -> None:
    a = [1.0, 1.2, 0.9, 1.1, 1.05]
    b = [0.5, 0.55, 0.45, 0.6, 0.52]
    assert speedup(a, b, seed=3, resamples=500) == speedup(a, b, seed=3, resamples=500)
    sp = speedup(a, b, resamples=2000)
    assert sp.ratio == pytest.approx(1.05 / 0.52)
    assert sp.low <= sp.ratio <= sp.high
    assert sp.significant


def test_loglog_fit_recovers_power_law() -> None:
    xs = [1.0, 10.0, 100.0, 1000.0]
    fit = loglog_fit(xs, [2.0 * x**0.5 for x in xs])
    assert fit.slope == pytest.approx(0.5)
    assert fit.intercept == pytest.approx(math.log(2.0))
    assert fit.r2 == pytest.approx(1.0)
    assert fit.predict(10_000.0) == pytest.approx(200.0)
    with pytest.raises(ValueError, match="two distinct"):
        loglog_fit([5.0, 5.0], [1.0, 2.0])


def test_too_few_values_make_no_outlier_verdict() -> None:
    # with three values the MAD is one gap and the other gap scores high by construction
    assert outliers([1.0, 1.01, 1.5]) == []
    assert not any("outlier" in w for w in stability_warnings([1.0, 1.01, 1.5]))
    assert any("unstable" in w for w in stability_warnings([1.0, 1.01, 1.5]))
