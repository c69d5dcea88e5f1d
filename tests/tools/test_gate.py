"""The metric-regression gate: its rules, comparison and report, then real runs on a small repo."""

import json
import math
import subprocess
import sys
from decimal import Decimal

import pytest
from markdown_it import MarkdownIt

from keras_blobs.files import read_yaml
from tests.conftest import dvc_env, run
from tools import gate, gate_plots, gate_rules
from tools.gate import Gap, GateError
from tools.workspace import REPO

# --- rules ---------------------------------------------------------------------------------


def rule(**raw):
    return gate_rules.parse_rule("exp.metric", raw)


def test_the_committed_rules_load_and_name_only_metrics_that_exist():
    rules = gate_rules.load_rules(REPO / "gate.yaml")
    experiments = read_yaml(REPO / "params.yaml")["experiments"]
    assert rules, "gate.yaml gates nothing"
    for experiment, metrics in rules.items():
        assert experiment in experiments
        committed = json.loads((REPO / "metrics" / f"{experiment}.json").read_text())
        assert set(metrics) <= set(committed), f"{experiment}: {set(metrics) - set(committed)}"


def test_the_committed_rules_hold_the_notebook_targets():
    rules = gate_rules.load_rules(REPO / "gate.yaml")
    assert rules["blobs4"]["test_accuracy"].minimum == Decimal("0.92")
    assert rules["blobs2"]["test_accuracy"].minimum == Decimal("0.99")
    assert rules["regression"]["test_mse"].maximum == Decimal("0.0125")
    assert rules["blobs4"]["test_loss"].better == "lower"


def test_a_rule_reads_its_limits_as_exact_decimals():
    parsed = rule(better="higher", max_drop=0.005, max_drop_pct=1, min=0.92)
    assert parsed == gate_rules.Rule(
        "higher", Decimal("0.005"), Decimal("1"), Decimal("0.92"), None
    )
    assert parsed.describe() == "better higher, max_drop 0.005, max_drop_pct 1, min 0.92"


@pytest.mark.parametrize(
    "raw, message",
    [
        (
            {"better": "higher", "max_dorp": 0.1},
            "exp.metric.max_dorp: unknown key; did you mean max_drop?",
        ),
        ({"max_drop": 0.1}, "exp.metric.better: missing"),
        (
            {"better": "up", "max_drop": 0.1},
            "exp.metric.better: got 'up', expected higher or lower",
        ),
        (
            {"better": "higher", "max_rise": 0.1},
            "max_rise: applies to better: lower; with better: higher use max_drop",
        ),
        ({"better": "lower", "max_drop_pct": 1}, "use max_rise_pct"),
        ({"better": "higher", "max_drop": -0.1}, "max_drop: got -0.1, expected a number >= 0"),
        (
            {"better": "higher", "max_drop": "1e-3"},
            "max_drop: got '1e-3', expected a number >= 0",
        ),
        ({"better": "higher", "min": True}, "exp.metric.min: got True, expected a finite number"),
        ({"better": "higher", "min": float("nan")}, "exp.metric.min: got nan"),
        ({"better": "higher"}, "exp.metric: no limit; give at least one of max_drop, max_drop_pct"),
        ({"better": "lower", "min": 2, "max": 1}, "exp.metric: min 2 is above max 1"),
    ],
)
def test_a_bad_rule_is_one_line_naming_key_value_and_what_is_allowed(raw, message):
    with pytest.raises(GateError, match="^gate.yaml: ") as error:
        gate_rules.parse_rule("exp.metric", raw)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    "text, message",
    [
        ("- a\n- b\n", "top level: got ['a', 'b'], expected a mapping"),
        ("blobs4: 3\n", "blobs4: got 3, expected a mapping of metric -> rule"),
        (
            "blobs4:\n  test_accuracy: higher\n",
            "blobs4.test_accuracy: got 'higher', expected a mapping",
        ),
        ("blobs4: [1\n", "cannot read rules"),
    ],
)
def test_a_bad_rules_file_is_a_gate_error(tmp_path, text, message):
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(GateError) as error:
        gate_rules.load_rules(path)
    assert message in str(error.value)


