"""The metric gate's comparison and report (tools.gate_compare), on sides built as DVC returns them."""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from markdown_it import MarkdownIt
from scipy import stats

from tests.tools.test_gate_rules import rule
from tools import gate_compare, gate_plots, gate_rules, gate_stats
from tools.gate_compare import Gap
from tools.gate_rules import GateError

N = 800  # test points, as blobs4 has

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

BASE_METRICS = {
    "metrics/blobs4.json": {"test_accuracy": 0.93, "test_loss": 0.175801, "bayes_accuracy": 0.9275},
    "metrics/regression.json": {"test_mse": 0.010961, "noise_floor_mse": 0.00862278},
}
RULES = {
    "blobs4": {"test_accuracy": rule(better="higher", max_drop=0.005, min=0.92)},
    "regression": {"test_mse": rule(better="lower", max=0.0125)},
}


def side(name, files=None, experiments=("blobs4", "regression"), params=None):
    """A Side built from files as DVC's metrics API returns them: a dict of metrics or an error."""
    files = BASE_METRICS if files is None else files
    data = {
        path: {"error": value} if isinstance(value, Exception) else {"data": value}
        for path, value in files.items()
    }
    params = params if params is not None else {"experiments": {name: {} for name in experiments}}
    return gate_compare.side_from_dvc(name, {"data": data}, params)


def changed(path, **metrics):
    """BASE_METRICS with some metrics of one file replaced (None removes one)."""
    files = {name: dict(values) for name, values in BASE_METRICS.items()}
    files[path].update(metrics)
    files[path] = {key: value for key, value in files[path].items() if value is not None}
    return files


def compare(new_files, base_files=None, rules=RULES, **new_side):
    base, new = side("HEAD", base_files), side("workspace", new_files, **new_side)
    gate_compare.check_rule_names(rules, base, new)
    return gate_compare.compare(base, new, rules)


def row(comparison, experiment, metric):
    table = next(table for table in comparison.tables if table.experiment == experiment)
    return next(row for row in table.rows if row.metric == metric)


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
    assert row(comparison, "blobs4", "test_accuracy").new is Gap.NO_FILE
    damaged = ValueError(
        "unable to read: '../../metrics/regression.json', JSON file structure is corrupted"
    )
    comparison = compare(BASE_METRICS, dict(BASE_METRICS, **{"metrics/regression.json": damaged}))
    assert comparison.failures == [
        "regression: metrics file metrics/regression.json is unreadable "
        "(ValueError: JSON file structure is corrupted) on HEAD"
    ]


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
    assert row(comparison, "blobs3", "test_accuracy").verdict.endswith("only min/max apply)")
    assert comparison.tables[-1].notes == [
        "blobs3 does not exist on HEAD; nothing to compare with."
    ]


def test_a_side_dvc_could_not_read_fails():
    base = gate_compare.side_from_dvc("v1", None, {"experiments": {}})
    comparison = gate_compare.compare(base, side("workspace"), {})
    assert comparison.failures[0].startswith("on v1: DVC found no metrics there")
    unreadable_params = gate_compare.side_from_dvc(
        "workspace", {"data": {}}, None, OSError("bad params")
    )
    assert unreadable_params.problems == ["cannot read its params: bad params"]


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


def test_nested_metrics_are_flattened_like_dvc_names_them():
    assert gate_compare.flatten({"a": {"b": 1, "c": {"d": 2}}, "e": 3}) == {
        "a.b": 1,
        "a.c.d": 2,
        "e": 3,
    }


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


# --- report --------------------------------------------------------------------------------


