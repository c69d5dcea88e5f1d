"""bench.zoo: its tables load offline and pass make experiment's checks; its verdicts and
report; and three tables, shrunk, through make experiment's command and dvc repro."""

import math
import subprocess
import sys

import pytest

from bench import zoo
from bench.workspace import REPO, copy_tracked_files, pipeline_env
from pipeline import user_table
from pipeline.tasks import Task

BY_NAME = {table.name: table for table in zoo.TABLES}
# Rows as each package ships them (a new version that changes one should say so here).
SHIPPED_ROWS = {
    "iris": 150,
    "wine": 178,
    "breast_cancer": 569,
    "digits": 1797,
    "penguins": 344,
    "anes96": 944,
    "diabetes": 442,
    "engel": 235,
    "grunfeld": 220,
    "penguins_mass": 344,
    "star98": 303,
    "fair": 6366,
    "randhie": 20190,
}
# The tables that make experiment refuses without their DROP or MISSING (star98's DROP is a
# choice: NBELOW, a number, is the other half of the target's count).
NEEDS_OPTIONS = {"penguins", "grunfeld", "penguins_mass"}


def test_the_zoo_spans_tasks_sizes_and_options():
    assert len(zoo.TABLES) >= 10 and set(BY_NAME) == set(SHIPPED_ROWS)
    tasks = [table.task for table in zoo.TABLES]
    assert tasks.count("regression") >= 4 and tasks.count("classification") >= 4
    assert min(SHIPPED_ROWS.values()) <= 150 and max(SHIPPED_ROWS.values()) >= 20_000
    assert any(table.drop for table in zoo.TABLES)
    assert any(table.missing == "drop_rows" for table in zoo.TABLES)


@pytest.mark.parametrize("table", zoo.TABLES, ids=lambda table: table.name)
def test_each_table_loads_offline_and_passes_make_experiments_checks(table):
    frame = table.load()  # from the installed package's own files: no network here
    assert len(frame) == SHIPPED_ROWS[table.name]
    # make experiment's own checks, with the table's DROP and MISSING: no problem left...
    assert (
        user_table.table_problems(
            frame,
            target=table.target,
            drop_columns=table.drop,
            missing=table.missing,
            task=Task(table.task),
        )
        == []
    )
    # ... its guess agrees with the TASK given...
    assert user_table.guess_task(frame, table.target)[0] == Task(table.task)
    # ... and where a column is text or a value missing, the file is refused without them.
    if table.name in NEEDS_OPTIONS:
        assert user_table.table_problems(
            frame, target=table.target, drop_columns=(), missing="error", task=Task(table.task)
        )


def test_within_target_is_two_accuracy_points_or_five_percent_of_mse():
    classification = {"logreg_accuracy": 0.92, "majority_accuracy": 0.5}
    assert zoo.target_misses("classification", {**classification, "test_accuracy": 0.9}) == []
    assert zoo.target_misses("classification", {**classification, "test_accuracy": 0.89}) == [
        "test_accuracy 0.8900 < logreg_accuracy 0.9200 - 0.02"
    ]
    regression = {"linreg_mse": 100.0, "mean_mse": 200.0}
    assert zoo.target_misses("regression", {**regression, "test_mse": 105.0}) == []
    assert zoo.target_misses("regression", {**regression, "test_mse": 105.1}) == [
        "test_mse 105.1 > 1.05 x linreg_mse 100"
    ]


def test_a_model_no_better_than_the_naive_baseline_misses_even_near_a_poor_linear_one():
    # star98's linear regression is worse than the mean: being near it proves nothing.
    regression = {"linreg_mse": 266100.0, "mean_mse": 147000.0, "test_mse": 150000.0}
    assert zoo.target_misses("regression", regression) == ["test_mse 150000 >= mean_mse 147000"]
    classification = {"logreg_accuracy": 0.6, "majority_accuracy": 0.6, "test_accuracy": 0.6}
    assert zoo.target_misses("classification", classification) == [
        "test_accuracy 0.6000 <= majority_accuracy 0.6000"
    ]


def test_failure_line_prefers_the_stages_own_error_to_dvcs():
    output = (
        "Running stage 'split@zoo_x':\n"
        "Traceback (most recent call last):\n"
        "ImportError: cannot import name 'scores'\n"
        "ERROR: failed to reproduce 'split@zoo_x': failed to run: python3 -m stages.split\n"
    )
    assert zoo.failure_line(output) == "ImportError: cannot import name 'scores'"
    assert zoo.failure_line("error: data.target: no column 'y'\nERROR: failed\n") == (
        "error: data.target: no column 'y'"
    )
    assert zoo.failure_line("") == "no output"


def test_numbers_keep_four_significant_digits_without_exponents():
    assert zoo.number(123456.7) == "123500"
    assert zoo.number(0.0012346) == "0.001235"
    assert zoo.number(1486.7) == "1487"


MACHINE = {"date": "2030-01-01 00:00 UTC", "cpu": "cpu", "cores": 2, "load": 0.1, "commit": "abc"}


