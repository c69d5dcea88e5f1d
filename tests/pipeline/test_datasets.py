"""pipeline.datasets: the Parquet datasets every stage reads and writes, and their checks."""

import re

import numpy as np
import pandas as pd
import pytest

from pipeline import datasets
from pipeline.errors import InputError


def labelled_table(n=12, n_classes=3, with_onehot=True):
    rng = np.random.default_rng(1)
    y = np.arange(n) % n_classes
    onehot = np.eye(n_classes, dtype=np.float32)[y] if with_onehot else None
    return datasets.make_table(rng.normal(size=(n, 2)), y, (y + 1) % n_classes, onehot)


def regression_table(n=10):
    x = np.linspace(0.0, 1.0, n)
    return datasets.make_table(x[:, None], x**2 + 0.1, x**2)


def read_error(path, task="classification"):
    """The InputError message for reading path; it starts with the path."""
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}: ") as caught:
        datasets.read_table(path, task)
    return str(caught.value)


def test_make_table_columns_and_accessors():
    X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    table = datasets.make_table(
        X, np.array([0, 1, 1]), np.array([0, 1, 0]), np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    )

    assert list(table.columns) == ["x0", "x1", "y", "y_oracle", "onehot_0", "onehot_1"]
    np.testing.assert_array_equal(datasets.features(table), X)
    np.testing.assert_array_equal(datasets.onehot(table), [[1, 0], [0, 1], [0, 1]])
    assert datasets.n_classes(table) == 2
    assert datasets.n_classes(datasets.make_table(X, np.zeros(3), np.zeros(3))) == 0


@pytest.mark.parametrize(
    "task, table",
    [
        ("classification", labelled_table()),
        ("classification", labelled_table(with_onehot=False)),
        ("regression", regression_table()),
    ],
)
def test_write_read_round_trip(tmp_path, task, table):
    path = tmp_path / "sub" / "table.parquet"
    datasets.write_table(table, path)
    read = datasets.read_table(path, task)
    pd.testing.assert_frame_equal(read, table)
    assert read["y"].dtype == table["y"].dtype


def test_write_table_keeps_the_rows_not_their_index(tmp_path):
    # A split's part holds the rows it drew, labelled by their place in the full table.
    table = labelled_table().iloc[[5, 1, 3]]
    path = tmp_path / "t.parquet"
    datasets.write_table(table, path)
    read = datasets.read_table(path, "classification")
    assert list(read.index) == [0, 1, 2]
    assert list(read.columns) == list(table.columns)
    pd.testing.assert_frame_equal(read, table.reset_index(drop=True))


def test_nullable_integer_labels_pass_and_a_missing_label_is_non_finite(tmp_path):
    # Other Parquet writers (or pandas, for a column that had a gap) store pandas' Int64.
    table = labelled_table(n=6, with_onehot=False)
    table["y"] = table["y"].astype("Int64")
    path = tmp_path / "t.parquet"
    datasets.write_table(table, path)
    assert datasets.read_table(path, "classification")["y"].tolist() == [0, 1, 2, 0, 1, 2]

    table.loc[4, "y"] = pd.NA
    datasets.write_table(table, path)
    assert read_error(path) == f"{path}: non-finite values (NaN or infinity)"


def test_write_table_leaves_no_temporary_file(tmp_path):
    datasets.write_table(labelled_table(), tmp_path / "t.parquet")
    datasets.write_table(labelled_table(n=6), tmp_path / "t.parquet")  # overwrite
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]
    assert len(datasets.read_table(tmp_path / "t.parquet", "classification")) == 6


def test_write_table_failure_leaves_no_temporary_file(tmp_path):
    bad = pd.DataFrame({"x0": [object()]})  # pyarrow cannot write an arbitrary object
    with pytest.raises(ValueError, match="Conversion failed for column x0"):
        datasets.write_table(bad, tmp_path / "bad.parquet")
    assert list(tmp_path.iterdir()) == []


