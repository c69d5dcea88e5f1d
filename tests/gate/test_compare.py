"""The metric gate's comparison (gate.compare), on sides built as DVC returns them."""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gate import compare as gate_compare
from gate import rules as gate_rules
from gate import stats as gate_stats
from gate.compare import Gap
from gate.errors import GateError
from gate.project import Points, Project
from gate.revision_metrics import side_from_dvc
from tests.gate.helpers import (
    BASE_METRICS,
    NOISE_RULES,
    PROJECT,
    RULES,
    N,
    changed,
    compare,
    points,
    row,
    rule,
    side,
    side_without_params,
    sides,
)

# --- tolerance edges -----------------------------------------------------------------------


def failures(raw_rule, base, new):
    return gate_compare.rule_failures(
        rule(**raw_rule), gate_rules.to_decimal(base), gate_rules.to_decimal(new)
    )


def test_binary_floats_would_put_the_edge_on_the_wrong_side():
    # In binary floats 0.93 - 0.925 > 0.005, so a float gate would fail a drop exactly at
    # the limit; the gate compares the decimals as written: at the limit passes, past it fails.
    assert failures({"better": "higher", "max_drop": 0.005}, 0.93, 0.925) == []
    assert failures({"better": "higher", "max_drop": 0.005}, 0.93, 0.92499) != []


@pytest.mark.parametrize(
    "raw_rule, base, at_limit, past_limit",
    [
        ({"better": "higher", "max_drop": 0.005}, 0.93, 0.925, 0.924999),
        ({"better": "higher", "max_drop": 0.0025}, 0.99, 0.9875, 0.98749),
        ({"better": "lower", "max_rise": 0.005}, 0.175801, 0.180801, 0.180802),
        ({"better": "higher", "max_drop_pct": 1}, 0.93, 0.9207, 0.920699),
        ({"better": "lower", "max_rise_pct": 10}, 0.0518928, 0.05708208, 0.05708209),
        ({"better": "lower", "max_rise_pct": 5}, 0.010961, 0.01150905, 0.01150906),
        ({"better": "higher", "min": 0.92}, 0.95, 0.92, 0.919999),
        ({"better": "lower", "max": 0.0125}, 0.01, 0.0125, 0.0125001),
    ],
)
def test_a_change_or_value_exactly_at_its_limit_passes_and_just_past_fails(
    raw_rule, base, at_limit, past_limit
):
    assert failures(raw_rule, base, at_limit) == []
    assert len(failures(raw_rule, base, past_limit)) == 1


def test_an_improvement_never_fails_a_tolerance():
    assert failures({"better": "higher", "max_drop": 0}, 0.5, 0.99) == []
    assert failures({"better": "lower", "max_rise_pct": 0}, 0.5, 0.01) == []


def test_every_limit_given_must_hold():
    raw_rule = {"better": "higher", "max_drop": 0.1, "max_drop_pct": 1, "min": 0.9}
    assert failures(raw_rule, 0.95, 0.89) == [
        "dropped by 6.32 % of the base value, more than max_drop_pct 1",
        "below min 0.9",
    ]


def test_a_relative_tolerance_from_a_base_of_zero_allows_no_worsening():
    assert failures({"better": "lower", "max_rise_pct": 50}, 0, 0) == []
    assert failures({"better": "lower", "max_rise_pct": 50}, 0, 0.001) == [
        "rose by 0.001 from a base of 0, more than max_rise_pct 50"
    ]


# --- comparison of two sides (as DVC returns them) -----------------------------------------


def test_unchanged_metrics_pass_and_every_metric_is_reported():
    comparison = compare(BASE_METRICS)
    assert comparison.passed and comparison.failures == []
    assert [table.experiment for table in comparison.tables] == ["blobs4", "regression"]
    assert row(comparison, "blobs4", "test_accuracy").verdict == "ok (max_drop 0.005, min 0.92)"
    assert row(comparison, "blobs4", "bayes_accuracy").verdict == "not gated"
    assert row(comparison, "regression", "test_mse").change == "0"


def test_a_regression_fails_naming_experiment_metric_values_and_rule():
    comparison = compare(changed("metrics/blobs4.json", test_accuracy=0.92))
    assert comparison.failures == [
        "blobs4 test_accuracy: 0.93 (HEAD) -> 0.92 (workspace): dropped by 0.01, more than "
        "max_drop 0.005 [rule: better higher, max_drop 0.005, min 0.92]"
    ]
    failed = row(comparison, "blobs4", "test_accuracy")
    assert failed.failed and failed.change == "-0.01 (-1.08 %)"


def test_an_ungated_metric_may_get_worse():
    comparison = compare(changed("metrics/blobs4.json", bayes_accuracy=0.5, test_loss=9.0))
    assert comparison.passed
    assert row(comparison, "blobs4", "test_loss").change == "+8.824199 (+5.02e+03 %)"


@pytest.mark.parametrize(
    "value, shown",
    [(float("nan"), "NaN"), (float("inf"), "inf"), (float("-inf"), "-inf"), ("0.9", "'0.9'")],
)
def test_a_value_that_is_not_a_finite_number_fails_gated_or_not(value, shown):
    for metric in ("test_accuracy", "bayes_accuracy"):
        comparison = compare(changed("metrics/blobs4.json", **{metric: value}))
        assert len(comparison.failures) == 1
        assert comparison.failures[0].startswith(f"blobs4 {metric}: ")
        assert f"-> {shown} (workspace)" in comparison.failures[0]


def test_a_nan_on_the_base_side_fails_too():
    comparison = compare(BASE_METRICS, changed("metrics/regression.json", test_mse=float("nan")))
    assert comparison.failures == [
        "regression test_mse: NaN (HEAD) -> 0.010961 (workspace): "
        "NaN on HEAD [rule: better lower, max 0.0125]"
    ]


def test_a_metric_missing_on_either_side_fails():
    missing_new = compare(changed("metrics/blobs4.json", bayes_accuracy=None))
    assert missing_new.failures == [
        "blobs4 bayes_accuracy: 0.9275 (HEAD) -> missing (workspace): "
        "missing in the workspace [not gated]"
    ]