def test_rules_are_read_like_params_so_1e_3_is_a_number(tmp_path):
    # YAML 1.1 (PyYAML) reads 1e-3 as the string '1e-3'; the reader of params.yaml, as DVC's, does not.
    path = tmp_path / "rules.yaml"
    path.write_text("blobs4:\n  test_loss:\n    better: lower\n    max_rise: 1e-3\n")
    assert read_yaml(path)["blobs4"]["test_loss"]["max_rise"] == 0.001
    assert gate_rules.load_rules(path)["blobs4"]["test_loss"].max_worse == Decimal("0.001")


def test_an_empty_rules_file_gates_nothing(tmp_path):
    (tmp_path / "rules.yaml").write_text("# nothing gated yet\n")
    assert gate_rules.load_rules(tmp_path / "rules.yaml") == {}


# --- tolerance edges -----------------------------------------------------------------------


def failures(raw_rule, base, new):
    return gate.rule_failures(
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
    return gate.side_from_dvc(name, {"data": data}, params)


def changed(path, **metrics):
    """BASE_METRICS with some metrics of one file replaced (None removes one)."""
    files = {name: dict(values) for name, values in BASE_METRICS.items()}
    files[path].update(metrics)
    files[path] = {key: value for key, value in files[path].items() if value is not None}
    return files


def compare(new_files, base_files=None, rules=RULES, **new_side):
    base, new = side("HEAD", base_files), side("workspace", new_files, **new_side)
    gate.check_rule_names(rules, base, new)
    return gate.compare(base, new, rules)


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
    base = gate.side_from_dvc("v1", None, {"experiments": {}})
    comparison = gate.compare(base, side("workspace"), {})
    assert comparison.failures[0].startswith("on v1: DVC found no metrics there")
    unreadable_params = gate.side_from_dvc("workspace", {"data": {}}, None, OSError("bad params"))
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
    assert gate.flatten({"a": {"b": 1, "c": {"d": 2}}, "e": 3}) == {"a.b": 1, "a.c.d": 2, "e": 3}


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
    assert gate.diff_params(base, new) == [
        ("experiments.blobs4.model.hidden_units", "—", "[16]"),
        ("experiments.blobs4.train.learning_rate", "0.01", "0.0001"),
    ]
    assert gate.diff_params(base, None) is None


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
    return gate.render_markdown(
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
    assert gate.format_value(0.00862278) == "0.00862278"
    assert gate.format_value(float("nan")) == "NaN"
    assert gate.format_value(Gap.NO_EXPERIMENT) == "—"
    assert gate_rules.format_decimal(Decimal("1E+1")) == "10"
    assert gate.format_change(Decimal("0.93"), Decimal("0.925")) == "-0.005 (-0.538 %)"
    assert gate_rules.to_decimal(3) == Decimal("3")
    assert gate_rules.to_decimal(0.925) == Decimal("0.925")  # the decimal as written, not the float


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--base", "workspace"], "error: --base: got 'workspace', expected a git revision or DVC"),
        (["--base", ""], "error: --base: got '', expected"),
        (["--rules", "no-such-rules.yaml"], "error: no-such-rules.yaml: cannot read rules: "),
    ],
)
def test_a_bad_command_line_exits_2_with_one_line_before_reading_dvc(capsys, argv, message):
    assert gate.main(argv) == gate.EXIT_USAGE
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(message) and err.count("\n") == 1


# --- end to end: the real command on a small copy of the pipeline --------------------------

TEST_RULES = """\
# The small pipeline's metrics are far from the notebook's, so these rules are relative only.
blobs4:
  test_accuracy: {better: higher, max_drop: 0.025}   # one test point of 40
  test_loss: {better: lower, max_rise_pct: 10}
regression:
  test_mse: {better: lower, max_rise: 0.001}
"""


def run_gate(repo, tmp_path, *args):
    """``python -m tools.gate`` in ``repo`` with the test rules; the project's tools importable."""
    rules = tmp_path / "rules.yaml"
    if not rules.exists():
        rules.write_text(TEST_RULES)
    env = dict(dvc_env(), PYTHONPATH=str(REPO))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.gate",
            "--rules",
            str(rules),
            "--report",
            str(tmp_path / "report" / "gate.md"),
            *args,
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )


def failure_lines(result):
    return [line[2:] for line in result.stdout.splitlines() if line.startswith("- ")]


