"""What the gate's tests share: this project's `project:` section, a rule from keywords, sides
and comparisons built as DVC returns them, the tables of a Markdown report, and the gate's
command run in a DVC project."""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from markdown_it import MarkdownIt

from bench.workspace import REPO
from gate import compare as gate_compare
from gate import rules
from gate.project import parse_project
from gate.revision_metrics import side_from_dvc
from tests.conftest import dvc_env, run

# This project's layout as gate.yaml's `project:` section gives it (test_project checks that
# the committed section is this).
PROJECT_SECTION = {
    "experiments_param": "experiments",
    "metrics_file": "metrics/{experiment}.json",
    "points": {
        "suffix": ".points.csv",
        "metrics": {"test_accuracy": "correct", "test_loss": "loss", "test_mse": "squared_error"},
        "actual": "actual",
        "predicted": "predicted",
        "paired_when": {"params": ["data", "split"], "columns": ["x", "actual"]},
    },
    "curves": {"file": "history.csv", "x": "epoch"},
}
PROJECT = parse_project(PROJECT_SECTION)


def rule(**raw):
    return rules.parse_rule("exp.metric", raw)


# --- sides and comparisons, built as DVC returns them ------------------------------------

N = 800  # test points, as blobs4 has

BASE_METRICS = {
    "metrics/blobs4.json": {"test_accuracy": 0.93, "test_loss": 0.175801, "bayes_accuracy": 0.9275},
    "metrics/regression.json": {"test_mse": 0.010961, "noise_floor_mse": 0.00862278},
}
RULES = {
    "blobs4": {"test_accuracy": rule(better="higher", max_drop=0.005, min=0.92)},
    "regression": {"test_mse": rule(better="lower", max=0.0125)},
}


def side(name, files=None, experiments=("blobs4", "regression"), params=None, project=PROJECT):
    """A Side built from files as DVC's metrics API returns them: a dict of metrics or an error."""
    files = BASE_METRICS if files is None else files
    data = {
        path: {"error": value} if isinstance(value, Exception) else {"data": value}
        for path, value in files.items()
    }
    params = params if params is not None else {"experiments": {name: {} for name in experiments}}
    return side_from_dvc(name, {"data": data}, params, project=project)


def side_without_params():
    """HEAD whose params DVC could not read (blobs4's metrics file, no regression file)."""
    return side_from_dvc(
        "HEAD",
        {"data": {"metrics/blobs4.json": {"data": BASE_METRICS["metrics/blobs4.json"]}}},
        None,
        OSError("bad\nparams"),
        project=PROJECT,
    )


def changed(path, **metrics):
    """BASE_METRICS with some metrics of one file replaced (None removes one)."""
    files = {name: dict(values) for name, values in BASE_METRICS.items()}
    files[path].update(metrics)
    files[path] = {key: value for key, value in files[path].items() if value is not None}
    return files


def compare(new_files, base_files=None, rules=RULES, **new_side):
    base, new = side("HEAD", base_files), side("workspace", new_files, **new_side)
    gate_compare.check_rule_names(rules, base, new)
    return gate_compare.compare(base, new, rules, PROJECT)


def row(comparison, experiment, metric):
    table = next(table for table in comparison.tables if table.experiment == experiment)
    return next(row for row in table.rows if row.metric == metric)


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


NOISE_RULES = {
    "blobs4": {"test_accuracy": rule(better="higher", max_drop=0.005, significant_at=0.05)}
}


# --- reports and runs ----------------------------------------------------------------------


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


def committed_project(repo, files):
    """Another DVC project in the new folder ``repo``: ``files`` (name -> text) in a git repo,
    `dvc init`, reproduced by `dvc repro` and committed once."""
    repo.mkdir(parents=True)
    for name, text in files.items():
        (repo / name).write_text(text)
    run(["git", "init", "-q", "-b", "main"], repo)
    run(["git", "config", "user.email", "gate@example.invalid"], repo)
    run(["git", "config", "user.name", "gate"], repo)
    run(["dvc", "init", "-q"], repo)
    run(["dvc", "repro"], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "a tiny project"], repo)
    return repo


def copy_of(repo, tmp_path):
    """A private copy of a committed project (git history and DVC cache included)."""
    copy = tmp_path / "project"
    shutil.copytree(repo, copy, symlinks=True)
    return copy


def run_module(module, repo, *args):
    """``python -m <module> ARGS`` in the DVC project ``repo`` with this checkout's gate package
    importable and nothing else of this project (as another project that installed it has it);
    a copy of this project imports its own copy of the gate."""
    path = Path(repo).parent / "gate-only"
    if not path.exists():
        path.mkdir()
        (path / "gate").symlink_to(REPO / "gate", target_is_directory=True)
    env = dict(dvc_env(), PYTHONPATH=str(path))
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=repo, env=env, capture_output=True, text=True
    )


def failure_lines(result):
    return [line[2:] for line in result.stdout.splitlines() if line.startswith("- ")]
