"""The gate's Markdown report (gate.report), line by line, and writing it."""

from gate import compare as gate_compare
from gate import plots as gate_plots
from gate import report as gate_report
from gate import stats as gate_stats
from gate.compare import Gap, Row
from tests.gate.helpers import (
    BASE_METRICS,
    NOISE_RULES,
    PROJECT,
    changed,
    compare,
    points,
    rule,
    sides,
    tables_in,
)


def report_for(comparison, **kwargs):
    params = [("experiments.blobs4.train.learning_rate", "0.01", "0.0001")]
    return gate_report.render_markdown(
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


def test_the_report_shows_interval_p_and_word_and_lists_what_noise_let_pass():
    base, new = sides(points([]), points(range(5)))  # 5 lost of 800: p 0.0625
    comparison = gate_compare.compare(base, new, NOISE_RULES, PROJECT)
    assert comparison.passed
    markdown = gate_report.render_markdown(
        comparison, base_name="HEAD", rules_path="gate.yaml", params_rows=[]
    )
    assert (
        "| test_accuracy | 0.93 | 0.92 | -0.01 (-1.08 %) | -0.00625 to +0.000273 | 0.062 |"
        " within noise | ok (" in markdown
    )
    assert "## Worse than a tolerance, but within noise (not failed)\n\n- blobs4 test_accuracy" in (
        markdown
    )


BLOBS4_HEADER = [
    "| metric | base | new | change | 95 % interval | p | noise | verdict |",
    "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    "| bayes_accuracy | 0.9275 | 0.9275 | 0 |   |   |   | not gated |",
]
REGRESSION_HEADER = [
    "## regression",
    "",
    *BLOBS4_HEADER[:2],
    "| noise_floor_mse | 0.00862278 | 0.00862278 | 0 |   |   |   | not gated |",
]


def test_a_report_with_every_section(tmp_path):
    rules = dict(NOISE_RULES, regression={"test_mse": rule(better="lower", max=0.01)})
    comparison = gate_compare.compare(*sides(points([]), points(range(5))), rules, PROJECT)
    plots = gate_plots.Plots(
        [("loss [log] \\ x", tmp_path / "plots" / "loss.png"), ("acc", tmp_path / "acc.png")],
        ["acc: no data from HEAD"],
    )
    markdown = gate_report.render_markdown(
        comparison,
        base_name="HEAD",
        rules_path="gate.yaml",
        params_rows=None,
        plots=plots,
        report_dir=tmp_path,
        curves=["```mermaid\nxychart-beta\n```", ""],
        history="## History\n\nchart\n",
    )
    waived = (
        "blobs4 test_accuracy: 0.93 (HEAD) -> 0.92 (workspace): dropped by 0.01, more than "
        "max_drop 0.005, but within noise (p 0.062 >= 0.05) [rule: better higher, max_drop 0.005, "
        "significant_at 0.05; within noise, p 0.062]"
    )
    assert markdown == "\n".join(
        [
            "# Metric gate: FAIL",
            "",
            "Base: `HEAD`. New: the workspace. Rules: `gate.yaml`. 1 failure.",
            "",
            "## Failures",
            "",
            "- regression test_mse: 0.010961 (HEAD) -> 0.010961 (workspace): above max 0.01 "
            "[rule: better lower, max 0.01]",
            "",
            "## Worse than a tolerance, but within noise (not failed)",
            "",
            f"- {waived}",
            "",
            "## blobs4",
            "",
            *BLOBS4_HEADER,
            "| test_accuracy | 0.93 | 0.92 | -0.01 (-1.08 %) | -0.00625 to +0.000273 | 0.062 "
            "| within noise | ok (max_drop 0.005, significant_at 0.05; dropped by 0.01, more than "
            "max_drop 0.005, but within noise (p 0.062 >= 0.05)) |",
            "| test_loss | 0.175801 | 0.175801 | 0 | +0 to +0 | 1 | within noise | not gated |",
            "",
            "Note: Paired: both sides scored the same 800 test points (McNemar's exact test, "
            "paired t-test).",
            "",
            *REGRESSION_HEADER,
            "| test_mse | 0.010961 | 0.010961 | 0 |   |   |   | **FAIL**: above max 0.01 |",
            "",
            "## Params that differ",
            "",
            "Not compared: the params of one side could not be read (see failures).",
            "",
            "## Training curves",
            "",
            "`HEAD` and the workspace, from `dvc plots diff`.",
            "",
            "```mermaid\nxychart-beta\n```",
            "",
            "## History\n\nchart\n",
            "## Plots",
            "",
            "DVC's plots (training curves among them), `HEAD` and the workspace overlaid.",
            "",
            "![loss \\[log\\] \\\\ x](plots/loss.png)",
            "",
            "![acc](acc.png)",
            "",
            "- acc: no data from HEAD\n",
        ]
    )


def test_a_report_of_two_failures_and_no_params_changed():
    comparison = compare(
        changed("metrics/blobs4.json", test_accuracy=0.9),
        changed("metrics/regression.json", test_mse=None),
    )
    markdown = gate_report.render_markdown(
        comparison, base_name="HEAD", rules_path="rules.yaml", params_rows=[]
    )
    values = "blobs4 test_accuracy: 0.93 (HEAD) -> 0.9 (workspace)"
    rule_text = "[rule: better higher, max_drop 0.005, min 0.92]"
    assert markdown == "\n".join(
        [
            "# Metric gate: FAIL",
            "",
            "Base: `HEAD`. New: the workspace. Rules: `rules.yaml`. 2 failures.",
            "",
            "## Failures",
            "",
            f"- {values}: dropped by 0.03, more than max_drop 0.005 {rule_text}",
            f"- {values}: below min 0.92 {rule_text}",
            "",
            "## blobs4",
            "",
            *BLOBS4_HEADER,
            "| test_accuracy | 0.93 | 0.9 | -0.03 (-3.23 %) |   |   |   | **FAIL**: dropped by "
            "0.03, more than max_drop 0.005; below min 0.92 |",
            "| test_loss | 0.175801 | 0.175801 | 0 |   |   |   | not gated |",
            "",
            *REGRESSION_HEADER,
            "| test_mse | missing | 0.010961 |   |   |   |   | ok (max 0.0125; new metric, so only "
            "min/max apply) |",
            "",
            "## Params that differ",
            "",
            "None.\n",
        ]
    )


def test_plots_are_linked_relative_to_the_working_directory_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plots = gate_plots.Plots([("loss", tmp_path / "plots" / "loss.png")])
    markdown = report_for(compare(BASE_METRICS), plots=plots)
    assert markdown.endswith("\n\n![loss](plots/loss.png)\n")


# --- tables, noise cells, and the file -------------------------------------------------------


def test_a_table_aligns_as_asked_and_fills_an_empty_cell():
    assert gate_report.markdown_table(["a", "b"], [["x", ""], [1, None]], ["---", "---:"]) == (
        "| a | b |\n| --- | ---: |\n| x |   |\n| 1 | None |"
    )
    assert gate_report.markdown_table(["a|b"], [["two\n lines"]]) == (
        "| a\\|b |\n| --- |\n| two lines |"
    )
    assert gate_report.markdown_table(["h"], []) == "| h |\n| --- |"


def test_noise_cells_are_the_interval_p_and_word_at_the_rows_level():
    test = gate_stats.Test("paired t-test", -0.01, -0.02, 0.0, 0.03, 800)
    at_1_percent = Row("m", 0.93, 0.92, "", "ok", False, test, 0.01)
    assert gate_report.noise_cells(at_1_percent) == ["-0.02 to +0", "0.03", "within noise"]
    at_5_percent = Row("m", 0.93, 0.92, "", "ok", False, test, 0.05)
    assert gate_report.noise_cells(at_5_percent) == ["-0.02 to +0", "0.03", "significant"]
    assert gate_report.noise_cells(Row("m", Gap.MISSING, 1, "", "x", True)) == ["", "", ""]


def test_a_report_is_written_where_asked_its_folder_made(tmp_path):
    path = tmp_path / "reports" / "deep" / "gate.md"
    gate_report.write_report(path, "# Metric gate: PASS\n")
    assert path.read_text() == "# Metric gate: PASS\n"
    gate_report.write_report(str(path), "again\n")  # over an existing one, from a str path
    assert path.read_text() == "again\n"


def test_a_new_experiment_that_loses_to_its_baseline_is_a_failure_line_and_a_failed_row():
    rules = {
        "wine": {
            "test_accuracy": rule(
                better="higher", beats="majority_accuracy", within={"logreg_accuracy": 0.05}
            )
        }
    }
    files = dict(
        BASE_METRICS,
        **{
            "metrics/wine.json": {
                "test_accuracy": 0.9,
                "majority_accuracy": 0.4,
                "logreg_accuracy": 0.972,
            }
        },
    )
    comparison = compare(files, rules=rules, experiments=("blobs4", "regression", "wine"))
    markdown = report_for(comparison)
    line = (
        "wine test_accuracy: — (HEAD) -> 0.9 (workspace): 0.072 below logreg_accuracy 0.972, "
        "more than within 0.05 [rule: better higher, beats majority_accuracy, within 0.05 of "
        "logreg_accuracy]"
    )
    assert comparison.failures == [line]
    assert markdown.startswith("# Metric gate: FAIL\n")
    assert f"## Failures\n\n- {line}\n\n## blobs4" in markdown
    wine = tables_in(markdown)[2]
    assert wine[1:] == [
        ["logreg_accuracy", "—", "0.972", "", "", "", "", "not gated"],
        ["majority_accuracy", "—", "0.4", "", "", "", "", "not gated"],
        [
            "test_accuracy",
            "—",
            "0.9",
            "",
            "",
            "",
            "",
            "**FAIL**: 0.072 below logreg_accuracy 0.972, more than within 0.05",
        ],
    ]


def test_nested_metrics_are_rows_by_their_dotted_names():
    files = dict(
        BASE_METRICS, **{"metrics/blobs4.json": {"test_precision": {"a": 0.5, "b": {"c": 1}}}}
    )
    table = tables_in(report_for(compare(files, files, rules={})))[0]
    assert table[1:] == [
        ["test_precision.a", "0.5", "0.5", "0", "", "", "", "not gated"],
        ["test_precision.b.c", "1", "1", "0", "", "", "", "not gated"],
    ]