def result(name, metrics, **extra):
    table = BY_NAME[name]
    return {
        "table": table,
        "file_rows": SHIPPED_ROWS[name],
        "rows": SHIPPED_ROWS[name] - 2,
        "features": 4,
        "classes": 3,
        "target_range": (0.93, 1486.7),
        "seconds": 12.34,
        "train": {"epochs": 150, "batch_size": 16},
        **(
            {"metrics": metrics, "within": not zoo.target_misses(table.task, metrics)}
            if metrics
            else {}
        ),
        **extra,
    }


def test_report_has_a_table_per_task_and_names_each_miss():
    passed = {
        "test_accuracy": 0.97,
        "test_balanced_accuracy": 0.96,
        "logreg_accuracy": 0.98,
        "majority_accuracy": 0.44,
    }
    missed = {
        "test_mse": 92749.4,
        "test_r2": -0.57,
        "linreg_mse": 4204.97,
        "linreg_r2": 0.93,
        "mean_mse": 59320.1,
        "mean_r2": -0.002,
    }
    results = [
        result("penguins", passed, converged=True),
        result("grunfeld", missed, converged=False),
        result("star98", None, error="ImportError: no"),
    ]
    text = zoo.report({"validate_seconds": 2.5, "results": results}, MACHINE)

    assert "2030-01-01 00:00 UTC, cpu, 2 cores, load 0.10" in text
    assert "## Classification" in text and "## Regression" in text
    assert (
        "| `penguins` | palmerpenguins | 342 of 344 | 4 | DROP=island,sex MISSING=drop_rows | "
        "`species`, 3 classes | 0.9700 | 0.9600 | 0.9800 | - | 0.4400 | yes | yes | 150 x 16 | 12.3 |"
    ) in text
    assert (
        "| `grunfeld` | statsmodels | 218 of 220 | 4 | DROP=firm | `invest`, 0.93 to 1487 | "
        "92750 | -0.5700 | 4205 | 0.9300 | 59320 | -0.0020 | **no** | **no** | 150 x 16 | 12.3 |"
    ) in text
    assert "**failed**: ImportError: no" in text
    assert zoo.misses(results) == [
        "grunfeld: test_mse 92750 > 1.05 x linreg_mse 4205",
        "grunfeld: test_mse 92750 >= mean_mse 59320",
        "star98: its chain failed: ImportError: no",
    ]
    assert text.endswith(
        "## Misses\n\n- grunfeld: test_mse 92750 > 1.05 x linreg_mse 4205\n"
        "- grunfeld: test_mse 92750 >= mean_mse 59320\n"
        "- star98: its chain failed: ImportError: no\n"
    )


def test_an_unknown_table_is_refused_before_anything_runs():
    done = subprocess.run(
        [sys.executable, "-m", "bench.zoo", "--tables", "iris,nope"],
        cwd=REPO,
        env=pipeline_env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith("--tables: unknown nope")


@pytest.mark.e2e
def test_three_tables_shrunk_through_make_experiment_and_dvc_repro(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    copy_tracked_files(repo, untracked=True)
    chosen = [BY_NAME[name] for name in ("penguins", "grunfeld", "randhie")]

    run = zoo.run_zoo(repo, chosen, tmp_path, rows=200, params={"train.epochs": 1})

    assert run["validate_seconds"] > 0
    penguins, grunfeld, randhie = run["results"]
    for one in run["results"]:
        assert "error" not in one, one.get("error")
        assert one["train"]["epochs"] == 1 and one["seconds"] > 0
        assert one["file_rows"] == 200  # the seeded sample, as written to the CSV
        assert isinstance(one["within"], bool)
        assert all(
            math.isfinite(value) for value in one["metrics"].values() if type(value) is float
        )
    # The sample's rows with a missing value left out (MISSING=drop_rows), text columns dropped.
    sample = zoo.write_csv(BY_NAME["penguins"], tmp_path / "again.csv", rows=200)
    assert penguins["rows"] == len(sample.drop(columns=["island", "sex"]).dropna()) < 200
    assert penguins["features"] == 5 and penguins["classes"] == 3  # year is a number
    assert {"test_accuracy", "logreg_accuracy", "majority_accuracy"} <= set(penguins["metrics"])
    assert 0 <= penguins["metrics"]["majority_accuracy"] <= penguins["metrics"]["logreg_accuracy"]
    assert (grunfeld["rows"], grunfeld["features"]) == (200, 3)  # value, capital, year
    assert (randhie["rows"], randhie["features"]) == (200, 9)
    for one in (grunfeld, randhie):
        keys = {f"{side}_{score}" for side in ("test", "linreg", "mean") for score in ("mse", "r2")}
        assert keys <= set(one["metrics"])
        assert one["metrics"]["linreg_mse"] > 0 and one["target_range"][0] >= 0
    assert (repo / "metrics" / "zoo_randhie.json").exists()
    assert "| `randhie` | statsmodels | 200 |" in zoo.report(run, MACHINE)
