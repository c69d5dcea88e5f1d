"""stages.predict: new rows through a trained model's weights, columns by the file's names."""

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from bench.workspace import REPO, pipeline_env
from pipeline import datasets
from stages import predict

# A linear softmax over two standardized features: mean (1, 2), standard deviation (2, 0.5),
# so that the rows below standardize exactly to (0, 0), (1, 0) and (0, 1).
W = [[1.0, 0.0, -1.0], [0.0, 1.0, 0.0]]
B = [0.0, math.log(2.0), math.log(3.0)]
CLASSIFIER = {
    "standardize": {"mean": [1.0, 2.0], "variance": [4.0, 0.25], "epsilon": 1e-7},
    "layers": [{"name": "wx_b", "kernel": W, "bias": B, "activation": "linear"}],
    "output_activation": "softmax",
    "features": ["petal length", "petal width"],
    "target": "species",
    "classes": ["setosa", "versicolor", "virginica"],
    "dropped": ["id"],
}
ROWS = np.array([[1.0, 2.0], [3.0, 2.0], [1.0, 2.5]])
E = math.e
# softmax(W.x + b) by hand: the scores are b, b + (1, 0, -1) and b + (0, 1, 0).
PROBABILITIES = np.array(
    [
        [1 / 6, 2 / 6, 3 / 6],
        [E / (E + 2 + 3 / E), 2 / (E + 2 + 3 / E), (3 / E) / (E + 2 + 3 / E)],
        [1 / (1 + 2 * E + 3), 2 * E / (1 + 2 * E + 3), 3 / (1 + 2 * E + 3)],
    ]
)

REGRESSOR = {
    "layers": [{"name": "wx_b", "kernel": [[2.0], [-1.0]], "bias": [0.5], "activation": "linear"}],
    "output_activation": "linear",
    "features": ["rooms", "age"],
    "target": "price",
    "classes": None,
    "dropped": [],
}


def test_schema_of_a_tables_weights_has_its_names():
    assert predict.schema_of(CLASSIFIER) == datasets.Schema(
        ("petal length", "petal width"),
        "species",
        ("setosa", "versicolor", "virginica"),
        dropped=("id",),
    )
    assert predict.schema_of(REGRESSOR) == datasets.Schema(("rooms", "age"), "price", None)


def test_schema_of_a_synthetic_experiments_weights_has_the_default_names():
    synthetic = {key: CLASSIFIER[key] for key in ("layers", "output_activation")}
    assert predict.schema_of(synthetic) == datasets.Schema(
        ("x0", "x1"), "y", ("class 0", "class 1", "class 2"), from_file=False
    )
    curve = {key: REGRESSOR[key] for key in ("layers", "output_activation")}
    assert predict.schema_of(curve) == datasets.Schema(("x0", "x1"), "y", None, from_file=False)


def test_class_probabilities_are_the_softmax_of_the_standardized_rows():
    result = predict.predictions(CLASSIFIER, ROWS, predict.schema_of(CLASSIFIER))
    assert list(result.columns) == ["setosa", "versicolor", "virginica", "predicted_species"]
    np.testing.assert_allclose(
        result[["setosa", "versicolor", "virginica"]].to_numpy(), PROBABILITIES, rtol=1e-12
    )
    assert result["predicted_species"].tolist() == ["virginica", "setosa", "versicolor"]


def test_a_regression_predicts_one_column_named_after_the_target():
    rows = np.array([[3.0, 10.0], [1.0, 0.0], [0.0, 2.5]])
    result = predict.predictions(REGRESSOR, rows, predict.schema_of(REGRESSOR))
    assert list(result.columns) == ["predicted_price"]
    assert result["predicted_price"].tolist() == [2 * 3 - 10 + 0.5, 2.5, -2.0]


def run_predict(tmp_path, weights, rows_csv):
    weights_path = tmp_path / "weights.json"
    weights_path.write_text(json.dumps(weights))
    rows = tmp_path / "rows.csv"
    rows.write_text(rows_csv)
    out = tmp_path / "p.csv"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "stages",
            "predict",
            "--weights",
            str(weights_path),
            "--rows",
            str(rows),
            "--out",
            str(out),
        ],
        cwd=REPO,
        env=pipeline_env(),
        capture_output=True,
        text=True,
    )
    return result, rows, out


def test_the_command_writes_the_predictions(tmp_path):
    # The target and the dropped column may be in the rows (the training file's own rows).
    rows_csv = "id,petal width,species,petal length\nr1,2,?,1\nr2,2,?,3\nr3,2.5,?,1\n"
    result, _, out = run_predict(tmp_path, CLASSIFIER, rows_csv)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{out}: 3 predictions\n"
    written = pd.read_csv(out)
    assert list(written.columns) == ["setosa", "versicolor", "virginica", "predicted_species"]
    np.testing.assert_allclose(written.iloc[:, :3].to_numpy(), PROBABILITIES, rtol=1e-12)
    assert written["predicted_species"].tolist() == ["virginica", "setosa", "versicolor"]


@pytest.mark.parametrize(
    "rows_csv, lines",
    [
        (
            "petal length,petal width,sepal length\n1,2,5\n",
            [
                "column 'sepal length': not a feature of the training file "
                "(features: petal length, petal width)"
            ],
        ),
        ("petal length\n1\n", ["column 'petal width': missing, the model was trained with it"]),
        (
            "petal length,petal width\n1,2\n1,wide\n,2\n",
            [
                "column 'petal length': missing value at row 3 (a model needs every value)",
                "column 'petal width': not a number at row 2 (first: 'wide')",
            ],
        ),
    ],
    ids=["extra-column", "missing-column", "bad-values"],
)
def test_the_command_refuses_rows_that_do_not_fit(tmp_path, rows_csv, lines):
    result, rows, out = run_predict(tmp_path, CLASSIFIER, rows_csv)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"error: {rows}: {line}" for line in lines]
    assert not out.exists()