@pytest.mark.e2e
def test_gate_passes_on_the_unchanged_metrics(small_pipeline, tmp_path):
    result = run_gate(small_pipeline, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    report = (tmp_path / "report" / "gate.md").read_text()
    assert report == result.stdout
    assert report.startswith("# Metric gate: PASS")
    assert [table[0] for table in tables_in(report)][:3] == [
        ["metric", "base", "new", "change", "95 % interval", "p", "noise", "verdict"]
    ] * 3
    assert report.count("Paired: both sides scored the same 40 test points") == 3
    assert "## Params that differ\n\nNone." in report


@pytest.mark.e2e
def test_gate_fails_on_a_crippled_learning_rate_and_accepts_an_experiment_as_base(
    small_pipeline, tmp_path
):
    # 0.0001, not 0.00001: DVC writes that as 1e-05, which the validate stage reads as text.
    run(
        [
            "dvc",
            "exp",
            "run",
            "-n",
            "crippled",
            "-S",
            "experiments.blobs4.train.learning_rate=0.0001",
        ],
        small_pipeline,
    )
    result = run_gate(small_pipeline, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    failures = failure_lines(result)
    assert any(
        line.startswith("blobs4 test_accuracy: ")
        and "(HEAD) -> " in line
        and "dropped by" in line
        and "[rule: better higher, max_drop 0.025; " in line
        for line in failures
    ), failures
    assert all(line.startswith("blobs4 ") for line in failures)
    assert "| experiments.blobs4.train.learning_rate | 0.01 | 0.0001 |" in result.stdout
    assert "FAILED" in result.stderr
    # The workspace now holds the experiment's results: compared with it, nothing changed.
    same = run_gate(small_pipeline, tmp_path, "--base", "crippled")
    assert same.returncode == 0, same.stdout + same.stderr
    assert "Base: `crippled`." in same.stdout


def drop_file(metrics):
    (metrics / "blobs2.json").unlink()


def write_nan(metrics):
    values = json.loads((metrics / "blobs4.json").read_text())
    (metrics / "blobs4.json").write_text(json.dumps(dict(values, test_accuracy=math.nan)))


def drop_key(metrics):
    values = json.loads((metrics / "regression.json").read_text())
    del values["test_mse"]
    (metrics / "regression.json").write_text(json.dumps(values))


@pytest.mark.e2e
@pytest.mark.parametrize(
    "damage, failure",
    [
        (drop_file, "blobs2: metrics file metrics/blobs2.json is missing in the workspace"),
        (write_nan, "NaN in the workspace [rule: better higher, max_drop 0.025]"),
        (drop_key, "missing in the workspace [rule: better lower, max_rise 0.001]"),
    ],
)
def test_gate_fails_on_a_missing_file_a_nan_or_a_missing_metric(
    small_pipeline, tmp_path, damage, failure
):
    damage(small_pipeline / "metrics")
    if damage is write_nan:
        assert "NaN" in (small_pipeline / "metrics" / "blobs4.json").read_text()
    result = run_gate(small_pipeline, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    [line] = failure_lines(result)
    assert line.endswith(failure)


@pytest.mark.e2e
def test_gate_draws_the_plots_of_both_sides(small_pipeline, tmp_path):
    result = run_gate(small_pipeline, tmp_path, "--plots-dir", str(tmp_path / "report" / "plots"))
    assert result.returncode == 0, result.stdout + result.stderr
    links = [line for line in result.stdout.splitlines() if line.startswith("![")]
    assert len(links) >= 2, result.stdout  # dvc.yaml's top-level plots: training curves at least
    for link in links:
        picture = tmp_path / "report" / link.split("](")[1].rstrip(")")
        assert picture.read_bytes().startswith(b"\x89PNG"), link
    assert "no data from HEAD" not in result.stdout


@pytest.mark.e2e
def test_gate_exits_2_with_one_line_on_a_bad_base_or_rules(small_pipeline, tmp_path):
    result = run_gate(small_pipeline, tmp_path, "--base", "no-such-rev")
    assert result.returncode == 2
    assert result.stderr.startswith("error: --base: 'no-such-rev' is neither a git revision nor")
    (tmp_path / "rules.yaml").write_text(
        "blobs4:\n"
        "  test_accuracy: {better: higher, max_drop: 0.1}\n"
        "  accuracy: {better: higher, min: 0.5}\n"
    )
    result = run_gate(small_pipeline, tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'rules.yaml'}: blobs4.accuracy: no such metric on either side; did "
        "you mean test_accuracy? blobs4 has: bayes_accuracy, logreg_accuracy, test_accuracy, "
        "test_loss"
    ]
    assert not (tmp_path / "report" / "gate.md").exists()