def test_a_metric_added_in_a_change_is_new_and_only_its_min_and_max_apply():
    added = compare(BASE_METRICS, changed("metrics/regression.json", test_mse=None))
    assert added.passed
    assert row(added, "regression", "test_mse").verdict == (
        "ok (max 0.0125; new metric, so only min/max apply)"
    )
    assert row(added, "regression", "test_mse").change == ""
    above_max = compare(
        changed("metrics/regression.json", test_mse=0.02),
        changed("metrics/regression.json", test_mse=None),
    )
    assert above_max.failures == [
        "regression test_mse: missing (HEAD) -> 0.02 (workspace): above max 0.0125 "
        "[rule: better lower, max 0.0125]"
    ]
    ungated = compare(changed("metrics/blobs4.json", new_score=1.5))
    assert ungated.passed
    assert row(ungated, "blobs4", "new_score").verdict == "new, not gated"


def test_a_missing_or_unreadable_metrics_file_fails_once_for_its_experiment():
    files = dict(BASE_METRICS, **{"metrics/blobs4.json": FileNotFoundError(2, "No such file")})
    comparison = compare(files)
    assert comparison.failures == [
        "blobs4: metrics file metrics/blobs4.json is missing in the workspace"
    ]
    missing = row(comparison, "blobs4", "test_accuracy")
    assert (missing.new, missing.failed) == (Gap.NO_FILE, True)
    assert missing.verdict == "**FAIL**: metrics file missing in the workspace"
    damaged = ValueError(
        "unable to read: '../../metrics/regression.json', JSON file structure is corrupted"
    )
    comparison = compare(BASE_METRICS, dict(BASE_METRICS, **{"metrics/regression.json": damaged}))
    assert comparison.failures == [
        "regression: metrics file metrics/regression.json is unreadable "
        "(ValueError: JSON file structure is corrupted) on HEAD"
    ]
    unreadable = row(comparison, "regression", "test_mse")
    assert unreadable.base is Gap.UNREADABLE
    assert unreadable.verdict == "**FAIL**: metrics file unreadable on HEAD"


def test_a_metrics_file_without_any_metric_fails():
    comparison = compare(dict(BASE_METRICS, **{"metrics/regression.json": {}}), rules={})
    assert comparison.failures == [
        "regression: metrics file metrics/regression.json holds no metric in the workspace"
    ]


def test_a_metrics_file_that_dvc_does_not_list_fails_when_params_have_the_experiment():
    files = {"metrics/blobs4.json": BASE_METRICS["metrics/blobs4.json"]}
    comparison = compare(files, rules={})
    assert comparison.failures == [
        "regression: no metrics file in the workspace, though its "
        "params list the experiment (dvc.yaml declares none for it)"
    ]


def test_a_new_experiment_has_no_base_so_only_its_min_and_max_apply():
    files = dict(BASE_METRICS, **{"metrics/blobs3.json": {"test_accuracy": 0.5}})
    rules = dict(RULES, blobs3={"test_accuracy": rule(better="higher", max_drop=0.01, min=0.4)})
    comparison = compare(files, rules=rules, experiments=("blobs4", "regression", "blobs3"))
    assert comparison.passed
    tested = row(comparison, "blobs3", "test_accuracy")
    assert (tested.base, tested.change) == (Gap.NO_EXPERIMENT, "")
    assert tested.verdict == "ok (max_drop 0.01, min 0.4; no base value, so only min/max apply)"
    assert comparison.tables[-1].notes == [
        "blobs3 does not exist on HEAD; nothing to compare with."
    ]


def test_a_side_dvc_could_not_read_fails():
    base = side_from_dvc("v1", None, {"experiments": {}}, project=PROJECT)
    comparison = gate_compare.compare(base, side("workspace"), {}, PROJECT)
    assert comparison.failures[0].startswith("on v1: DVC found no metrics there")
    unreadable_params = side_from_dvc(
        "workspace", {"data": {}}, None, OSError("bad params"), project=PROJECT
    )
    assert unreadable_params.problems == ["cannot read its params: bad params"]


def test_a_side_without_params_compares_only_the_files_dvc_lists():
    comparison = gate_compare.compare(side_without_params(), side("workspace"), {}, PROJECT)
    assert comparison.failures == ["on HEAD: cannot read its params: bad params"]
    [regression] = [table for table in comparison.tables if table.experiment == "regression"]
    assert regression.notes == ["regression does not exist on HEAD; nothing to compare with."]
    assert row(comparison, "regression", "test_mse").base is Gap.NO_EXPERIMENT


def test_a_rule_naming_a_missing_experiment_or_metric_is_a_gate_error():
    with pytest.raises(
        GateError, match="blobs5: no such experiment in the workspace; did you mean blobs4?"
    ):
        compare(BASE_METRICS, rules={"blobs5": RULES["blobs4"]})
    with pytest.raises(
        GateError,
        match="blobs4.test_acc: no such metric on either side; did you mean test_accuracy?",
    ):
        compare(BASE_METRICS, rules={"blobs4": {"test_acc": RULES["blobs4"]["test_accuracy"]}})


def test_a_rule_for_a_metric_hidden_by_an_unreadable_file_is_not_a_gate_error():
    files = dict(BASE_METRICS, **{"metrics/blobs4.json": FileNotFoundError(2, "gone")})
    comparison = compare(files, rules={"blobs4": {"made_up": RULES["blobs4"]["test_accuracy"]}})
    assert not comparison.passed


def test_params_that_differ_are_listed_with_both_values():
    base = {"experiments": {"blobs4": {"train": {"learning_rate": 0.01, "epochs": 10}}}}
    new = {
        "experiments": {
            "blobs4": {
                "train": {"learning_rate": 0.0001, "epochs": 10},
                "model": {"hidden_units": [16]},
            }
        }
    }
    assert gate_compare.diff_params(base, new) == [
        ("experiments.blobs4.model.hidden_units", "—", "[16]"),
        ("experiments.blobs4.train.learning_rate", "0.01", "0.0001"),
    ]
    assert gate_compare.diff_params(base, None) is None


def test_a_change_of_type_is_a_change_even_where_python_calls_the_values_equal():
    base = {"a": 1, "b": 0, "c": 2.5}
    new = {"a": 1.0, "b": False, "c": 2.5}
    assert gate_compare.diff_params(base, new) == [("a", "1", "1.0"), ("b", "0", "false")]


