"""stages.split: train/test split following test_size, fixed-width one-hot columns."""

import numpy as np
import pandas as pd
import pytest

from pipeline import datasets
from pipeline.errors import InputError
from pipeline.settings import Split
from pipeline.tasks import Task
from stages import split


def classification_table(n=30, n_classes=3, n_features=2, seed=0):
    """Labels 0..n_classes-1 in turn, random features; y_oracle = y."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    return datasets.make_table(rng.normal(size=(n, n_features)), y, y.copy())


def regression_table(n=30):
    x = np.linspace(-3.0, 3.0, n)
    return datasets.make_table(
        x[:, None], 1.0 / (1.0 + np.exp(x)) + 0.01 * np.sin(7 * x), 1.0 / (1.0 + np.exp(x))
    )


@pytest.mark.parametrize(
    "n, test_size, n_test",
    [
        (30, 0.2, 6),
        (30, 0.25, 8),
        (31, 0.1, 4),
        (10, 0.01, 1),
        (40, 0.5, 20),
    ],
)
def test_sizes_follow_test_size_with_ceil(n, test_size, n_test):
    # n_test worked out by hand: ceil(3.1) = 4 and ceil(0.1) = 1, where rounding gives 3 and 0.
    train, test = split.split_table(classification_table(n), Split(test_size, 42), "classification")
    assert (len(train), len(test)) == (n - n_test, n_test)

    train, test = split.split_table(regression_table(n), Split(test_size, 42), "regression")
    assert (len(train), len(test)) == (n - n_test, n_test)


def test_split_partitions_the_rows():
    table = classification_table(30)
    train, test = split.split_table(table, Split(0.3, 1), "classification")
    rows = pd.concat([train, test])[["x0", "x1", "y", "y_oracle"]]
    merged = rows.sort_values(["x0", "x1"]).reset_index(drop=True)
    assert merged.equals(table.sort_values(["x0", "x1"]).reset_index(drop=True))


def test_same_random_state_same_split_other_state_different():
    table = classification_table(30)
    first = split.split_table(table, Split(0.2, 42), "classification")
    again = split.split_table(table, Split(0.2, 42), "classification")
    other = split.split_table(table, Split(0.2, 43), "classification")
    for part, same in zip(first, again, strict=True):
        pd.testing.assert_frame_equal(part, same)
    assert not np.array_equal(first[1]["x0"].to_numpy(), other[1]["x0"].to_numpy())


def test_onehot_columns_and_argmax():
    table = classification_table(30, n_classes=3)
    for part in split.split_table(table, Split(0.2, 0), "classification"):
        assert list(part.columns) == [
            "x0",
            "x1",
            "y",
            "y_oracle",
            "onehot_0",
            "onehot_1",
            "onehot_2",
        ]
        onehot = datasets.onehot(part)
        assert onehot.dtype == np.float32
        np.testing.assert_array_equal(onehot.sum(axis=1), 1.0)
        np.testing.assert_array_equal(np.sort(np.unique(onehot)), [0.0, 1.0])
        np.testing.assert_array_equal(onehot.argmax(axis=1), part["y"].to_numpy())
        assert part["y"].dtype == table["y"].dtype
        assert datasets.n_classes(part) == 3


def test_onehot_width_is_fixed_when_a_class_is_absent_from_a_split():
    # Class 3 has a single sample: one side of the split cannot hold it.
    y = np.array([0, 1, 2] * 6 + [3])
    table = datasets.make_table(np.arange(len(y), dtype=float)[:, None], y, y)
    train, test = split.split_table(table, Split(0.2, 5), "classification")

    without = [part for part in (train, test) if 3 not in set(part["y"])]
    assert len(without) == 1
    assert (without[0]["onehot_3"] == 0.0).all()
    for part in (train, test):
        assert datasets.n_classes(part) == 4
        assert datasets.onehot(part).shape == (len(part), 4)
        np.testing.assert_array_equal(datasets.onehot(part).argmax(axis=1), part["y"].to_numpy())


def test_encode_onehot_fixed_width():
    onehot = split.encode_onehot(np.array([1, 1, 0]), 4)
    np.testing.assert_array_equal(onehot, [[0, 1, 0, 0], [0, 1, 0, 0], [1, 0, 0, 0]])
    assert onehot.dtype == np.float32


def test_split_tables_pass_read_table_checks(tmp_path):
    for task, table in (
        ("classification", classification_table()),
        ("regression", regression_table()),
    ):
        for name, part in zip(
            ("train", "test"), split.split_table(table, Split(0.2, 0), task), strict=True
        ):
            path = tmp_path / f"{task}_{name}.parquet"
            datasets.write_table(part.reset_index(drop=True), path)
            assert len(datasets.read_table(path, task)) == len(part)


def test_regression_tables_get_no_onehot_columns():
    table = regression_table(30)
    train, test = split.split_table(table, Split(0.2, 42), "regression")
    for part in (train, test):
        assert list(part.columns) == ["x0", "y", "y_oracle"]
        assert datasets.n_classes(part) == 0
        # The rows are the original ones, untouched.
        pd.testing.assert_frame_equal(part, table.loc[part.index])


def frame(y):
    return pd.DataFrame({"x0": np.arange(len(y), dtype=float), "y": y})


def test_a_regression_whose_train_side_has_one_value_stops_naming_the_split():
    with pytest.raises(InputError) as raised:
        split.check_split(frame([3.0, 3.0, 3.0]), frame([1.0]), Task.REGRESSION, "prices")
    assert str(raised.value) == (
        "experiments.prices.split: the train split's target has one value (3): nothing to "
        "learn; a larger test_size or another random_state, or more varied data"
    )


def test_a_regression_with_two_train_values_passes_without_warnings():
    assert split.check_split(frame([3.0, 4.0]), frame([3.0]), Task.REGRESSION, "prices") == []


def test_a_class_only_in_the_test_split_is_a_warning_naming_it_and_the_fix():
    train, test = frame([0, 0, 1, 1]), frame([2, 1, 3])
    assert split.check_split(train, test, Task.CLASSIFICATION, "wine", ("a", "b", "c", "d")) == [
        "warning: wine: class 'c' is only in the test split: the model never learns it; set "
        "experiments.wine.split.stratify: true",
        "warning: wine: class 'd' is only in the test split: the model never learns it; set "
        "experiments.wine.split.stratify: true",
    ]
    # Without class names (a synthetic table), the label itself.
    assert split.check_split(train, frame([2]), Task.CLASSIFICATION, "blobs4") == [
        "warning: blobs4: class '2' is only in the test split: the model never learns it; set "
        "experiments.blobs4.split.stratify: true"
    ]


def test_a_class_only_in_the_train_split_is_fine():
    assert split.check_split(frame([0, 1, 2]), frame([0, 1]), Task.CLASSIFICATION, "wine") == []


def test_a_classification_whose_train_side_has_one_class_stops_naming_it():
    with pytest.raises(InputError) as raised:
        split.check_split(frame([1, 1]), frame([0, 1]), Task.CLASSIFICATION, "wine", ("a", "b"))
    assert str(raised.value) == (
        "experiments.wine.split: the train split holds one class ('b'): nothing to tell apart; "
        "stratify: true, a larger test_size or another random_state"
    )
