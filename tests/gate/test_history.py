"""Each gated metric's history (gate.history), its Mermaid charts, and their parse by Mermaid."""

import pytest

from bench.workspace import commit_all, set_params
from gate import charts, history
from tests.conftest import run
from tests.gate.helpers import run_module, tables_in
from tests.gate.test_cli import run_gate
from tests.mermaid import mermaid_blocks, mermaid_parse_errors

GATED = {"blobs4": ["test_accuracy"], "blobs2": ["test_loss"]}


def points():
    return [
        history.Point("aaaaaaa", "first", {"blobs4": {"test_accuracy": 0.9}}),  # no blobs2 file
        history.Point("bbbbbbb", "second", {"blobs4": {"test_accuracy": 0.92}, "blobs2": {}}),
        history.Point(
            "ccccccc", "third", {"blobs4": {"test_accuracy": 0.93}, "blobs2": {"test_loss": 0.05}}
        ),
        history.Point(
            "workspace", "", {"blobs4": {"test_accuracy": 0.925}, "blobs2": {"test_loss": 0.06}}
        ),
    ]


def test_a_table_per_experiment_with_the_base_and_the_workspace_marked():
    markdown = history.history_markdown(points(), GATED, base_label="bbbbbbb")
    blobs4, blobs2 = tables_in(markdown)
    assert blobs4 == [
        ["commit", "subject", "test_accuracy"],
        ["aaaaaaa", "first", "0.9"],
        ["bbbbbbb (base)", "second", "0.92"],
        ["ccccccc", "third", "0.93"],
        ["workspace", "", "0.925"],
    ]
    assert [row[2] for row in blobs2[1:]] == ["—", "—", "0.05", "0.06"]


def test_a_commit_without_the_file_or_metric_is_a_gap_in_the_chart_not_an_error():
    markdown = history.history_markdown(points(), GATED, base_label="ccccccc")
    accuracy, loss = mermaid_blocks(markdown)
    assert '    x-axis ["aaaaaaa", "bbbbbbb", "ccccccc (base)", "workspace"]' in accuracy
    assert "    line [0.9, 0.92, 0.93, 0.925]" in accuracy
    assert '    x-axis ["ccccccc (base)", "workspace"]' in loss
    assert "    line [0.05, 0.06]" in loss
    assert "Gaps (no metrics file, or no such metric): aaaaaaa, bbbbbbb." in markdown


def test_a_base_outside_the_branch_is_said():
    markdown = history.history_markdown(points(), GATED, base_label=None)
    assert "The base is not among these commits." in markdown
    assert "(base)" not in markdown


def test_the_blocks_written_are_accepted_by_mermaids_parser():
    markdown = history.history_markdown(points(), GATED, base_label="bbbbbbb")
    curves = charts.line_chart("blobs4 loss", ("epoch", 0, 9), [("HEAD loss", [0.4] * 10)], "loss")
    blocks = mermaid_blocks(markdown) + mermaid_blocks(curves)
    assert len(blocks) == 3
    assert mermaid_parse_errors(blocks) == [None] * 3


def test_too_few_commits_is_one_line(capsys):
    assert history.main(["--commits", "0"]) == 2
    assert capsys.readouterr().err == "error: --commits: got 0, expected an integer >= 1\n"


# --- end to end ------------------------------------------------------------------------------


@pytest.mark.e2e
def test_three_commits_that_change_a_param_are_three_points_and_the_report_parses(
    small_pipeline, tmp_path
):
    for grid_points in (21, 22, 23):  # a param that reruns only plotting: seconds, no TensorFlow
        set_params(small_pipeline, {"experiments.blobs4.plot.grid_points": grid_points})
        run(["dvc", "repro"], small_pipeline)
        commit_all(small_pipeline, f"grid points {grid_points}")
    result = run_module(
        "gate.history", small_pipeline, "--commits", "3", "--report", str(tmp_path / "h.md")
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# History: the last 3 commits and the workspace")
    accuracy = next(
        block for block in mermaid_blocks(result.stdout) if "blobs4 test_accuracy" in block
    )
    [values] = [line for line in accuracy.splitlines() if line.startswith("    line [")]
    assert len(values.split(",")) == 4  # three commits and the workspace
    assert '"workspace"]' in accuracy and "(base)" in accuracy  # HEAD is the default base
    blobs4_table = tables_in(result.stdout)[0]
    assert [row[1] for row in blobs4_table[1:]] == [
        "grid points 21",
        "grid points 22",
        "grid points 23",
        "",
    ]
    # The gate's whole report (tables, training curves, history) passes Mermaid's parser.
    gate = run_gate(small_pipeline, tmp_path, "--base", "HEAD~2")
    blocks = mermaid_blocks(gate.stdout)
    assert "## Training curves" in gate.stdout and "## History" in gate.stdout
    assert len(blocks) >= 8
    assert mermaid_parse_errors(blocks) == [None] * len(blocks)