def test_numbers_are_shown_as_written():
    assert gate_compare.format_value(0.00862278) == "0.00862278"
    assert gate_compare.format_value(float("nan")) == "NaN"
    assert gate_compare.format_value(Gap.NO_EXPERIMENT) == "—"
    assert gate_rules.format_decimal(Decimal("1E+1")) == "10"
    assert gate_compare.format_change(Decimal("0.93"), Decimal("0.925")) == "-0.005 (-0.538 %)"
    assert gate_rules.to_decimal(3) == Decimal("3")
    assert gate_rules.to_decimal(0.925) == Decimal("0.925")  # the decimal as written, not the float


# --- significant_at: how it combines with the fixed limits ----------------------------------


def noise(change, p_value):
    return gate_stats.Test("paired t-test", change, change - 0.01, change + 0.01, p_value, N)


def judged(test, metric="test_accuracy", base=0.93, new=0.92, better="higher", **raw):
    """The row and failures for blobs4 test_accuracy 0.93 -> 0.92 (by default) under a rule,
    its references to blobs4's other metrics (bayes_accuracy 0.9275)."""
    return gate_compare.judge(
        "blobs4",
        metric,
        base_value=base,
        new_value=new,
        rule=rule(better=better, **raw),
        base_name="HEAD",
        metrics=BASE_METRICS["metrics/blobs4.json"],
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


def test_a_failed_row_names_every_broken_limit_and_each_is_a_line():
    verdict, failures = judged(None, max_drop=0.005, min=0.925)
    assert verdict.failed
    assert verdict.verdict == "**FAIL**: dropped by 0.01, more than max_drop 0.005; below min 0.925"
    values, rule_text = (
        "blobs4 test_accuracy: 0.93 (HEAD) -> 0.92 (workspace)",
        ("[rule: better higher, max_drop 0.005, min 0.925]"),
    )
    assert failures == [
        f"{values}: dropped by 0.01, more than max_drop 0.005 {rule_text}",
        f"{values}: below min 0.925 {rule_text}",
    ]


def test_a_significant_worsening_names_its_p_value():
    _, failures = judged(SIGNIFICANT, significant_at=0.05)
    assert failures == [
        "blobs4 test_accuracy: 0.93 (HEAD) -> 0.92 (workspace): significantly worse "
        "(p 0.001 < significant_at 0.05) [rule: better higher, significant_at 0.05; "
        "significant, p 0.001]"
    ]


def test_a_significant_improvement_never_fails():
    verdict, failures = judged(noise(+0.01, 0.001), base=0.92, new=0.93, significant_at=0.05)
    assert not verdict.failed and failures == []


def test_significant_at_without_per_point_results_says_the_fixed_limits_apply():
    verdict, _ = judged(None, max_drop=0.05, significant_at=0.05)
    assert verdict.verdict == (
        "ok (max_drop 0.05, significant_at 0.05; no per-point results, so the fixed limits apply)"
    )


# --- pairing and per-point results on both sides ---------------------------------------------


def test_a_metric_without_its_per_point_column_is_skipped_and_the_next_still_tested():
    table = points([]).drop(columns=["predicted"])  # no correctness per point, losses still
    base, new = sides(table, table.copy())
    tests, _ = gate_compare.noise_tests(
        base, new, "blobs4", ["test_accuracy", "test_loss"], PROJECT
    )
    assert list(tests) == ["test_loss"]


def test_the_same_test_points_are_compared_paired_with_mcnemar():
    base, new = sides(points([]), points(range(8)))
    comparison = gate_compare.compare(base, new, NOISE_RULES, PROJECT)
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
    comparison = gate_compare.compare(base, new, NOISE_RULES, PROJECT)
    assert row(comparison, "blobs4", "test_accuracy").test.method == "Welch's t-test"
    [table] = [table for table in comparison.tables if table.experiment == "blobs4"]
    assert table.notes[0].startswith("Unpaired: the split params differ (")


def test_other_test_points_make_the_comparison_unpaired():
    shuffled = np.roll(np.arange(N) % 4, 1)
    base, new = sides(points([], actual=shuffled), points(range(8)))
    comparison = gate_compare.compare(base, new, NOISE_RULES, PROJECT)
    [table] = [table for table in comparison.tables if table.experiment == "blobs4"]
    assert table.notes[0].startswith("Unpaired: the test points differ (")


def named(table):
    """The same per-point results with class names for labels, as a table's file has them."""
    names = np.array(["benign", "malignant", "other", "rare"], dtype=object)
    return table.assign(actual=names[table["actual"]], predicted=names[table["predicted"]])


def test_class_names_as_text_are_compared_paired():
    # Two reads of the same CSV hold equal strings in distinct objects.
    base, new = sides(named(points([])), named(points(range(8))).copy(deep=True))
    comparison = gate_compare.compare(base, new, NOISE_RULES, PROJECT)
    assert row(comparison, "blobs4", "test_accuracy").test.method == "McNemar's exact test"


def test_other_class_names_make_the_comparison_unpaired():
    other = named(points(range(8)))
    other.loc[0, "actual"] = "rare"
    base, new = sides(named(points([])), other)
    comparison = gate_compare.compare(base, new, NOISE_RULES, PROJECT)
    [table] = [table for table in comparison.tables if table.experiment == "blobs4"]
    assert table.notes[0].startswith("Unpaired: the test points differ (")


@pytest.mark.parametrize(
    "base, new, same",
    [
        (np.array([1, 2]), np.array([1, 2]), True),
        (np.array([1, 2]), np.array([1, 3]), False),
        (np.array([1, 2]), np.array([1.0, 2.0]), False),  # another type: not the same file
        (np.array([0.0]), np.array([-0.0]), False),  # bit for bit
        (np.array(["a", "b"], dtype=object), np.array(["a", "b"], dtype=object), True),
        (np.array(["a", "b"], dtype=object), np.array(["a", "c"], dtype=object), False),
        (np.array(["1"], dtype=object), np.array([1]), False),
        (np.array([1]), np.array(["1"], dtype=object), False),
        # Either side as Python objects: values compared as values, whatever the other's type.
        (np.array([1, 2], dtype=object), np.array([1, 2]), True),
        (np.array([1.5]), np.array([1.5], dtype=object), True),
    ],
)
def test_same_values_compares_numbers_bit_for_bit_and_text_as_text(base, new, same):
    assert gate_compare.same_values(base, new) is same


def test_unreadable_per_point_results_are_one_line_and_the_fixed_limits_apply():
    base, new = sides("metrics/blobs4.points.csv is missing", points(range(8)))
    comparison = gate_compare.compare(base, new, NOISE_RULES, PROJECT)
    tested = row(comparison, "blobs4", "test_accuracy")
    assert tested.test is None and tested.failed  # dropped 0.01 > max_drop, no test to waive it
    [table] = [table for table in comparison.tables if table.experiment == "blobs4"]
    assert table.notes == [
        "per-point results metrics/blobs4.points.csv is missing on HEAD: no noise test, "
        "the fixed limits apply"
    ]


# --- rule names -----------------------------------------------------------------------------


def rule_name_error(rules, base, new):
    with pytest.raises(GateError) as error:
        gate_compare.check_rule_names(rules, base, new)
    return str(error.value)


def test_an_unknown_experiment_lists_those_in_params_and_those_with_a_file():
    files = {"metrics/blobs4.json": {"a": 1}, "metrics/blobs3.json": {"a": 1}}
    new = side("workspace", files)  # params: blobs4 and regression; files: blobs4 and blobs3
    assert rule_name_error({"blobs5": RULES["blobs4"]}, side("HEAD"), new) == (
        "gate.yaml: blobs5: no such experiment in the workspace; did you mean blobs4? "
        "experiments: blobs3, blobs4, regression"
    )
    nothing = side("workspace", {}, experiments=())
    assert rule_name_error({"zzz": RULES["blobs4"]}, side("HEAD"), nothing) == (
        "gate.yaml: zzz: no such experiment in the workspace; experiments: none"
    )


def test_an_unknown_metric_lists_the_metrics_of_both_sides():
    new = side("workspace", changed("metrics/blobs4.json", test_loss=None, extra=1))
    rules = {"blobs4": {"test_acc": RULES["blobs4"]["test_accuracy"]}}
    assert rule_name_error(rules, side("HEAD"), new) == (
        "gate.yaml: blobs4.test_acc: no such metric on either side; did you mean test_accuracy? "
        "blobs4 has: bayes_accuracy, extra, test_accuracy, test_loss"
    )
    no_files = {"metrics/blobs4.json": BASE_METRICS["metrics/blobs4.json"]}
    rules = {"regression": {"zzz": RULES["regression"]["test_mse"]}}
    assert rule_name_error(rules, side("HEAD", no_files), side("workspace", no_files)) == (
        "gate.yaml: regression.zzz: no such metric on either side; regression has: none"
    )


def test_a_metric_on_the_base_side_only_may_be_gated_and_then_fails_as_missing():
    files = {"metrics/blobs4.json": BASE_METRICS["metrics/blobs4.json"]}  # no regression file
    comparison = compare(files)  # the rule for regression test_mse is the base's metric
    assert "regression: no metrics file in the workspace" in comparison.failures[0]
    assert row(comparison, "regression", "test_mse").new is Gap.NO_FILE


def test_every_experiment_with_an_unreadable_file_is_skipped_not_the_rest():
    files = dict(BASE_METRICS, **{"metrics/blobs4.json": FileNotFoundError(2, "gone")})
    rules = {
        "blobs4": {"made_up": RULES["blobs4"]["test_accuracy"]},
        "regression": {"test_ms": RULES["regression"]["test_mse"]},
    }
    assert rule_name_error(rules, side("HEAD"), side("workspace", files)).startswith(
        "gate.yaml: regression.test_ms: no such metric on either side; did you mean test_mse? "
    )


# --- comparison: order, names, rows -----------------------------------------------------------


def test_experiments_come_in_params_order_the_workspace_first_then_files():
    extra = {"metrics/zeta.json": {"a": 1}, "metrics/alpha.json": {"a": 1}}
    base = side("HEAD", dict(BASE_METRICS, **extra), ("blobs4", "regression", "zeta", "alpha"))
    new = side("workspace", dict(BASE_METRICS, **{"metrics/extra.json": {"a": 1}}))
    new.experiments = ("regression", "blobs4")
    tables = gate_compare.compare(base, new, {}, PROJECT).tables
    assert [table.experiment for table in tables] == [
        "regression",
        "blobs4",
        "zeta",
        "alpha",
        "extra",
    ]


def test_failure_lines_name_both_sides_as_given():
    base = side("v1")
    new = side("v2", changed("metrics/blobs4.json", test_accuracy=0.92))
    assert gate_compare.compare(base, new, RULES, PROJECT).failures == [
        "blobs4 test_accuracy: 0.93 (v1) -> 0.92 (v2): dropped by 0.01, more than "
        "max_drop 0.005 [rule: better higher, max_drop 0.005, min 0.92]"
    ]


def test_a_metric_that_cannot_be_compared_is_one_failed_row_naming_each_problem():
    judged_row, lines = gate_compare.judge(
        "blobs4",
        "test_accuracy",
        base_value="0.9",
        new_value=Gap.MISSING,
        rule=RULES["blobs4"]["test_accuracy"],
        base_name="HEAD",
        metrics={},
    )
    verdict = "**FAIL**: not a number on HEAD; missing in the workspace"
    assert judged_row == gate_compare.Row("test_accuracy", "0.9", Gap.MISSING, "", verdict, True)
    values = "blobs4 test_accuracy: '0.9' (HEAD) -> missing (workspace)"
    rule_text = "[rule: better higher, max_drop 0.005, min 0.92]"
    assert lines == [
        f"{values}: not a number on HEAD {rule_text}",
        f"{values}: missing in the workspace {rule_text}",
    ]


def test_an_ungated_row_is_not_failed_and_shows_its_change():
    judged_row, lines = gate_compare.judge(
        "blobs4",
        "bayes_accuracy",
        base_value=0.5,
        new_value=0.4,
        rule=None,
        base_name="HEAD",
        metrics={"bayes_accuracy": 0.4},
    )
    assert lines == []
    assert judged_row == gate_compare.Row(
        "bayes_accuracy", 0.5, 0.4, "-0.1 (-20 %)", "not gated", False
    )


def test_a_rule_without_a_base_value_checks_min_and_max_only():
    min_rule = rule(better="higher", max_drop=0.01, min=0.9)
    assert gate_compare.rule_failures(min_rule, None, Decimal("0.8")) == ["below min 0.9"]
    assert gate_compare.rule_failures(min_rule, None, Decimal("0.95")) == []


def test_params_removed_added_or_null_are_listed():
    base = {"a": 1, "b": None, "c": 2}
    new = {"a": 1, "b": 3, "d": None}
    assert gate_compare.diff_params(base, new) == [
        ("b", "null", "3"),
        ("c", "2", "—"),
        ("d", "—", "null"),
    ]
    assert gate_compare.diff_params(None, new) is None


@pytest.mark.parametrize(
    "p_value, text", [(0.0005, "< 0.001"), (0.001, "0.001"), (0.0625, "0.062"), (1.0, "1")]
)
def test_p_values_are_shown_to_two_digits_down_to_0_001(p_value, text):
    assert gate_compare.format_p(p_value, 0.05) == text


@pytest.mark.parametrize(
    "p_value, level, text",
    [
        (0.0496, 0.05, "0.0496"),  # not "0.05 < 0.05"
        (0.04999, 0.05, "0.04999"),
        (0.0504, 0.05, "0.05"),  # "0.05 >= 0.05" holds
        (0.0099, 0.01, "0.0099"),
        (0.00996, 0.01, "0.00996"),
        (0.04999999999, 0.05, "0.04999999999"),
    ],
)
def test_a_p_value_is_never_rounded_across_its_level(p_value, level, text):
    assert gate_compare.format_p(p_value, level) == text


def test_a_p_value_just_under_the_level_reads_as_under_it():
    verdict, failures = judged(noise(-0.01, 0.0496), significant_at=0.05)
    assert verdict.failed
    assert "significantly worse (p 0.0496 < significant_at 0.05)" in failures[0]


@pytest.mark.parametrize(
    "value, text", [(3, "3"), (True, "True"), (0.5, "0.5"), (Gap.MISSING, "missing")]
)
def test_values_are_shown_as_read(value, text):
    assert gate_compare.format_value(value) == text


# --- significant_at: its level, both directions ------------------------------------------------


def test_the_rules_level_decides_the_noise_word_in_the_row_and_its_lines():
    verdict, failures = judged(noise(-0.01, 0.03), max_drop=0.005, significant_at=0.01)
    assert failures == [] and verdict.level == 0.01
    assert (verdict.test.word(verdict.level), verdict.test.p_value) == ("within noise", 0.03)
    assert verdict.waived == (
        "blobs4 test_accuracy: 0.93 (HEAD) -> 0.92 (workspace): dropped by 0.01, more than "
        "max_drop 0.005, but within noise (p 0.03 >= 0.01) [rule: better higher, max_drop 0.005, "
        "significant_at 0.01; within noise, p 0.03]"
    )


def test_every_tolerance_broken_within_noise_is_named():
    verdict, failures = judged(WITHIN_NOISE, max_drop=0.005, max_drop_pct=0.5, significant_at=0.05)
    assert failures == []
    assert verdict.verdict == (
        "ok (max_drop 0.005, max_drop_pct 0.5, significant_at 0.05; dropped by 0.01, more than "
        "max_drop 0.005; dropped by 1.08 % of the base value, more than max_drop_pct 0.5, "
        "but within noise (p 0.3 >= 0.05))"
    )


def test_for_a_lower_is_better_metric_a_significant_rise_fails_and_a_fall_passes():
    _, failures = judged(noise(+0.01, 0.001), "test_loss", 0.17, 0.18, "lower", significant_at=0.05)
    assert failures == [
        "blobs4 test_loss: 0.17 (HEAD) -> 0.18 (workspace): significantly worse "
        "(p 0.001 < significant_at 0.05) [rule: better lower, significant_at 0.05; "
        "significant, p 0.001]"
    ]
    verdict, failures = judged(
        noise(-0.01, 0.001), "test_loss", 0.17, 0.18, "lower", significant_at=0.05
    )
    assert failures == [] and verdict.verdict == "ok (significant_at 0.05)"


@pytest.mark.parametrize("better", ["higher", "lower"])
def test_no_change_is_no_worsening_whatever_its_p_value(better):
    unchanged = gate_stats.Test("paired t-test", 0.0, -0.01, 0.01, 0.001, N)
    assert gate_compare.weigh_noise(rule(better=better, significant_at=0.05), unchanged, []) == (
        [],
        None,
    )


# --- per-point results: which points, which columns -----------------------------------------


def tiny_points(predicted, loss=(0.2, 0.3)):
    """Per-point results of a two-point test set (the actual classes 0 and 1)."""
    table = pd.DataFrame({"actual": [0, 1], "predicted": list(predicted)})
    return table if loss is None else table.assign(loss=list(loss))


def test_two_points_on_each_side_are_enough_for_a_noise_test_one_is_not():
    base, new = sides(tiny_points([0, 1]), tiny_points([0, 0], loss=(0.2, 0.9)))
    tests, notes = gate_compare.noise_tests(
        base, new, "blobs4", ["test_accuracy", "test_loss"], PROJECT
    )
    assert tests == {
        "test_accuracy": gate_stats.mcnemar(np.array([1.0, 1.0]), np.array([1.0, 0.0])),
        "test_loss": gate_stats.paired_t(np.array([0.2, 0.3]), np.array([0.2, 0.9])),
    }
    assert notes == [
        "Paired: both sides scored the same 2 test points (McNemar's exact test, paired t-test)."
    ]
    base, new = sides(tiny_points([0, 1])[:1], tiny_points([0, 0])[:1])
    assert gate_compare.noise_tests(
        base, new, "blobs4", ["test_accuracy", "test_loss"], PROJECT
    ) == ({}, [])


def test_a_metric_whose_column_one_side_lacks_has_no_noise_test():
    base, new = sides(tiny_points([0, 1], loss=None), tiny_points([0, 0]))
    tests, _ = gate_compare.noise_tests(
        base, new, "blobs4", ["test_accuracy", "test_loss"], PROJECT
    )
    assert list(tests) == ["test_accuracy"]


def test_per_point_values_are_floats():
    table = pd.DataFrame({"actual": [0, 1, 2], "predicted": [0, 2, 2], "loss": [1, 2, 3]})
    correct, loss = (
        gate_compare.point_values(table, "correct", PROJECT.points),
        gate_compare.point_values(table, "loss", PROJECT.points),
    )
    assert correct.dtype == loss.dtype == np.float64
    assert correct.tolist() == [1.0, 0.0, 1.0] and loss.tolist() == [1.0, 2.0, 3.0]
    assert gate_compare.point_values(table, "squared_error", PROJECT.points) is None
    assert gate_compare.point_values(table[["actual"]], "correct", PROJECT.points) is None


def regression_sides(base_points, new_points, base_params=None):
    params = {"experiments": {"regression": {"data": {"noise": 0.1}, "split": {"seed": 1}}}}
    base = side("HEAD", params=base_params or params)
    new = side("workspace", params=params)
    base.points["regression"], new.points["regression"] = base_points, new_points
    return base, new


def test_without_paired_when_the_sides_are_never_paired():
    unpaired = Project(
        points=Points(".points.csv", {"test_accuracy": "correct"}, "actual", "predicted")
    )
    base, new = sides(points([]), points(range(8)))
    assert gate_compare.same_test_points(base, new, "blobs4", unpaired) == (
        False,
        "the project section names no points.paired_when",
    )
    tests, notes = gate_compare.noise_tests(base, new, "blobs4", ["test_accuracy"], unpaired)
    assert tests["test_accuracy"].method == "Welch's t-test"
    assert notes == ["Unpaired: the project section names no points.paired_when (Welch's t-test)."]


def test_without_points_there_is_no_noise_test_even_with_per_point_tables():
    base, new = sides(points([]), points(range(8)))
    assert gate_compare.noise_tests(base, new, "blobs4", ["test_accuracy"], Project()) == ({}, [])
    comparison = gate_compare.compare(
        base, new, NOISE_RULES, Project(experiments_param="experiments")
    )
    assert row(comparison, "blobs4", "test_accuracy").test is None


def test_the_same_inputs_pair_and_other_inputs_do_not():
    scored = pd.DataFrame({"x": [0.1, 0.2, 0.3], "actual": [1.0, 2.0, 3.0]})
    moved = scored.assign(x=[0.1, 0.2, 0.4])
    assert gate_compare.same_test_points(
        *regression_sides(scored, scored), "regression", PROJECT
    ) == (
        True,
        "both sides scored the same 3 test points",
    )
    assert gate_compare.same_test_points(
        *regression_sides(scored, moved), "regression", PROJECT
    ) == (
        False,
        "the test points differ",
    )
    other = {"experiments": {"regression": {"data": {"noise": 0.2}, "split": {"seed": 2}}}}
    assert gate_compare.same_test_points(
        *regression_sides(scored, scored, other), "regression", PROJECT
    ) == (False, "the data and split params differ")


# --- references: beats, within, within_pct -----------------------------------------------------


def lost(raw_rule, new, **metrics):
    """The reasons ``new`` breaks a rule's references to ``metrics``, in the workspace."""
    return gate_compare.reference_failures(
        rule(**raw_rule), gate_rules.to_decimal(new), metrics, "workspace"
    )


@pytest.mark.parametrize(
    "better, beating, reference, losing, reason",
    [
        (
            "higher",
            0.631580,
            0.631579,
            0.631578,
            "not above ref 0.631579 (the reference is better by 0.000001)",
        ),
        ("lower", 0.0499, 0.05, 0.0501, "not below ref 0.05 (the reference is better by 0.0001)"),
    ],
)
def test_beats_needs_strictly_better_in_either_direction(
    better, beating, reference, losing, reason
):
    beats = {"better": better, "beats": "ref"}
    assert lost(beats, beating, ref=reference) == []
    side = "above" if better == "higher" else "below"
    assert lost(beats, reference, ref=reference) == [f"not {side} ref {reference} (equal to it)"]
    assert lost(beats, losing, ref=reference) == [reason]


def test_a_model_worse_than_its_naive_baseline_says_by_how_much():
    assert lost({"better": "higher", "beats": "mean_r2"}, -2.64, mean_r2=-0.0106) == [
        "not above mean_r2 -0.0106 (the reference is better by 2.6294)"
    ]
    assert lost(
        {"better": "lower", "beats": ["mean_mse", "linreg_mse"]}, 3, mean_mse=2.5, linreg_mse=4
    ) == ["not below mean_mse 2.5 (the reference is better by 0.5)"]


@pytest.mark.parametrize(
    "raw_rule, reference, at_limit, past_limit, reason",
    [
        (
            {"better": "higher", "within": {"ref": 0.05}},
            0.972,
            0.922,
            0.921999,
            "0.050001 below ref 0.972, more than within 0.05",
        ),
        (
            {"better": "lower", "within": {"ref": 0.002}},
            0.00862278,
            0.01062278,
            0.01062279,
            "0.00200001 above ref 0.00862278, more than within 0.002",
        ),
        (
            {"better": "higher", "within_pct": {"ref": 5}},
            0.8,
            0.76,
            0.75999,
            "5 % below ref 0.8, more than within_pct 5",
        ),
        (
            {"better": "lower", "within_pct": {"ref": 50}},
            0.00862278,
            0.01293417,
            0.01293418,
            "50 % above ref 0.00862278, more than within_pct 50",
        ),
        (  # a negative reference (an R² worse than the mean's): the % is of its size
            {"better": "higher", "within_pct": {"ref": 10}},
            -0.5,
            -0.55,
            -0.5501,
            "10 % below ref -0.5, more than within_pct 10",
        ),
    ],
)
def test_within_exactly_at_its_margin_passes_and_just_past_fails(
    raw_rule, reference, at_limit, past_limit, reason
):
    assert lost(raw_rule, at_limit, ref=reference) == []
    assert lost(raw_rule, past_limit, ref=reference) == [reason]


def test_within_names_how_far_the_model_fell_behind():
    within = {"better": "higher", "within": {"logreg_accuracy": 0.05}}
    assert lost(within, 0.9, logreg_accuracy=0.972) == [
        "0.072 below logreg_accuracy 0.972, more than within 0.05"
    ]
    within_pct = {"better": "lower", "within_pct": {"noise_floor_mse": 50}}
    assert lost(within_pct, 0.0137, noise_floor_mse=0.00862278) == [
        "58.9 % above noise_floor_mse 0.00862278, more than within_pct 50"
    ]


def test_a_model_better_than_its_reference_passes_every_reference_rule():
    references = {"beats": "ref", "within": {"ref": 0}, "within_pct": {"ref": 0}}
    assert lost({"better": "higher", **references}, 0.5, ref=-0.5) == []
    assert lost({"better": "lower", **references}, -0.5, ref=0.5) == []
    assert lost({"better": "higher", **references}, 0.1, ref=0) == []


def test_within_pct_of_a_reference_of_zero_allows_no_worsening():
    within_pct = {"better": "lower", "within_pct": {"ref": 50}}
    assert lost(within_pct, 0, ref=0) == []
    assert lost(within_pct, 0.001, ref=0) == ["0.001 above ref 0, more than within_pct 50"]


def test_every_reference_is_checked_and_each_broken_one_is_a_reason():
    raw_rule = {
        "better": "higher",
        "beats": ["gone", "mean_r2"],
        "within": {"linreg_r2": 0.05, "text": 0.1},
        "within_pct": {"linreg_r2": 1},
    }
    assert lost(raw_rule, 0.4, mean_r2=0, linreg_r2=0.5, text="0.5") == [
        "cannot compare with gone: missing in the workspace",
        "0.1 below linreg_r2 0.5, more than within 0.05",
        "cannot compare with text: not a number in the workspace",
        "20 % below linreg_r2 0.5, more than within_pct 1",
    ]


@pytest.mark.parametrize(
    "value, problem",
    [
        (float("nan"), "NaN in the workspace"),
        (float("-inf"), "-inf in the workspace"),
        (True, "not a number in the workspace"),
        ("0.5", "not a number in the workspace"),
    ],
)
def test_a_reference_that_is_not_a_finite_number_fails_the_rule_naming_it(value, problem):
    assert lost({"better": "higher", "beats": "ref"}, 0.9, ref=value) == [
        f"cannot compare with ref: {problem}"
    ]


def test_a_reference_is_read_on_the_side_it_names():
    failures = gate_compare.reference_failures(
        rule(better="higher", beats="ref"), Decimal("0.5"), {}, "v2"
    )
    assert failures == ["cannot compare with ref: missing on v2"]


def test_significant_at_never_waives_a_reference():
    verdict, failures = judged(
        WITHIN_NOISE, max_drop=0.005, significant_at=0.05, within={"bayes_accuracy": 0.005}
    )
    assert verdict.failed
    assert verdict.verdict == "**FAIL**: 0.0075 below bayes_accuracy 0.9275, more than within 0.005"
    assert failures == [
        "blobs4 test_accuracy: 0.93 (HEAD) -> 0.92 (workspace): 0.0075 below bayes_accuracy "
        "0.9275, more than within 0.005 [rule: better higher, max_drop 0.005, within 0.005 of "
        "bayes_accuracy, significant_at 0.05; within noise, p 0.3]"
    ]


def test_limits_fail_in_order_tolerances_then_min_max_then_references():
    verdict, failures = judged(None, max_drop=0.005, min=0.925, beats="bayes_accuracy")
    assert verdict.verdict == (
        "**FAIL**: dropped by 0.01, more than max_drop 0.005; below min 0.925; "
        "not above bayes_accuracy 0.9275 (the reference is better by 0.0075)"
    )
    assert len(failures) == 3


def test_a_passing_reference_is_shown_in_the_verdict():
    verdict, failures = judged(None, new=0.93, beats="bayes_accuracy", within={"bayes_accuracy": 0})
    assert failures == []
    assert verdict.verdict == "ok (beats bayes_accuracy, within 0 of bayes_accuracy)"


DIABETES = {"test_r2": -2.64, "mean_r2": -0.0106, "linreg_r2": 0.45}
DIABETES_RULES = dict(
    RULES,
    diabetes={"test_r2": rule(better="higher", beats="mean_r2", within={"linreg_r2": 0.05})},
)


def test_a_new_experiment_worse_than_its_naive_baseline_fails_with_the_reason():
    files = dict(BASE_METRICS, **{"metrics/diabetes.json": DIABETES})
    comparison = compare(
        files, rules=DIABETES_RULES, experiments=("blobs4", "regression", "diabetes")
    )
    assert not comparison.passed
    rule_text = "[rule: better higher, beats mean_r2, within 0.05 of linreg_r2]"
    assert comparison.failures == [
        f"diabetes test_r2: — (HEAD) -> -2.64 (workspace): not above mean_r2 -0.0106 "
        f"(the reference is better by 2.6294) {rule_text}",
        f"diabetes test_r2: — (HEAD) -> -2.64 (workspace): 3.09 below linreg_r2 0.45, "
        f"more than within 0.05 {rule_text}",
    ]
    failed = row(comparison, "diabetes", "test_r2")
    assert (failed.base, failed.failed) == (Gap.NO_EXPERIMENT, True)
    assert row(comparison, "diabetes", "mean_r2").verdict == "not gated"


def test_a_new_experiment_that_beats_its_baselines_passes_and_says_what_applied():
    good = dict(DIABETES, test_r2=0.4)
    files = dict(BASE_METRICS, **{"metrics/diabetes.json": good})
    comparison = compare(
        files, rules=DIABETES_RULES, experiments=("blobs4", "regression", "diabetes")
    )
    assert comparison.passed
    assert row(comparison, "diabetes", "test_r2").verdict == (
        "ok (beats mean_r2, within 0.05 of linreg_r2; no base value, so only min/max, beats "
        "and within apply)"
    )


def test_a_new_metric_is_held_to_its_references_too():
    rules = {"regression": {"test_mse": rule(better="lower", max=0.0125, beats="noise_floor_mse")}}
    added = compare(BASE_METRICS, changed("metrics/regression.json", test_mse=None), rules=rules)
    assert added.failures == [
        "regression test_mse: missing (HEAD) -> 0.010961 (workspace): not below noise_floor_mse "
        "0.00862278 (the reference is better by 0.00233822) [rule: better lower, max 0.0125, "
        "beats noise_floor_mse]"
    ]
    rules = {"regression": {"test_mse": rule(better="lower", within={"noise_floor_mse": 0.01})}}
    added = compare(BASE_METRICS, changed("metrics/regression.json", test_mse=None), rules=rules)
    assert row(added, "regression", "test_mse").verdict == (
        "ok (within 0.01 of noise_floor_mse; new metric, so only min/max, beats and within apply)"
    )


def test_references_are_read_on_the_new_side_only():
    rules = {"blobs4": {"test_accuracy": rule(better="higher", beats="bayes_accuracy")}}
    # The base's model lost to its reference, the new one does not: only the new side counts.
    base = changed("metrics/blobs4.json", test_accuracy=0.9)
    assert compare(BASE_METRICS, base, rules=rules).passed
    new = changed("metrics/blobs4.json", bayes_accuracy=0.95)
    assert not compare(new, BASE_METRICS, rules=rules).passed


def test_a_reference_only_the_base_has_fails_the_rule_and_its_own_row():
    rules = {"blobs4": {"test_accuracy": rule(better="higher", beats="bayes_accuracy")}}
    comparison = compare(changed("metrics/blobs4.json", bayes_accuracy=None), rules=rules)
    assert comparison.failures == [
        "blobs4 bayes_accuracy: 0.9275 (HEAD) -> missing (workspace): missing in the workspace "
        "[not gated]",
        "blobs4 test_accuracy: 0.93 (HEAD) -> 0.93 (workspace): cannot compare with "
        "bayes_accuracy: missing in the workspace [rule: better higher, beats bayes_accuracy]",
    ]


def test_a_reference_naming_no_metric_is_a_gate_error_with_a_hint():
    beats = {"blobs4": {"test_accuracy": rule(better="higher", beats="bayes_acc")}}
    assert rule_name_error(beats, side("HEAD"), side("workspace")) == (
        "gate.yaml: blobs4.test_accuracy.beats: bayes_acc: no such metric on either side; "
        "did you mean bayes_accuracy? blobs4 has: bayes_accuracy, test_accuracy, test_loss"
    )
    within = {
        "regression": {
            "test_mse": rule(better="lower", beats="noise_floor_mse", within_pct={"mean_mse": 5})
        }
    }
    assert rule_name_error(within, side("HEAD"), side("workspace")) == (
        "gate.yaml: regression.test_mse.within_pct: mean_mse: no such metric on either side; "
        "did you mean test_mse? regression has: noise_floor_mse, test_mse"
    )


def test_a_reference_on_the_base_side_only_passes_the_name_check():
    rules = {"blobs4": {"test_accuracy": rule(better="higher", within={"bayes_accuracy": 0.1})}}
    new = side("workspace", changed("metrics/blobs4.json", bayes_accuracy=None))
    assert gate_compare.check_rule_names(rules, side("HEAD"), new) is None


# --- nested metrics ---------------------------------------------------------------------------

CANCER = {
    "test_accuracy": 0.982456,
    "test_precision": {"malignant": 0.97, "benign": 0.99},
    "majority_precision": {"malignant": 0, "benign": 0.631579},
}
CANCER_RULES = {
    "cancer": {
        "test_precision.malignant": rule(
            better="higher", beats="majority_precision.malignant", min=0.9
        ),
        "test_precision.benign": rule(better="higher", within={"test_precision.malignant": 0.01}),
    }
}


def cancer(new):
    """blobs4 and cancer (with nested metrics) compared, the base's cancer metrics CANCER."""
    experiments = ("blobs4", "cancer")
    files = {"metrics/blobs4.json": BASE_METRICS["metrics/blobs4.json"]}
    base = side("HEAD", dict(files, **{"metrics/cancer.json": CANCER}), experiments)
    new = side("workspace", dict(files, **{"metrics/cancer.json": new}), experiments)
    gate_compare.check_rule_names(CANCER_RULES, base, new)
    return gate_compare.compare(base, new, CANCER_RULES, PROJECT)


def test_nested_metrics_are_rows_rules_and_references_by_their_dotted_names():
    comparison = cancer(CANCER)
    assert comparison.passed
    [table] = [table for table in comparison.tables if table.experiment == "cancer"]
    assert [each.metric for each in table.rows] == [
        "majority_precision.benign",
        "majority_precision.malignant",
        "test_accuracy",
        "test_precision.benign",
        "test_precision.malignant",
    ]
    assert row(comparison, "cancer", "test_precision.malignant").verdict == (
        "ok (min 0.9, beats majority_precision.malignant)"
    )
    rule_text = "[rule: better higher, min 0.9, beats majority_precision.malignant]"
    values = "cancer test_precision.malignant: 0.97 (HEAD) -> 0 (workspace)"
    assert cancer(dict(CANCER, test_precision={"malignant": 0, "benign": 0.99})).failures == [
        f"{values}: below min 0.9 {rule_text}",
        f"{values}: not above majority_precision.malignant 0 (equal to it) {rule_text}",
    ]
    assert cancer(dict(CANCER, test_precision={"malignant": 0.97, "benign": 0.95})).failures == [
        "cancer test_precision.benign: 0.99 (HEAD) -> 0.95 (workspace): 0.02 below "
        "test_precision.malignant 0.97, more than within 0.01 [rule: better higher, within 0.01 "
        "of test_precision.malignant]",
    ]


def test_a_nested_metric_that_is_not_a_number_fails_by_its_dotted_name_and_as_a_reference():
    comparison = cancer(dict(CANCER, test_precision={"malignant": "high", "benign": 0.99}))
    assert comparison.failures == [
        "cancer test_precision.benign: 0.99 (HEAD) -> 0.99 (workspace): cannot compare with "
        "test_precision.malignant: not a number in the workspace [rule: better higher, within "
        "0.01 of test_precision.malignant]",
        "cancer test_precision.malignant: 0.97 (HEAD) -> 'high' (workspace): not a number in "
        "the workspace [rule: better higher, min 0.9, beats majority_precision.malignant]",
    ]
