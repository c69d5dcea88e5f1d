"""stages.predict: new rows through a trained model's weights, columns by the file's names."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from bench.workspace import REPO, pipeline_env
from tests.pipeline.test_predictions import CLASSIFIER, PROBABILITIES


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
