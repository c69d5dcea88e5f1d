"""The notebook's gate rules on the full blobs4: a reseed is noise, a crippled model is not.

The copy gets the notebook's experiments and rules (tests/notebook_params.py), and its base is
blobs4 reproduced from them and committed: what params.yaml, gate.yaml and metrics/ hold now,
after a user's runs, does not change what is asserted (the README's report excerpt).
"""

import re

import pytest

from bench.workspace import commit_all
from tests.conftest import copy_project, run
from tests.gate.helpers import failure_lines
from tests.gate.test_cli import run_gate
from tests.notebook_params import NOTEBOOK_GATE, use_experiments

pytestmark = pytest.mark.e2e


def accuracy_row(report):
    [line] = [line for line in report.splitlines() if line.startswith("| test_accuracy | 0.93 |")]
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_a_reseed_passes_within_noise_and_a_crippled_model_fails_as_significant(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    copy_project(repo)
    use_experiments(repo)
    (tmp_path / "rules.yaml").write_text(NOTEBOOK_GATE)
    # The base: the notebook's blobs4, reproduced bit for bit and committed. Only blobs4's chain
    # up to its metrics runs: the other experiments keep their committed files.
    run(["dvc", "repro", "evaluate@blobs4"], repo)
    assert '"test_accuracy": 0.93,' in (repo / "metrics" / "blobs4.json").read_text()
    commit_all(repo, "the notebook's blobs4")
    run(["dvc", "exp", "run", "-S", "experiments.blobs4.train.seed=1", "evaluate@blobs4"], repo)
    reseeded = run_gate(repo, tmp_path)
    assert reseeded.returncode == 0, reseeded.stdout + reseeded.stderr
    metric, _, new, change, interval, p_value, word, verdict = accuracy_row(reseeded.stdout)
    assert (metric, new, change, word) == (
        "test_accuracy",
        "0.92375",
        "-0.00625 (-0.672 %)",
        "within noise",
    )
    low, high = (float(bound) for bound in interval.split(" to "))
    assert low <= -0.00625 < 0 < high
    assert 0.05 <= float(p_value) < 0.1
    assert "more than max_drop 0.005, but within noise" in verdict
    assert "Paired: both sides scored the same 800 test points" in reseeded.stdout

    run(
        [
            "dvc",
            "exp",
            "run",
            "-S",
            "experiments.blobs4.train.seed=0",
            "-S",
            "experiments.blobs4.train.learning_rate=0.0001",
            "-S",
            "experiments.blobs4.train.epochs=1",
            "evaluate@blobs4",
        ],
        repo,
    )
    crippled = run_gate(repo, tmp_path)
    assert crippled.returncode == 1, crippled.stdout + crippled.stderr
    *_, p_value, word, verdict = accuracy_row(crippled.stdout)
    assert (p_value, word) == ("< 0.001", "significant")
    assert verdict.startswith("**FAIL**: dropped by")
    assert any(
        re.match(r"blobs4 test_accuracy: 0\.93 \(HEAD\) -> 0\.\d+ \(workspace\): dropped by ", line)
        and line.endswith("significant, p < 0.001]")
        for line in failure_lines(crippled)
    ), crippled.stdout
