"""New rows through a trained model: one set of checks and one answer for `make predict` (a file)
and `make serve` (a request). Rows come as a table (CSV or Parquet, read by user_table) or as
JSON (a list of objects keyed by feature name); the answer is every class's probability, a
column per class by name, and the predicted class, or the predicted value.
"""

import json
import math
import operator
import sys
from typing import Any

import numpy as np
import orjson
import pandas as pd

from pipeline import datasets, inference, user_table
from pipeline.errors import InputError


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
    return table(inference.predict(weights, X), schema)


def table(outputs: np.ndarray, schema: datasets.Schema) -> pd.DataFrame:
    """A model's outputs (class probabilities, or n x 1 values) as the predictions' columns."""
    predicted = f"predicted_{schema.target}"
    if schema.classes is None:
        return pd.DataFrame({predicted: outputs[:, 0]})
    frame = pd.DataFrame(outputs, columns=list(schema.classes))
    frame[predicted] = np.asarray(schema.classes, dtype=object)[outputs.argmax(axis=1)]
    return frame


def records(outputs: np.ndarray, schema: datasets.Schema) -> list[dict[str, Any]]:
    """table's rows as JSON objects, built without a DataFrame (a server answers one row in
    microseconds, where a DataFrame takes longer): the same keys, values and order."""
    predicted = f"predicted_{schema.target}"
    if schema.classes is None:
        return [{predicted: value} for value in outputs[:, 0].tolist()]
    names = list(schema.classes)
    chosen = outputs.argmax(axis=1).tolist()
    return [
        {**dict(zip(names, row, strict=True)), predicted: names[best]}
        for row, best in zip(outputs.tolist(), chosen, strict=True)
    ]


def features(frame: pd.DataFrame, schema: datasets.Schema, source: str) -> np.ndarray:
    """The feature matrix of rows to predict, or an InputError with one line per problem (each
    starting with ``source``): user_table.rows_problems' checks."""
    frame = frame.set_axis([str(column) for column in frame.columns], axis=1)
    problems = user_table.rows_problems(frame, schema)
    if problems:
        raise InputError("\n".join(f"{source}: {problem}" for problem in problems))
    return user_table.features_of(frame, schema.features)


def json_rows(text: str | bytes, source: str) -> list[dict[str, Any]]:
    """A JSON body's rows: a list of objects (none: no predictions, as a CSV file of a header
    alone), or an InputError in one line."""
    try:
        rows = orjson.loads(text)
    except orjson.JSONDecodeError:
        # orjson is the faster reader; Python's also takes NaN, Infinity and integers
        # past 64 bits, and its error says where the text went wrong.
        try:
            rows = json.loads(text)
        except (ValueError, UnicodeDecodeError) as error:  # JSONDecodeError is a ValueError
            raise InputError(f"{source}: not valid JSON ({error})") from None
        except RecursionError:  # arrays or objects nested past Python's stack
            raise InputError(f"{source}: not valid JSON (nested too deeply)") from None
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise InputError(
            f"{source}: expected a JSON list of rows, each an object of feature: value"
        )
    return rows


def json_features(rows: list[dict[str, Any]], schema: datasets.Schema, source: str) -> np.ndarray:
    """The feature matrix of JSON rows, checked as a table's rows are (features)."""
    X = plain_matrix(rows, schema)
    if X is not None:
        return X
    # JSON null is a missing value; a list or an object in a cell is text that is not a number.
    try:
        cells = [{key: _cell(value) for key, value in row.items()} for row in rows]
        frame = pd.DataFrame.from_records(cells)
        return features(frame, schema, source)
    except (RecursionError, UnicodeError):  # a cell nested past the stack; a lone surrogate
        raise InputError(
            f"{source}: a value nested too deeply, or text that is not Unicode"
        ) from None


def plain_matrix(rows: list[dict[str, Any]], schema: datasets.Schema) -> np.ndarray | None:
    """The common case without a DataFrame: every feature there as a finite number (not
    true/false) and no unknown key -> the matrix features() would return; else None."""
    allowed = {*schema.features, schema.target, *schema.dropped}
    wanted = operator.itemgetter(*schema.features)  # one name: the value, not a tuple of it
    try:
        values = [wanted(row) for row in rows]
        if len(schema.features) == 1:
            values = [(value,) for value in values]
    except KeyError:
        return None
    # A row with every feature and as many keys has no other key.
    extra = (row for row in rows if len(row) != len(schema.features))
    if not all(row.keys() <= allowed for row in extra):
        return None
    if not {type(value) for row in values for value in row} <= {int, float}:
        return None
    try:
        X = np.array(values, dtype=np.float64).reshape(len(rows), len(schema.features))
    except OverflowError:  # an integer past float's range
        return None
    return X if np.isfinite(X).all() else None


def _cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value)
    if type(value) is int and abs(value) > sys.float_info.max:  # float() would overflow
        return math.inf  # refused as infinite, whatever its sign
    return value
