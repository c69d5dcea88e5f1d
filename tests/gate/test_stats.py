"""The gate's noise tests (gate.stats) against scipy.stats on constructed cases."""

import warnings

import numpy as np
import pytest
from scipy import stats

from gate import stats as gate_stats

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
    assert test == gate_stats.Test("McNemar's exact test", 0.0, 0.0, 0.0, 1.0, N)
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
    base = np.arange(N, dtype=float)  # + 0.5 is exact: every difference is 0.5, std 0
    paired = gate_stats.paired_t(base, base + 0.5)
    assert paired == gate_stats.Test("paired t-test", 0.5, 0.5, 0.5, 0.0, N)
    assert gate_stats.paired_t(base, base - 0.5).p_value == 0.0


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
    assert gate_stats.compare_points(a, b, paired=True, kind="correct") == gate_stats.mcnemar(a, b)
    assert gate_stats.compare_points(a, b, paired=True, kind="mean") == gate_stats.paired_t(a, b)
    assert gate_stats.compare_points(a, b, paired=False, kind="correct") == gate_stats.welch_t(a, b)


# --- edges: exactly at the level, all-one-way changes, constant differences, dtypes ---------


def test_a_p_value_exactly_at_the_level_is_not_significant():
    at_level = gate_stats.Test("paired t-test", -0.01, -0.02, 0.0, 0.05, N)
    assert not at_level.significant(0.05) and at_level.word(0.05) == "within noise"
    assert at_level.significant(0.0500001)


def test_only_gains_bound_the_interval_by_all_discordant_points_gained():
    base, new = correctness(range(5)), correctness([])  # 5 gained, none lost
    test = gate_stats.mcnemar(base, new)
    p_value, low, high = scipy_mcnemar(base, new)
    assert test.method == "McNemar's exact test" and test.points == N
    assert test.change == 5 / N
    assert test.p_value == pytest.approx(p_value) == 0.0625
    assert (test.low, test.high) == (pytest.approx(low), pytest.approx(high))
    assert test.high == 5 / N  # p = 1: every discordant point gained


def test_as_many_gains_as_losses_have_a_p_value_of_one():
    base, new = correctness([0, 1, 2]), correctness([3, 4, 5])  # 3 gained, 3 lost
    test = gate_stats.mcnemar(base, new)
    assert test.change == 0.0
    assert test.p_value == 1.0 == pytest.approx(stats.binomtest(3, 6, 0.5).pvalue)


def test_constant_samples_are_certain_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0/0 degrees of freedom on the way
        test = gate_stats.welch_t(np.full(600, 0.25), np.full(800, 0.75))
        same = gate_stats.welch_t(np.full(600, 0.25), np.full(800, 0.25))
    assert test == gate_stats.Test("Welch's t-test", 0.5, 0.5, 0.5, 0.0, 800)
    assert same == gate_stats.Test("Welch's t-test", 0.0, 0.0, 0.0, 1.0, 800)


@pytest.mark.parametrize("dtype", [np.float32, np.longdouble])
def test_values_of_any_float_dtype_are_tested_as_float64(dtype):
    rng = np.random.default_rng(3)
    base, new = rng.normal(0.2, 0.05, N) / 3, rng.normal(0.21, 0.05, N) / 7
    base, new = base.astype(dtype), new.astype(dtype)
    as_float64 = base.astype(float), new.astype(float)
    assert gate_stats.paired_t(base, new) == gate_stats.paired_t(*as_float64)
    assert gate_stats.welch_t(base, new) == gate_stats.welch_t(*as_float64)
    assert gate_stats.welch_t(base[:600], new) == gate_stats.welch_t(
        as_float64[0][:600], as_float64[1]
    )
