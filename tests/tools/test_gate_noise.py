"""The gate's noise tests: the statistics against scipy.stats, significant_at, pairing."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tests.tools.test_gate import BASE_METRICS, changed, row, rule, side
from tools import gate, gate_stats
from tools.gate_rules import GateError

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


# --- significant_at: how it combines with the fixed limits ----------------------------------


def noise(change, p_value):
    return gate_stats.Test("paired t-test", change, change - 0.01, change + 0.01, p_value, N)


def judged(test, **raw):
    """The row and failures for blobs4 test_accuracy 0.93 -> 0.92 under a rule."""
    return gate.judge(
        "blobs4",
        "test_accuracy",
        base_value=0.93,
        new_value=0.92,
        rule=rule(better="higher", **raw),
        base_name="HEAD",
        test=test,
    )


SIGNIFICANT, WITHIN_NOISE = noise(-0.01, 0.001), noise(-0.01, 0.3)


@pytest.mark.parametrize(
    "raw, test, fails",
    [
        # no significant_at: the fixed tolerance decides, whatever the noise
        ({"max_drop": 0.005}, WITHIN_NOISE, True),
        ({"max_drop": 0.005}, SIGNIFICANT, True),
        ({"max_drop": 0.05}, SIGNIFICANT, False),
        # significant_at with a tolerance: both must be broken
        ({"max_drop": 0.005, "significant_at": 0.05}, SIGNIFICANT, True),
        ({"max_drop": 0.005, "significant_at": 0.05}, WITHIN_NOISE, False),
        ({"max_drop": 0.05, "significant_at": 0.05}, SIGNIFICANT, False),
        ({"max_drop_pct": 0.5, "significant_at": 0.05}, SIGNIFICANT, True),
        ({"max_drop_pct": 0.5, "significant_at": 0.05}, WITHIN_NOISE, False),
        # significant_at alone: any significant worsening fails
        ({"significant_at": 0.05}, SIGNIFICANT, True),
        ({"significant_at": 0.05}, WITHIN_NOISE, False),
        ({"significant_at": 0.0001}, SIGNIFICANT, False),  # p 0.001 is not below 0.0001
        # no per-point results: the fixed limits apply as if significant_at were absent
        ({"max_drop": 0.005, "significant_at": 0.05}, None, True),
        ({"significant_at": 0.05}, None, False),
        # min and max hold within noise too
        ({"min": 0.925, "significant_at": 0.05}, WITHIN_NOISE, True),
    ],
)
def test_each_combination_of_tolerance_significance_and_per_point_results(raw, test, fails):
    verdict, failures = judged(test, **raw)
    assert verdict.failed is fails and bool(failures) is fails


def test_a_worsening_past_the_tolerance_within_noise_is_reported_not_failed():
    verdict, failures = judged(WITHIN_NOISE, max_drop=0.005, significant_at=0.05)
    assert failures == []
    assert verdict.verdict == (
        "ok (max_drop 0.005, significant_at 0.05; dropped by 0.01, more than max_drop 0.005, "
        "but within noise (p 0.3 >= 0.05))"
    )
    assert verdict.waived.startswith("blobs4 test_accuracy: 0.93 (HEAD) -> 0.92 (workspace): ")


def test_a_significant_worsening_names_its_p_value():
    _, failures = judged(SIGNIFICANT, significant_at=0.05)
    assert failures == [
        "blobs4 test_accuracy: 0.93 (HEAD) -> 0.92 (workspace): significantly worse "
        "(p 0.001 < significant_at 0.05) [rule: better higher, significant_at 0.05; "
        "significant, p 0.001]"
    ]


def test_a_significant_improvement_never_fails():
    better = noise(+0.01, 0.001)
    verdict, failures = gate.judge(
        "blobs4",
        "test_accuracy",
        base_value=0.92,
        new_value=0.93,
        rule=rule(better="higher", significant_at=0.05),
        base_name="HEAD",
        test=better,
    )
    assert not verdict.failed and failures == []


def test_significant_at_without_per_point_results_says_the_fixed_limits_apply():
    verdict, _ = judged(None, max_drop=0.05, significant_at=0.05)
    assert verdict.verdict.endswith("; no per-point results, so the fixed limits apply)")


@pytest.mark.parametrize("value", [0, 1, 1.5, -0.1, "0.05", None])
def test_a_bad_significance_level_is_one_line(value):
    with pytest.raises(GateError) as error:
        rule(better="higher", significant_at=value)
    assert str(error.value) == (
        f"gate.yaml: exp.metric.significant_at: got {value!r}, "
        "expected a p-value level in (0, 1), such as 0.05"
    )


def test_significant_at_alone_is_a_rule():
    assert rule(better="lower", significant_at=0.01).describe() == (
        "better lower, significant_at 0.01"
    )


# --- pairing and per-point results on both sides ---------------------------------------------


def points(wrong, actual=None):
    actual = np.arange(N) % 4 if actual is None else actual
    predicted = actual.copy()
    predicted[list(wrong)] = (predicted[list(wrong)] + 1) % 4
    return pd.DataFrame({"actual": actual, "predicted": predicted, "loss": np.full(N, 0.2)})


def sides(base_points, new_points, base_split=None):
    params = {"experiments": {"blobs4": {"split": {"test_size": 0.2}}, "regression": {}}}
    base_params = {
        "experiments": {"blobs4": {"split": base_split or {"test_size": 0.2}}, "regression": {}}
    }
    base = side("HEAD", BASE_METRICS, params=base_params)
    new = side("workspace", changed("metrics/blobs4.json", test_accuracy=0.92), params=params)
    for which, table in ((base, base_points), (new, new_points)):
        if isinstance(table, str):
            which.point_errors["blobs4"] = table
        else:
            which.points["blobs4"] = table
    return base, new


RULES = {"blobs4": {"test_accuracy": rule(better="higher", max_drop=0.005, significant_at=0.05)}}


def test_the_same_test_points_are_compared_paired_with_mcnemar():
    base, new = sides(points([]), points(range(8)))
    comparison = gate.compare(base, new, RULES)
    tested = row(comparison, "blobs4", "test_accuracy")
    assert tested.test.method == "McNemar's exact test"
    assert tested.test.p_value == pytest.approx(stats.binomtest(0, 8, 0.5).pvalue)
    assert tested.failed  # 8 of 8 discordant points lost: p 0.0078
    [table] = [table for table in comparison.tables if table.experiment == "blobs4"]
    assert table.notes == [
        "Paired: both sides scored the same 800 test points (McNemar's exact test, paired t-test)."
    ]


def test_other_split_params_make_the_comparison_unpaired():
    base, new = sides(points([]), points(range(8)), base_split={"test_size": 0.3})
    comparison = gate.compare(base, new, RULES)
    assert row(comparison, "blobs4", "test_accuracy").test.method == "Welch's t-test"
    [table] = [table for table in comparison.tables if table.experiment == "blobs4"]
    assert table.notes[0].startswith("Unpaired: the split params differ (")


def test_other_test_points_make_the_comparison_unpaired():
    shuffled = np.roll(np.arange(N) % 4, 1)
    base, new = sides(points([], actual=shuffled), points(range(8)))
    comparison = gate.compare(base, new, RULES)
    [table] = [table for table in comparison.tables if table.experiment == "blobs4"]
    assert table.notes[0].startswith("Unpaired: the test points differ (")


def test_unreadable_per_point_results_are_one_line_and_the_fixed_limits_apply():
    base, new = sides("metrics/blobs4.points.csv is missing", points(range(8)))
    comparison = gate.compare(base, new, RULES)
    tested = row(comparison, "blobs4", "test_accuracy")
    assert tested.test is None and tested.failed  # dropped 0.01 > max_drop, no test to waive it
    [table] = [table for table in comparison.tables if table.experiment == "blobs4"]
    assert table.notes == [
        "per-point results metrics/blobs4.points.csv is missing on HEAD: no noise test, "
        "the fixed limits apply"
    ]


def test_the_report_shows_interval_p_and_word_and_lists_what_noise_let_pass():
    base, new = sides(points([]), points(range(5)))  # 5 lost of 800: p 0.0625
    comparison = gate.compare(base, new, RULES)
    assert comparison.passed
    markdown = gate.render_markdown(
        comparison, base_name="HEAD", rules_path="gate.yaml", params_rows=[]
    )
    assert (
        "| test_accuracy | 0.93 | 0.92 | -0.01 (-1.08 %) | -0.00625 to +0.000273 | 0.062 |"
        " within noise | ok (" in markdown
    )
    assert "## Worse than a tolerance, but within noise (not failed)\n\n- blobs4 test_accuracy" in (
        markdown
    )
