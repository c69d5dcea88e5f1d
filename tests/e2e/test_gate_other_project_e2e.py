"""The gate as another DVC project uses it: a tiny project of another shape (params under
`models:`, each model's metrics in its own folder, per-point columns of other names, training
logs of `step`, no Keras, no library), its own gate.yaml, and only the gate package importable.
"""

import re

import pytest

from tests.conftest import run
from tests.gate.helpers import committed_project, copy_of, failure_lines, run_module, tables_in
from tests.mermaid import mermaid_blocks

pytestmark = pytest.mark.e2e

# The stage: plain Python standing in for training and evaluation. Of n test points (each an
# id, a true label and a guess) the first `wrong` are guessed wrong; it writes the metrics,
# the per-point rows beside them, and a training log (loss and learning rate per step).
STAGE = """\
import csv
import json
import sys
from pathlib import Path

name, seed, n, wrong = sys.argv[1], *map(int, sys.argv[2:])
rows = []
for i in range(n):
    label = (7 * i + seed) % 3
    guess = (label + 1) % 3 if i < wrong else label
    rows.append({"id": i, "label": label, "guess": guess, "err2": float(label != guess)})
results, logs = Path("results", name), Path("logs", name)
results.mkdir(parents=True, exist_ok=True)
logs.mkdir(parents=True, exist_ok=True)
with open(results / "scores_rows.csv", "w", newline="") as out:
    writer = csv.DictWriter(out, fieldnames=["id", "label", "guess", "err2"])
    writer.writeheader()
    writer.writerows(rows)
accuracy = sum(row["label"] == row["guess"] for row in rows) / n
metrics = {"acc": round(accuracy, 6), "mse": round(1 - accuracy, 6)}
(results / "scores.json").write_text(json.dumps(metrics))
(logs / "train_log.csv").write_text(
    "step,loss\\n" + "".join(f"{step},{1 / (step + 1) + wrong / n:.4f}\\n" for step in range(4))
)
(logs / "lr.csv").write_text("step,lr\\n" + "".join(f"{step},0.1\\n" for step in range(4)))
"""

PARAMS = """\
models:
  small: {data: {seed: 1, n: 60}, fit: {wrong: 0}}
  big: {data: {seed: 2, n: 80}, fit: {wrong: 8}}
"""

DVC_YAML = """\
stages:
  score:
    foreach: ${models}
    do:
      cmd: python score.py ${key} ${item.data.seed} ${item.data.n} ${item.fit.wrong}
      deps: [score.py]
      outs:
        - results/${key}/scores_rows.csv: {cache: false}
        - logs/${key}/train_log.csv: {cache: false}
        - logs/${key}/lr.csv: {cache: false}
      metrics:
        - results/${key}/scores.json: {cache: false}
plots:
  - small loss:
      x: step
      y:
        logs/small/train_log.csv: loss
  - small learning rate:
      x: step
      y:
        logs/small/lr.csv: lr
  - logs/big/train_log.csv:
      x: step
      y: loss
  - small errors:
      x: id
      y:
        results/small/scores_rows.csv: err2
"""

GATE_YAML = """\
project:
  experiments_param: models
  metrics_file: results/{experiment}/scores.json
  points:
    suffix: _rows.csv                 # results/<model>/scores_rows.csv
    metrics: {acc: correct, mse: err2}
    actual: label
    predicted: guess
    paired_when: {params: [data.seed, data.n], columns: [id]}
  curves: {x: step, file: train_log.csv}

small:
  acc: {better: higher, max_drop: 0.05, significant_at: 0.05}
  mse: {better: lower, max_rise: 0.01}
big:
  acc: {better: higher, min: 0.5}
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The tiny project, reproduced by `dvc repro` and committed once."""
    files = {"score.py": STAGE, "params.yaml": PARAMS, "dvc.yaml": DVC_YAML, "gate.yaml": GATE_YAML}
    return committed_project(tmp_path_factory.mktemp("other") / "project", files)


@pytest.fixture
def project(template, tmp_path):
    return copy_of(template, tmp_path)


def gate(repo, *args, rules="gate.yaml"):
    return run_module("gate", repo, "--rules", rules, "--report", "reports/gate.md", *args)


