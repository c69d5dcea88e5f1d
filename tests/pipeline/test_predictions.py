"""pipeline.predictions: the checks and answer shared by make predict and make serve."""

import math
import sys

import numpy as np
import pytest

from pipeline import datasets, predictions
from pipeline.errors import InputError

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
    assert predictions.schema_of(CLASSIFIER) == datasets.Schema(
        ("petal length", "petal width"),
        "species",
        ("setosa", "versicolor", "virginica"),
        dropped=("id",),
    )
    assert predictions.schema_of(REGRESSOR) == datasets.Schema(("rooms", "age"), "price", None)


def test_schema_of_a_synthetic_experiments_weights_has_the_default_names():
    synthetic = {key: CLASSIFIER[key] for key in ("layers", "output_activation")}
    assert predictions.schema_of(synthetic) == datasets.Schema(
        ("x0", "x1"), "y", ("class 0", "class 1", "class 2"), from_file=False
    )
    curve = {key: REGRESSOR[key] for key in ("layers", "output_activation")}
    assert predictions.schema_of(curve) == datasets.Schema(("x0", "x1"), "y", None, from_file=False)


def test_class_probabilities_are_the_softmax_of_the_standardized_rows():
    result = predictions.predictions(CLASSIFIER, ROWS, predictions.schema_of(CLASSIFIER))
    assert list(result.columns) == ["setosa", "versicolor", "virginica", "predicted_species"]
    np.testing.assert_allclose(
        result[["setosa", "versicolor", "virginica"]].to_numpy(), PROBABILITIES, rtol=1e-12
    )
    assert result["predicted_species"].tolist() == ["virginica", "setosa", "versicolor"]


def test_a_regression_predicts_one_column_named_after_the_target():
    rows = np.array([[3.0, 10.0], [1.0, 0.0], [0.0, 2.5]])
    result = predictions.predictions(REGRESSOR, rows, predictions.schema_of(REGRESSOR))
    assert list(result.columns) == ["predicted_price"]
    assert result["predicted_price"].tolist() == [2 * 3 - 10 + 0.5, 2.5, -2.0]


SCHEMA = predictions.schema_of(CLASSIFIER)


def test_features_of_a_checked_frame_are_in_the_models_order():
    frame = predictions.pd.DataFrame({"petal width": [2.0, 2.5], "petal length": [1, 3]})
    X = predictions.features(frame, SCHEMA, "rows.csv")
    assert X.dtype == np.float64 and X.tolist() == [[1.0, 2.0], [3.0, 2.5]]


def test_features_raises_one_line_per_problem_naming_the_source():
    frame = predictions.pd.DataFrame({"petal length": [1.0, None], "colour": ["red", "blue"]})
    with pytest.raises(InputError) as raised:
        predictions.features(frame, SCHEMA, "body")
    assert str(raised.value).splitlines() == [
        "body: column 'colour': not a feature of the training file "
        "(features: petal length, petal width)",
        "body: column 'petal width': missing, the model was trained with it",
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "{",
            "body: not valid JSON (Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1))",
        ),
        (b"\xff", "body: not valid JSON ("),
        (
            '{"petal length": 1}',
            "body: expected a JSON list of rows, each an object of feature: value",
        ),
        ("[1, 2]", "body: expected a JSON list of rows, each an object of feature: value"),
    ],
    ids=["malformed", "not-utf8", "an-object", "numbers"],
)
def test_json_rows_refuses_anything_but_a_list_of_objects(text, message):
    with pytest.raises(InputError) as raised:
        predictions.json_rows(text, "body")
    assert str(raised.value).startswith(message) and "\n" not in str(raised.value)


def test_json_rows_of_plain_numbers_are_the_frames_features():
    rows = [
        {"petal width": 2, "petal length": 1.5, "species": "?", "id": "a"},
        {"petal length": -3e300, "petal width": 0.25},
    ]
    X = predictions.json_features(rows, SCHEMA, "body")
    frame = predictions.pd.DataFrame.from_records(rows)
    assert X.tobytes() == predictions.features(frame, SCHEMA, "f").tobytes()


