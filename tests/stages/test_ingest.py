"""stages.ingest: a user's table in, the pipeline's Parquet table (x0.., y) and its Schema out;
a bad table is one `error:` line per problem, exit 2, and no output file."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from bench.workspace import REPO, pipeline_env
from pipeline import datasets
from pipeline.params import parse_experiment
from pipeline.settings import stage_settings


def settings_file(tmp_path, task="classification", **data):
    """The ingest settings file as the validate stage writes it (`"table": true`)."""
    experiment = parse_experiment(
        "mine",
        {"task": task, "data": {"target": "kind", "drop_columns": [], "missing": "error", **data}},
        ("data",),
        table=True,
    )
    settings = stage_settings(experiment, "ingest")
    assert settings["table"] is True
    path = tmp_path / "ingest.json"
    path.write_text(json.dumps(settings))
    return path


def ingest(tmp_path, settings, table):
    out = tmp_path / "out" / "raw.parquet"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "stages",
            "ingest",
            "--settings",
            str(settings),
            "--table",
            str(table),
            "--out",
            str(out),
        ],
        cwd=REPO,
        env=pipeline_env(),
        capture_output=True,
        text=True,
    )
    return result, out


GOOD = (
    "id,petal length,petal width,kind\n"
    "r1,1.4,0.2,setosa\n"
    "r2,4.7,1.4,versicolor\n"
    "r3,1.3,0.2,setosa\n"
    "r4,4.5,1.5,versicolor\n"
    "r5,6.0,2.5,virginica\n"
    "r6,5.9,2.1,virginica\n"
    "r7,1.5,0.1,setosa\n"
    "r8,4.0,1.3,versicolor\n"
    "r9,5.1,1.9,virginica\n"
)


def test_a_bad_table_gives_one_error_line_per_problem_and_no_output(tmp_path):
    table = tmp_path / "flowers.csv"
    table.write_text(
        "id,petal length,petal width,kind\n"
        "r1,1.4,,setosa\n"
        "r2,4.7,1.4,versicolor\n"
        "r3,short,0.2,setosa\n"
        "r4,4.5,1.5,versicolor\n"
        "r5,6.0,2.5,virginica\n"
        "r6,1.5,0.1,setosa\n"
    )
    result, out = ingest(tmp_path, settings_file(tmp_path), table)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"error: {table}: column 'id': not a number at rows 1, 2, 3 and 3 more (first: 'r1'); "
        "a text column can be left out with data.drop_columns: [id]",
        f"error: {table}: column 'petal length': not a number at row 3 (first: 'short'); "
        "a text column can be left out with data.drop_columns: [petal length]",
        f"error: {table}: column 'petal width': missing value at row 1 "
        "(data.missing: drop_rows drops such rows)",
        f"error: {table}: column 'kind': classes with fewer than 2 rows, too few to split: "
        "'virginica' (1)",
    ]
    assert result.stdout == ""
    assert not out.exists() and not out.parent.exists()


def test_an_unreadable_file_is_one_error_line(tmp_path):
    table = tmp_path / "flowers.csv"
    table.write_text("1,2,3\n4,5,6\n")
    result, out = ingest(tmp_path, settings_file(tmp_path), table)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: {table}: no header row (the first line holds values: ['1', '2', '3']...)"
    ]
    assert not out.exists()


def test_a_good_table_becomes_the_pipelines_table_with_its_schema(tmp_path):
    table = tmp_path / "flowers.csv"
    table.write_text(GOOD)
    result, out = ingest(tmp_path, settings_file(tmp_path, drop_columns=["id"]), table)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "mine: 9 rows, 2 features\n"
    written = pd.read_parquet(out)
    assert list(written.columns) == ["x0", "x1", "y"]
    assert written["x0"].tolist() == [1.4, 4.7, 1.3, 4.5, 6.0, 5.9, 1.5, 4.0, 5.1]
    assert written["x1"].tolist() == [0.2, 1.4, 0.2, 1.5, 2.5, 2.1, 0.1, 1.3, 1.9]
    assert written["y"].tolist() == [0, 1, 0, 1, 2, 2, 0, 1, 2]
    assert datasets.read_schema(out, written) == datasets.Schema(
        ("petal length", "petal width"),
        "kind",
        ("setosa", "versicolor", "virginica"),
        dropped=("id",),
    )
    datasets.read_table(out, "classification")  # what the split stage reads: no InputError


def test_drop_rows_says_how_many_rows_it_dropped(tmp_path):
    table = tmp_path / "flowers.csv"
    table.write_text(GOOD.replace("r2,4.7,1.4", "r2,4.7,").replace("r5,6.0", "r5,"))
    settings = settings_file(tmp_path, drop_columns=["id"], missing="drop_rows")
    result, out = ingest(tmp_path, settings, table)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "mine: 7 rows, 2 features (2 rows with missing values dropped)\n"
    written = pd.read_parquet(out)
    assert written["x0"].tolist() == [1.4, 1.3, 4.5, 5.9, 1.5, 4.0, 5.1]  # not rows 2 and 5
    assert written["y"].tolist() == [0, 0, 1, 2, 0, 1, 2]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_regression_table(tmp_path, suffix):
    frame = pd.DataFrame(
        {"rooms": [3, 4, 2, 5], "area": [70.5, 90, 50, 120], "kind": [1.5, 2, 1, 3]}
    )
    table = tmp_path / f"houses{suffix}"
    if suffix == ".csv":
        frame.to_csv(table, index=False)
    else:
        frame.to_parquet(table, index=False)
    result, out = ingest(tmp_path, settings_file(tmp_path, task="regression"), table)
    assert result.returncode == 0, result.stderr
    written = pd.read_parquet(out)
    assert written.to_dict("list") == {
        "x0": [3.0, 4.0, 2.0, 5.0],
        "x1": [70.5, 90.0, 50.0, 120.0],
        "y": [1.5, 2.0, 1.0, 3.0],
    }
    assert datasets.read_schema(out, written) == datasets.Schema(("rooms", "area"), "kind", None)