def tables_in(markdown):
    """Every table of a Markdown text, parsed by a CommonMark + GFM-tables parser: [[cells]]."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    tables, rows, cells = [], None, None
    for token in tokens:
        if token.type == "table_open":
            rows = []
        elif token.type == "tr_open":
            cells = []
        elif token.type == "inline" and cells is not None:
            cells.append(token.content)
        elif token.type == "tr_close":
            rows.append(cells)
            cells = None
        elif token.type == "table_close":
            tables.append(rows)
    return tables


def report_for(comparison, **kwargs):
    params = [("experiments.blobs4.train.learning_rate", "0.01", "0.0001")]
    return gate_compare.render_markdown(
        comparison, base_name="HEAD", rules_path="gate.yaml", params_rows=params, **kwargs
    )


def test_the_report_has_a_well_formed_table_per_experiment_and_one_for_params():
    comparison = compare(changed("metrics/blobs4.json", test_accuracy=0.9, bayes_accuracy=None))
    markdown = report_for(comparison)
    assert markdown.startswith("# Metric gate: FAIL\n")
    tables = tables_in(markdown)
    assert len(tables) == len(comparison.tables) + 1
    for table, experiment in zip(tables[:-1], comparison.tables, strict=True):
        assert table[0] == [
            "metric",
            "base",
            "new",
            "change",
            "95 % interval",
            "p",
            "noise",
            "verdict",
        ]
        assert len(table) == 1 + len(experiment.rows)
        assert all(len(cells) == 8 for cells in table)
    assert tables[0][2] == [
        "test_accuracy",
        "0.93",
        "0.9",
        "-0.03 (-3.23 %)",
        "",
        "",
        "",
        "**FAIL**: dropped by 0.03, more than max_drop 0.005; below min 0.92",
    ]
    assert tables[-1] == [
        ["param", "base", "new"],
        ["experiments.blobs4.train.learning_rate", "0.01", "0.0001"],
    ]
    for line in comparison.failures:
        assert f"- {line}\n" in markdown


def test_a_pipe_or_line_break_in_a_name_cannot_break_a_table():
    files = dict(BASE_METRICS, **{"metrics/blobs4.json": {"a|b": 1, "two\nlines": 2}})
    comparison = compare(files, files, rules={})
    table = tables_in(report_for(comparison))[0]
    assert [cells[0] for cells in table] == ["metric", "a|b", "two lines"]
    assert all(len(cells) == 8 for cells in table)


def test_a_passing_report_says_so_and_links_plots_relative_to_itself(tmp_path):
    plots = gate_plots.Plots(
        [("blobs4 loss", tmp_path / "plots" / "blobs4_loss.png")],
        ["blobs4 loss: no data from HEAD"],
    )
    markdown = report_for(compare(BASE_METRICS), plots=plots, report_dir=tmp_path)
    assert markdown.startswith("# Metric gate: PASS\n")
    assert "0 failures." in markdown and "## Failures" not in markdown
    assert "![blobs4 loss](plots/blobs4_loss.png)" in markdown
    assert "- blobs4 loss: no data from HEAD" in markdown


def test_vega_specs_are_taken_from_dvc_plots_json_and_gaps_noted():
    output = {
        "data": {
            "loss": [{"type": "vega", "revisions": ["workspace"], "content": {"mark": "line"}}],
            "picture.png": [{"type": "image", "revisions": ["HEAD"], "url": "x.png"}],
        },
        "errors": [{"name": "loss", "rev": "HEAD", "type": "FileNotFoundError", "msg": ""}],
    }
    specs, notes = gate_plots.vega_specs(output, "HEAD")
    assert specs == [("loss", {"mark": "line"})]
    assert notes[0].startswith("loss: no data from HEAD")
    assert notes[1] == "loss HEAD: FileNotFoundError"
    assert gate_plots.vega_specs({}, "HEAD")[1] == [
        "nothing drawn: dvc.yaml defines no data-series (Vega) plots"
    ]


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


def judged(test, **raw):
    """The row and failures for blobs4 test_accuracy 0.93 -> 0.92 under a rule."""
    return gate_compare.judge(
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
    verdict, failures = gate_compare.judge(
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


NOISE_RULES = {"blobs4": {"test_accuracy": rule(better="higher", max_drop=0.005, significant_at=0.05)}}


def test_the_same_test_points_are_compared_paired_with_mcnemar():
    base, new = sides(points([]), points(range(8)))
    comparison = gate_compare.compare(base, new, NOISE_RULES)
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
    comparison = gate_compare.compare(base, new, NOISE_RULES)
    assert row(comparison, "blobs4", "test_accuracy").test.method == "Welch's t-test"
    [table] = [table for table in comparison.tables if table.experiment == "blobs4"]
    assert table.notes[0].startswith("Unpaired: the split params differ (")


def test_other_test_points_make_the_comparison_unpaired():
    shuffled = np.roll(np.arange(N) % 4, 1)
    base, new = sides(points([], actual=shuffled), points(range(8)))
    comparison = gate_compare.compare(base, new, NOISE_RULES)
    [table] = [table for table in comparison.tables if table.experiment == "blobs4"]
    assert table.notes[0].startswith("Unpaired: the test points differ (")


def test_unreadable_per_point_results_are_one_line_and_the_fixed_limits_apply():
    base, new = sides("metrics/blobs4.points.csv is missing", points(range(8)))
    comparison = gate_compare.compare(base, new, NOISE_RULES)
    tested = row(comparison, "blobs4", "test_accuracy")
    assert tested.test is None and tested.failed  # dropped 0.01 > max_drop, no test to waive it
    [table] = [table for table in comparison.tables if table.experiment == "blobs4"]
    assert table.notes == [
        "per-point results metrics/blobs4.points.csv is missing on HEAD: no noise test, "
        "the fixed limits apply"
    ]


def test_the_report_shows_interval_p_and_word_and_lists_what_noise_let_pass():
    base, new = sides(points([]), points(range(5)))  # 5 lost of 800: p 0.0625
    comparison = gate_compare.compare(base, new, NOISE_RULES)
    assert comparison.passed
    markdown = gate_compare.render_markdown(
        comparison, base_name="HEAD", rules_path="gate.yaml", params_rows=[]
    )
    assert (
        "| test_accuracy | 0.93 | 0.92 | -0.01 (-1.08 %) | -0.00625 to +0.000273 | 0.062 |"
        " within noise | ok (" in markdown
    )
    assert "## Worse than a tolerance, but within noise (not failed)\n\n- blobs4 test_accuracy" in (
        markdown
    )