def test_missing_file(tmp_path):
    path = tmp_path / "absent.parquet"
    assert read_error(path) == f"{path}: missing (run the stage that writes it first)"


def test_truncated_file(tmp_path):
    path = tmp_path / "t.parquet"
    datasets.write_table(labelled_table(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert "not a readable Parquet table" in read_error(path)


def test_not_parquet_bytes(tmp_path):
    path = tmp_path / "t.parquet"
    path.write_text("x0,y,y_oracle\n1,0,0\n")
    assert "not a readable Parquet table" in read_error(path)


@pytest.mark.parametrize(
    "columns",
    [
        ["y", "y_oracle"],  # no features
        ["x0", "x1", "y_oracle"],  # no y
        ["x1", "x0", "y", "y_oracle"],  # features out of order
        ["x0", "x2", "y", "y_oracle"],  # a gap in the features
        ["x0", "x1", "y_oracle", "y"],  # swapped targets
        ["x0", "x1", "y", "y_oracle", "label"],  # an extra column
        ["x0", "x1", "y", "y_oracle", "onehot_1"],  # one-hot numbering not from 0
    ],
)
def test_wrong_columns(tmp_path, columns):
    path = tmp_path / "t.parquet"
    pd.DataFrame({c: [0, 1] for c in columns}).to_parquet(path)
    message = read_error(path)
    assert message.startswith(f"{path}: columns {columns}, expected x0..x<d-1>, y, y_oracle")


def test_no_rows(tmp_path):
    path = tmp_path / "t.parquet"
    datasets.write_table(labelled_table().iloc[:0], path)
    assert read_error(path) == f"{path}: no rows"


@pytest.mark.parametrize("column, value", [("x1", np.nan), ("y", np.inf), ("y_oracle", -np.inf)])
def test_non_finite_value(tmp_path, column, value):
    table = regression_table()
    if column == "x1":
        table.insert(1, "x1", 0.0)
    table.loc[3, column] = value
    path = tmp_path / "t.parquet"
    datasets.write_table(table, path)
    assert read_error(path, "regression") == f"{path}: non-finite values (NaN or infinity)"


@pytest.mark.parametrize("column", ["y", "y_oracle"])
def test_negative_label(tmp_path, column):
    table = labelled_table(with_onehot=False)
    table.loc[0, column] = -1
    path = tmp_path / "t.parquet"
    datasets.write_table(table, path)
    assert read_error(path) == f"{path}: column {column} must hold non-negative integer labels"


def test_float_labels_are_rejected(tmp_path):
    table = labelled_table(with_onehot=False)
    table["y"] = table["y"].astype(float)
    path = tmp_path / "t.parquet"
    datasets.write_table(table, path)
    assert read_error(path) == f"{path}: column y must hold non-negative integer labels"
    # The same table is a valid regression table.
    assert len(datasets.read_table(path, "regression")) == len(table)


def test_label_outside_the_onehot_columns(tmp_path):
    table = labelled_table(n_classes=3)
    table.loc[0, "y"] = 3
    path = tmp_path / "t.parquet"
    datasets.write_table(table, path)
    assert read_error(path) == f"{path}: y label 3 outside the class range 0..2"


def test_oracle_label_outside_the_onehot_columns(tmp_path):
    table = labelled_table(n_classes=3)
    table.loc[0, "y_oracle"] = 5
    path = tmp_path / "t.parquet"
    datasets.write_table(table, path)
    assert read_error(path) == f"{path}: y_oracle label 5 outside the class range 0..2"


def test_regression_table_with_onehot_columns(tmp_path):
    table = labelled_table(n_classes=3)
    path = tmp_path / "t.parquet"
    datasets.write_table(table, path)
    with pytest.raises(InputError, match="onehot columns in a regression table"):
        datasets.read_table(path, "regression")


def test_onehot_disagreeing_with_y(tmp_path):
    table = labelled_table(n_classes=3)
    table.loc[4, ["onehot_0", "onehot_1", "onehot_2"]] = [0.0, 0.0, 1.0]
    assert table.loc[4, "y"] == 1
    path = tmp_path / "t.parquet"
    datasets.write_table(table, path)
    assert read_error(path) == f"{path}: onehot columns disagree with y"


# --- the Schema: a user's names for the columns, kept in the Parquet metadata ---

USER_SCHEMA = datasets.Schema(
    ("petal length", "petal width"),
    "species",
    ("setosa", "versicolor", "virginica"),
    dropped=("id",),
)


def test_schema_from_mapping():
    raw = {"features": ["a", "b"], "target": "t", "classes": ["no", "yes"], "dropped": ["id"]}
    assert datasets.Schema.from_mapping(raw) == datasets.Schema(
        ("a", "b"), "t", ("no", "yes"), True, ("id",)
    )
    regression = {"features": ["a"], "target": "price", "classes": None}
    assert datasets.Schema.from_mapping(regression) == datasets.Schema(
        ("a",), "price", None, True, ()
    )


def test_default_schema():
    assert datasets.default_schema(3, 2) == datasets.Schema(
        ("x0", "x1", "x2"), "y", ("class 0", "class 1"), from_file=False, dropped=()
    )
    assert datasets.default_schema(1, None) == datasets.Schema(("x0",), "y", None, from_file=False)


def test_schema_of_synthetic_counts_the_classes():
    # From the one-hot columns (after the split), else from the largest label.
    assert datasets.schema_of_synthetic(labelled_table(n_classes=4)) == datasets.default_schema(
        2, 4
    )
    table = labelled_table(n=5, n_classes=4, with_onehot=False)
    assert table["y"].max() == 3
    assert datasets.schema_of_synthetic(table) == datasets.default_schema(2, 4)
    # Float targets: a regression, no classes.
    assert datasets.schema_of_synthetic(regression_table()) == datasets.default_schema(1, None)


def test_schema_round_trips_through_the_parquet_metadata(tmp_path):
    # A user's table: no y_oracle; the index of the rows it came with is not kept.
    rng = np.random.default_rng(2)
    y = np.array([2, 0, 1, 1])
    table = datasets.make_table(rng.normal(size=(4, 2)), y, None).iloc[[3, 1, 0, 2]]
    path = tmp_path / "t.parquet"
    datasets.write_table(table, path, USER_SCHEMA)
    read = datasets.read_table(path, "classification")
    pd.testing.assert_frame_equal(read, table.reset_index(drop=True))
    assert datasets.read_schema(path, read) == USER_SCHEMA
    # The pandas metadata is kept beside the schema.
    import pyarrow.parquet as pq

    assert set(pq.read_schema(path).metadata) == {b"pandas", b"pipeline.schema"}


def test_read_schema_of_a_synthetic_table_is_the_default(tmp_path):
    path = tmp_path / "t.parquet"
    table = labelled_table(n_classes=3)
    datasets.write_table(table, path)
    assert datasets.read_schema(path, table) == datasets.default_schema(2, 3)


def test_read_schema_of_a_file_without_metadata(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"x0": [0.5, 1.5], "y": [0.25, 2.0]}), path)
    assert pq.read_schema(path).metadata is None
    table = datasets.read_table(path, "regression")
    assert datasets.read_schema(path, table) == datasets.default_schema(1, None)


@pytest.mark.parametrize(
    "stored, error",
    [
        (
            b"{not json",
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
        (b'{"features": ["a"], "target": "y"}', "'classes'"),
        (b'{"features": 3, "target": "y", "classes": null}', "'int' object is not iterable"),
    ],
)
def test_read_schema_damaged_metadata(tmp_path, stored, error):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "t.parquet"
    arrow = pa.table({"x0": [0.5], "y": [1.0]})
    pq.write_table(arrow.replace_schema_metadata({b"pipeline.schema": stored}), path)
    with pytest.raises(InputError) as caught:
        datasets.read_schema(path, datasets.read_table(path, "regression"))
    assert str(caught.value) == f"{path}: damaged schema metadata ({error})"
