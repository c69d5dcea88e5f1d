"""stages.example: scikit-learn's bundled tables as a person would export them."""

import subprocess
import sys

import pandas as pd
import pytest
from sklearn import datasets

from bench.workspace import REPO, pipeline_env
from pipeline import user_table
from pipeline.tasks import Task
from stages import example


def test_iris_has_its_rows_feature_names_and_text_species():
    frame = example.example_table("iris")
    assert len(frame) == 150
    assert list(frame.columns) == [*datasets.load_iris().feature_names, "species"]
    assert list(frame.columns[:4]) == [
        "sepal length (cm)",
        "sepal width (cm)",
        "petal length (cm)",
        "petal width (cm)",
    ]
    assert not pd.api.types.is_numeric_dtype(frame["species"])
    assert frame["species"].value_counts().to_dict() == {
        "setosa": 50,
        "versicolor": 50,
        "virginica": 50,
    }
    # The label of each row is scikit-learn's, by name.
    codes = datasets.load_iris().target
    assert frame["species"].tolist() == [["setosa", "versicolor", "virginica"][c] for c in codes]


@pytest.mark.parametrize(
    "dataset, rows, target, task",
    [
        ("wine", 178, "cultivar", Task.CLASSIFICATION),
        ("breast_cancer", 569, "diagnosis", Task.CLASSIFICATION),
        ("diabetes", 442, "progression", Task.REGRESSION),
    ],
)
def test_every_example_is_a_table_the_checks_accept(dataset, rows, target, task):
    frame = example.example_table(dataset)
    assert len(frame) == rows and frame.columns[-1] == target
    assert user_table.guess_task(frame, target)[0] == task
    assert (
        user_table.table_problems(frame, target=target, drop_columns=(), missing="error", task=task)
        == []
    )


def test_diabetes_is_as_measured_not_centred():
    frame = example.example_table("diabetes")
    assert frame["age"].min() == 19 and frame["age"].max() == 79  # years, not scaled values
    assert frame["progression"].iloc[:2].tolist() == [151.0, 75.0]


def test_the_command_writes_a_csv_read_back_as_the_same_table(tmp_path):
    out = tmp_path / "wine.csv"
    result = subprocess.run(
        [sys.executable, "-m", "stages", "example", "--dataset", "wine", "--out", str(out)],
        cwd=REPO,
        env=pipeline_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{out}: 178 rows of scikit-learn's wine\n"
    read = user_table.read_user_file(out)
    pd.testing.assert_frame_equal(
        read, example.example_table("wine"), check_dtype=False, check_exact=False, rtol=1e-15
    )
    assert sorted(read["cultivar"].unique()) == ["class_0", "class_1", "class_2"]
