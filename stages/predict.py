"""Predict new rows (CSV or Parquet) with an experiment's trained model: the notebook's fifth
step. Each row gets every class's probability (a column per class, by name) and the predicted
class, or the predicted value; the model's own preprocessing is applied (it is in the model).

    make predict NAME=<experiment> IN=<rows.csv|rows.parquet> OUT=<predictions.csv>
"""

from typing import Any

import numpy as np
import pandas as pd

from pipeline import datasets, inference, user_table
from pipeline.errors import InputError
from pipeline.files import write_atomic
from stages import cli


def schema_of(weights: dict[str, Any]) -> datasets.Schema:
    """The names a model was trained with: a table's, kept in its weights file, or a synthetic
    experiment's x0.., y and class numbers."""
    if "features" not in weights:
        n_features = len(weights["layers"][0]["kernel"])
        n_outputs = len(weights["layers"][-1]["bias"])
        softmax = weights["output_activation"] == "softmax"
        return datasets.default_schema(n_features, n_outputs if softmax else None)
    return datasets.Schema.from_mapping(weights)


def predictions(weights: dict[str, Any], X: np.ndarray, schema: datasets.Schema) -> pd.DataFrame:
    """Every class's probability and the predicted class, or the predicted value."""
    outputs = inference.predict(weights, X)
    predicted = f"predicted_{schema.target}"
    if schema.classes is None:
        return pd.DataFrame({predicted: outputs[:, 0]})
    frame = pd.DataFrame(outputs, columns=list(schema.classes))
    frame[predicted] = np.asarray(schema.classes, dtype=object)[outputs.argmax(axis=1)]
    return frame


def main() -> None:
    args = cli.parse_paths(__doc__.splitlines()[0], "weights", "rows", "out")
    weights = inference.read_weights(args.weights)
    schema = schema_of(weights)
    frame = user_table.read_user_file(args.rows, min_columns=1)
    problems = user_table.rows_problems(frame, schema)
    if problems:
        raise InputError("\n".join(f"{args.rows}: {problem}" for problem in problems))
    X = user_table.features_of(
        frame.set_axis([str(c) for c in frame.columns], axis=1), schema.features
    )
    result = predictions(weights, X, schema)
    write_atomic(args.out, lambda tmp: result.to_csv(tmp, index=False))
    print(f"{args.out}: {len(result)} predictions")