def test_an_unchanged_workspace_passes_paired_with_its_own_layout(project):
    assert not (project / "gate").exists() and not (project / "pipeline").exists()
    result = gate(project)
    assert result.returncode == 0, result.stdout + result.stderr
    # The terminal gets the verdict and where the report is; the report is in the file.
    assert result.stdout == "gate: passed\nreport: reports/gate.md\n"
    report = (project / "reports" / "gate.md").read_text()
    assert report.startswith("# Metric gate: PASS\n\nBase: `HEAD`. New: the workspace. ")
    small, big = tables_in(report)[:2]
    assert small[1:] == [
        [
            "acc",
            "1.0",
            "1.0",
            "0",
            "+0 to +0",
            "1",
            "within noise",
            "ok (max_drop 0.05, significant_at 0.05)",
        ],
        ["mse", "0.0", "0.0", "0", "+0 to +0", "1", "within noise", "ok (max_rise 0.01)"],
    ]
    assert [row[:2] + row[-1:] for row in big[1:]] == [
        ["acc", "0.9", "ok (min 0.5)"],
        ["mse", "0.1", "not gated"],
    ]
    assert "## Params that differ\n\nNone.\n" in report
    assert report.count("Note: Paired: both sides scored the same ") == 2
    assert "the same 60 test points (McNemar's exact test, paired t-test)." in report
    # The training curves: the plots of train_log.csv against step, not the learning rate's
    # file nor the per-point plot; one y field each, read by its name.
    curves = report[report.index("## Training curves") : report.index("## History")]
    charts = mermaid_blocks(curves)
    titles = [re.search(r'title "(.*)"', chart)[1] for chart in charts]
    assert sorted(titles) == ["logs/big/train_log.csv", "small loss"]
    for chart in charts:
        assert '    x-axis "step" 0 --> 3\n' in chart
    assert curves.count("Lines: blue: HEAD loss; orange: workspace loss.") == 2
    assert "## History: the last 1 commit and the workspace" in report


def test_a_real_regression_fails_and_the_report_says_which_and_why(project):
    run(["dvc", "exp", "run", "-S", "models.small.fit.wrong=30"], project)
    result = gate(project)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert (lines[0], lines[-1], len(lines)) == (
        "gate: FAILED (2 failures)",
        "report: reports/gate.md",
        4,
    )
    assert (project / "reports" / "gate.md").read_text().startswith("# Metric gate: FAIL\n")
    assert failure_lines(result) == [
        "small acc: 1.0 (HEAD) -> 0.5 (workspace): dropped by 0.5, more than max_drop 0.05 "
        "[rule: better higher, max_drop 0.05, significant_at 0.05; significant, p < 0.001]",
        "small mse: 0.0 (HEAD) -> 0.5 (workspace): rose by 0.5, more than max_rise 0.01 "
        "[rule: better lower, max_rise 0.01; significant, p < 0.001]",
    ]
    assert "| models.small.fit.wrong | 0 | 30 |" in (project / "reports" / "gate.md").read_text()
    # Committed, the regression is one step of each gated metric's history.
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-qm", "thirty wrong"], project)
    history = run_module("gate.history", project, "--commits", "2", "--report", "h.md")
    assert history.returncode == 0, history.stderr
    small, _ = tables_in(history.stdout)
    assert [row[1:] for row in small] == [
        ["subject", "acc", "mse"],
        ["a tiny project", "1.0", "0.0"],
        ["thirty wrong", "0.5", "0.5"],
        ["", "0.5", "0.5"],
    ]


@pytest.mark.parametrize(
    "rules, message",
    [
        (
            GATE_YAML.replace("    actual: label\n", ""),
            "bad.yaml: project.points.actual: missing; a metric whose column is correct "
            "compares the actual and predicted columns",
        ),
        (
            GATE_YAML.replace("  acc: {better: higher, min: 0.5}", "  accuracy: {better: higher}"),
            "bad.yaml: big.accuracy: no limit; give at least one of max_drop, max_drop_pct, "
            "min, max, beats, within, within_pct, significant_at",
        ),
        (
            GATE_YAML.replace("big:\n  acc:", "big:\n  accu:"),
            "bad.yaml: big.accu: no such metric on either side; did you mean acc? "
            "big has: acc, mse",
        ),
        (  # metrics files looked for where there are none
            GATE_YAML.replace("results/{experiment}/scores.json", "metrics/{experiment}.json"),
            "bad.yaml: small.acc: no such metric on either side; small has: none",
        ),
    ],
)
def test_a_bad_rules_file_exits_2_with_one_line_and_no_report(project, rules, message):
    (project / "bad.yaml").write_text(rules)
    result = gate(project, rules="bad.yaml")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: {message}\n"
    assert not (project / "reports").exists()
