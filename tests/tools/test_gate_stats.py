"""The gate's noise tests (tools.gate_stats) against scipy.stats on constructed cases."""

import numpy as np
import pytest
from scipy import stats

from tools import gate_stats

N = 800


def correctness(wrong):
    """800 test points, all right but the ones listed."""
    correct = np.ones(N, bool)
    correct[list(wrong)] = False
    return correct


def scipy_mcnemar(base, new):
    """McNemar's exact test and its interval as scipy computes the binomial parts."""
    gained, lost = int(np.sum(new & ~base)), int(np.sum(base & ~new))
    result = stats.binomtest(gained, gained + lost, 0.5)
    interval = result.proportion_ci(0.95, method="exact")
    scale = (gained + lost) / N
    return result.pvalue, scale * (2 * interval.low - 1), scale * (2 * interval.high - 1)


# --- the statistics, by hand and against scipy.stats ----------------------------------------


def test_identical_predictions_are_no_change_at_all():
    same = correctness([3, 7, 11])
    test = gate_stats.mcnemar(same, same)
    assert (test.change, test.low, test.high, test.p_value) == (0.0, 0.0, 0.0, 1.0)
    losses = np.linspace(0.01, 2.0, N)
    paired = gate_stats.paired_t(losses, losses)
    assert (paired.change, paired.low, paired.high, paired.p_value) == (0.0, 0.0, 0.0, 1.0)
    assert test.word() == paired.word() == "within noise"


def test_one_flipped_point_is_noise_and_matches_scipy():
    base, new = correctness([]), correctness([5])
    test = gate_stats.mcnemar(base, new)
    p_value, low, high = scipy_mcnemar(base, new)
    assert test.change == -1 / N
    assert test.p_value == pytest.approx(p_value) == 1.0
    assert (test.low, test.high) == (pytest.approx(low), pytest.approx(high))
    assert test.low == pytest.approx(-1 / N) and test.high == pytest.approx(0.95 / N)
    assert not test.significant(0.05)


def test_a_clear_regression_is_significant_and_matches_scipy():
    rng = np.random.default_rng(0)
    base = correctness(rng.choice(N, 40, replace=False))
    new = base.copy()
    new[np.flatnonzero(base)[:30]] = False  # 30 more points lost ...
    new[np.flatnonzero(~base)[:2]] = True  # ... and 2 gained
    test = gate_stats.mcnemar(base, new)
    p_value, low, high = scipy_mcnemar(base, new)
    assert test.change == pytest.approx(-28 / N)
    assert test.p_value == pytest.approx(p_value, rel=1e-9)
    assert test.p_value < 1e-6
    assert (test.low, test.high) == (pytest.approx(low), pytest.approx(high))
    assert test.low < test.change < test.high < 0
    assert test.word(0.05) == "significant"


def test_mcnemar_counts_only_the_points_exactly_one_side_gets_right():
    base = correctness([0, 1, 2, 3])  # 0-3 wrong on the base
    new = correctness([2, 3, 4])  # 0, 1 gained; 2, 3 still wrong; 4 lost
    test = gate_stats.mcnemar(base, new)
    assert test.change == pytest.approx(1 / N)
    assert test.p_value == pytest.approx(stats.binomtest(2, 3, 0.5).pvalue) == 1.0


@pytest.mark.parametrize("shift", [0.0, 0.002, 0.05])
def test_the_paired_t_test_matches_scipy(shift):
    rng = np.random.default_rng(1)
    base = rng.exponential(0.2, N)
    new = base + shift + rng.normal(0, 0.01, N)
    test = gate_stats.paired_t(base, new)
    reference = stats.ttest_rel(new, base)
    interval = reference.confidence_interval(0.95)
    assert test.change == pytest.approx(np.mean(new - base))
    assert test.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    assert (test.low, test.high) == (pytest.approx(interval.low), pytest.approx(interval.high))


def test_a_constant_shift_of_every_point_is_certain():
    base = np.linspace(0.0, 1.0, N)
    test = gate_stats.paired_t(base, base + 0.25)
    assert test.change == pytest.approx(0.25) and test.p_value == 0.0
    assert test.low == test.high == test.change


@pytest.mark.parametrize("shift", [0.0, 0.01, 0.2])
def test_the_unpaired_welch_test_matches_scipy(shift):
    rng = np.random.default_rng(2)
    base, new = rng.exponential(0.2, 600), rng.exponential(0.2, 800) + shift
    test = gate_stats.welch_t(base, new)
    reference = stats.ttest_ind(new, base, equal_var=False)
    interval = reference.confidence_interval(0.95)
    assert test.change == pytest.approx(new.mean() - base.mean())
    assert test.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    assert (test.low, test.high) == (pytest.approx(interval.low), pytest.approx(interval.high))
    assert test.points == 800


def test_compare_points_picks_the_test_that_fits():
    a, b = correctness([1]).astype(float), correctness([2, 3]).astype(float)
    assert gate_stats.compare_points(a, b, paired=True, kind="correct").method.startswith("McN")
    assert gate_stats.compare_points(a, b, paired=True, kind="mean").method == "paired t-test"
    assert gate_stats.compare_points(a, b, paired=False, kind="correct").method == "Welch's t-test"
