"""The gate's command (gate.cli, python -m gate): its one-line usage errors, then real runs on a
small copy of the pipeline (another project's shape: tests/e2e/test_gate_other_project_e2e.py)."""

import json
import math

import pytest

from gate import cli as gate
from tests.conftest import run
from tests.gate.helpers import PROJECT_SECTION, failure_lines, run_module, tables_in


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

TEST_RULES = (
    f"project: {json.dumps(PROJECT_SECTION)}\n"
    + """\
# The small pipeline's metrics are far from the notebook's, so these rules are relative only.
blobs4:
  test_accuracy: {better: higher, max_drop: 0.025}   # one test point of 40
  test_loss: {better: lower, max_rise_pct: 10}
regression:
  test_mse: {better: lower, max_rise: 0.001}
"""
)


def run_gate(repo, tmp_path, *args):
    """``python -m gate`` in ``repo`` with the test rules (tmp_path/rules.yaml, unless there)."""
    rules = tmp_path / "rules.yaml"
    if not rules.exists():
        rules.write_text(TEST_RULES)
    report = str(tmp_path / "report" / "gate.md")
    return run_module(
        "gate", repo, "--rules", str(rules), "--report", report, "--print-report", *args
    )


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
    assert result.stdout.startswith("# Metric gate: FAIL\n")
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
        f"project: {json.dumps(PROJECT_SECTION)}\n"
        "blobs4:\n"
        "  test_accuracy: {better: higher, max_drop: 0.1}\n"
        "  accuracy: {better: higher, min: 0.5}\n"
    )
    result = run_gate(small_pipeline, tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    # (the metrics the evaluate stage writes: the model's and its baselines', listed in full)
    prefix = (
        f"error: {tmp_path / 'rules.yaml'}: blobs4.accuracy: no such metric on either side; did "
        "you mean test_accuracy? blobs4 has: "
    )
    assert line.startswith(prefix)
    assert {"bayes_accuracy", "logreg_accuracy", "test_accuracy", "test_loss"} <= set(
        line.removeprefix(prefix).split(", ")
    )
    assert not (tmp_path / "report" / "gate.md").exists()