@pytest.mark.parametrize(
    "rows, lines",
    [
        ([{"petal length": 1}], ["column 'petal width': missing, the model was trained with it"]),
        (
            [{"petal length": 1, "petal width": 2, "colour": 3}],
            [
                "column 'colour': not a feature of the training file "
                "(features: petal length, petal width)"
            ],
        ),
        (
            [{"petal length": 1, "petal width": 2}, {"petal length": None, "petal width": 2}],
            ["column 'petal length': missing value at row 2 (a model needs every value)"],
        ),
        (
            [{"petal length": 1, "petal width": 2}, {"petal length": 1}],
            ["column 'petal width': missing value at row 2 (a model needs every value)"],
        ),
        (
            [{"petal length": "wide", "petal width": [2]}],
            [
                "column 'petal length': not a number at row 1 (first: 'wide')",
                "column 'petal width': not a number at row 1 (first: '[2]')",
            ],
        ),
        (
            [{"petal length": 10**400, "petal width": 2.0}],
            ["column 'petal length': infinite value at row 1"],
        ),
    ],
    ids=["missing-feature", "unknown-feature", "null", "absent-in-a-row", "text", "huge-int"],
)
def test_json_rows_get_the_tables_problem_lines(rows, lines):
    with pytest.raises(InputError) as raised:
        predictions.json_features(rows, SCHEMA, "body")
    assert str(raised.value).splitlines() == [f"body: {line}" for line in lines]


def test_json_numbers_written_as_text_are_read_as_a_csv_file_reads_them():
    X = predictions.json_features([{"petal length": "1.5", "petal width": 2}], SCHEMA, "body")
    assert X.tolist() == [[1.5, 2.0]] and not math.isnan(X[0, 0])


def test_no_json_rows_are_no_predictions_as_a_csv_file_of_a_header_alone():
    X = predictions.json_features(predictions.json_rows("[]", "body"), SCHEMA, "body")
    assert X.shape == (0, 2)
    assert predictions.predictions(CLASSIFIER, X, SCHEMA).columns.tolist() == [
        "setosa",
        "versicolor",
        "virginica",
        "predicted_species",
    ]


@pytest.mark.parametrize("weights", [CLASSIFIER, REGRESSOR], ids=["classifier", "regressor"])
def test_records_are_the_tables_rows_keys_values_and_order(weights):
    schema = predictions.schema_of(weights)
    rows = ROWS if weights is CLASSIFIER else np.array([[3.0, 10.0], [1.0, 0.0]])
    outputs = predictions.inference.predict(weights, rows)
    expected = predictions.table(outputs, schema).to_dict(orient="records")
    got = predictions.records(outputs, schema)
    assert [list(row) for row in got] == [list(row) for row in expected]
    assert got == expected and all(type(v) in (float, str) for row in got for v in row.values())


def test_json_rows_of_a_one_feature_model_are_a_one_column_matrix():
    schema = datasets.Schema(("x0",), "y", None)
    X = predictions.json_features([{"x0": 1}, {"x0": 2.5, "y": "?"}], schema, "body")
    assert X.shape == (2, 1) and X.tolist() == [[1.0], [2.5]]


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 5_000], ids=["arrays", "objects"])
def test_json_nested_past_the_stack_is_one_line_not_a_crash(body):
    with pytest.raises(InputError) as raised:
        predictions.json_rows(body, "body")
    assert str(raised.value) == "body: not valid JSON (nested too deeply)"


@pytest.mark.parametrize(
    "text, line",
    [
        ('[{"petal length": NaN, "petal width": 2}]',
         "column 'petal length': missing value at row 1 (a model needs every value)"),
        ('[{"petal length": 1, "petal width": -Infinity}]',
         "column 'petal width': infinite value at row 1"),
        ('[{"petal length": -1' + "0" * 400 + ', "petal width": 2}]',
         "column 'petal length': infinite value at row 1"),
    ],
    ids=["NaN", "Infinity", "huge-negative-int"],
)  # fmt: skip
def test_json_values_python_reads_but_no_model_takes_are_refused(text, line):
    with pytest.raises(InputError) as raised:
        predictions.json_features(predictions.json_rows(text, "body"), SCHEMA, "body")
    assert str(raised.value) == f"body: {line}"


def test_the_largest_integer_a_float_holds_is_a_number_not_infinite():
    largest = int(sys.float_info.max)  # a null in row 2 sends the rows through the table's checks
    rows = [{"petal length": largest, "petal width": 2}, {"petal length": 1, "petal width": None}]
    with pytest.raises(InputError) as raised:
        predictions.json_features(rows, SCHEMA, "body")
    assert str(raised.value) == (
        "body: column 'petal width': missing value at row 2 (a model needs every value)"
    )


def test_a_lone_surrogate_in_a_value_is_one_line_not_a_crash():
    rows = predictions.json_rows('[{"petal length": "\\ud800", "petal width": 2}]', "body")
    with pytest.raises(InputError) as raised:
        predictions.json_features(rows, SCHEMA, "body")
    assert str(raised.value) == "body: a value nested too deeply, or text that is not Unicode"
