"""pipeline.user_table: a user's CSV or Parquet file read as people write them, and every
problem with it reported as one exact line naming the file, the column and the row."""

import numpy as np
import pandas as pd
import pytest

from pipeline import user_table
from pipeline.datasets import Schema
from pipeline.errors import InputError
from pipeline.tasks import Task

CLASSIFICATION, REGRESSION = Task.CLASSIFICATION, Task.REGRESSION


def write(tmp_path, name, content):
    """A file as a user saved it: text written byte for byte (no newline translation)."""
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def read(tmp_path, name, content, **options):
    return user_table.read_user_file(write(tmp_path, name, content), **options)


def read_error(tmp_path, name, content):
    """The one-line error reading the file raises."""
    path = write(tmp_path, name, content)
    with pytest.raises(InputError) as raised:
        user_table.read_user_file(path)
    return path, str(raised.value)


def problems(frame, target="y", drop_columns=(), missing="error", task=CLASSIFICATION):
    return user_table.table_problems(
        frame, target=target, drop_columns=drop_columns, missing=missing, task=task
    )


def two_classes(n=4, **columns):
    """A table of ``columns`` and a target y of classes p and q in turn."""
    return pd.DataFrame({**columns, "y": ["p", "q"] * (n // 2)})


# Reading: the header, the suffix, an empty file.


def test_a_file_whose_first_line_holds_numbers_has_no_header(tmp_path):
    path, error = read_error(tmp_path, "t.csv", "1,2,3\n4,5,6\n")
    assert error == f"{path}: no header row (the first line holds values: ['1', '2', '3']...)"


def test_a_tab_separated_file_without_a_header(tmp_path):
    path, error = read_error(tmp_path, "t.csv", "1.5\t-2\t3e1\t4\n4\t5\t6\t7\n")
    assert error == f"{path}: no header row (the first line holds values: ['1.5', '-2', '3e1']...)"


def test_duplicate_column_names_are_named_once_each(tmp_path):
    path, error = read_error(tmp_path, "t.csv", "b,a,y,a,b\n1,2,x,3,4\n5,6,z,7,8\n")
    assert error == f"{path}: columns named more than once: a, b"


def test_a_single_column_asks_about_the_separator(tmp_path):
    path, error = read_error(tmp_path, "t.csv", "a|y\n1|x\n")
    assert error == (
        f"{path}: 1 column found, expected at least 2 (is the separator one of , ; or tab?)"
    )


def test_rows_to_predict_may_have_a_single_column(tmp_path):
    frame = read(tmp_path, "t.csv", "a\n1.5\n2\n", min_columns=1)
    assert frame["a"].tolist() == [1.5, 2.0]


@pytest.mark.parametrize("name", ["t.xlsx", "t.txt", "t", "t.csv.gz"])
def test_a_suffix_other_than_csv_or_parquet_is_refused(tmp_path, name):
    path, error = read_error(tmp_path, name, "a,y\n1,x\n")
    assert error == f"{path}: expected a .csv or .parquet file"


def test_the_suffix_is_judged_whatever_its_case(tmp_path):
    frame = read(tmp_path, "T.CSV", "a,y\n1,x\n")
    assert list(frame.columns) == ["a", "y"]


@pytest.mark.parametrize("content", ["", "\n\n", "   \r\n"])
def test_an_empty_file(tmp_path, content):
    path, error = read_error(tmp_path, "t.csv", content)
    assert error == f"{path}: empty file"


def test_a_missing_file(tmp_path):
    with pytest.raises(InputError) as raised:
        user_table.read_user_file(tmp_path / "absent.csv")
    assert str(raised.value) == f"{tmp_path / 'absent.csv'}: no such file"


def test_a_damaged_parquet_file_is_one_line(tmp_path):
    path, error = read_error(tmp_path, "t.parquet", "not parquet at all")
    assert error == (
        f"{path}: not a readable table (Could not open Parquet input source '{path}': "
        "Parquet magic bytes not found in footer. Either the file is corrupted or this is not "
        "a parquet file.)"
    )


# CSV dialects, each read into the same values.

EXPECTED = {"width": [1.5, 3.25, -0.5], "count": [2, 4, 6], "y": ["x", "z", "x"]}


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("width,count,y\n1.5,2,x\n3.25,4,z\n-0.5,6,x\n", id="comma"),
        pytest.param(b"\xef\xbb\xbfwidth,count,y\n1.5,2,x\n3.25,4,z\n-0.5,6,x\n", id="utf8-bom"),
        pytest.param("width;count;y\n1,5;2;x\n3,25;4;z\n-0,5;6;x\n", id="semicolon-decimal-comma"),
        pytest.param("width,count,y\r\n1.5,2,x\r\n3.25,4,z\r\n-0.5,6,x\r\n", id="crlf"),
        pytest.param("width\tcount\ty\n1.5\t2\tx\n3.25\t4\tz\n-0.5\t6\tx\n", id="tab"),
        pytest.param(
            '"width","count","y"\n"1.5","2","x"\n"3.25","4","z"\n"-0.5","6","x"\n', id="all-quoted"
        ),
        pytest.param(
            b"\xef\xbb\xbfwidth;count;y\r\n1,5;2;x\r\n3,25;4;z\r\n-0,5;6;x\r\n", id="excel-europe"
        ),
    ],
)
def test_csv_dialects_read_the_same_numbers(tmp_path, content):
    frame = read(tmp_path, "t.csv", content)
    assert list(frame.columns) == ["width", "count", "y"]
    assert frame.to_dict("list") == EXPECTED
    assert pd.api.types.is_float_dtype(frame["width"])  # a number, not the text "1,5"
    assert problems(frame, task=CLASSIFICATION) == [
        "column 'y': classes with fewer than 2 rows, too few to split: 'z' (1)"
    ]


def test_quoted_fields_may_hold_the_separator(tmp_path):
    frame = read(tmp_path, "t.csv", 'id,"size, cm",y\n"Smith, J",1.5,x\n"Doe; A",2,z\n')
    assert list(frame.columns) == ["id", "size, cm", "y"]
    assert frame["id"].tolist() == ["Smith, J", "Doe; A"]
    assert frame["size, cm"].tolist() == [1.5, 2.0]


def test_a_semicolon_file_keeps_text_that_is_not_a_decimal_comma(tmp_path):
    frame = read(tmp_path, "t.csv", "code;a;y\n1,5;1;x\nA,7;2;z\n")
    assert frame["code"].tolist() == ["1,5", "A,7"]  # one value is not a number: all stay text
    assert frame["a"].tolist() == [1, 2]
    assert problems(frame, drop_columns=("code",)) == [
        "column 'y': classes with fewer than 2 rows, too few to split: 'x' (1), 'z' (1)",
    ]


def test_a_parquet_file_keeps_its_types(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1.5, 2.5], "n": [1, 2], "kind": ["x", "z"]}).to_parquet(path)
    frame = user_table.read_user_file(path)
    assert frame.to_dict("list") == {"a": [1.5, 2.5], "n": [1, 2], "kind": ["x", "z"]}
    assert pd.api.types.is_integer_dtype(frame["n"])


def test_missing_cells_of_a_csv_are_missing_values(tmp_path):
    frame = read(tmp_path, "t.csv", "a,b,y\n1,,p\n,NA,q\n3,4,p\n5,6,q\n7,8,p\n9,0,q\n")
    assert problems(frame) == [
        "column 'a': missing value at row 2 (data.missing: drop_rows drops such rows)",
        "column 'b': missing values at rows 1, 2 (data.missing: drop_rows drops such rows)",
    ]


# The checks of a training table, one line each.


def test_an_absent_target_lists_the_columns():
    frame = two_classes(a=[1.0, 2, 3, 4], b=[1, 2, 3, 4])
    assert problems(frame, target="label") == ["data.target: no column 'label' (columns: a, b, y)"]


def test_an_absent_target_and_an_absent_dropped_column_are_both_named():
    frame = two_classes(a=[1.0, 2, 3, 4])
    assert problems(frame, target="label", drop_columns=("id",)) == [
        "data.target: no column 'label' (columns: a, y)",
        "data.drop_columns: no column 'id' (columns: a, y)",
    ]


def test_a_text_feature_names_its_rows_first_value_and_the_drop_columns_hint():
    frame = two_classes(a=[1.0, 2, 3, 4], city=["1", "Paris", "Rome", "2"])
    assert problems(frame) == [
        "column 'city': not a number at rows 2, 3 (first: 'Paris'); "
        "a text column can be left out with data.drop_columns: [city]"
    ]


def test_numbers_written_as_text_are_numbers():
    frame = two_classes(a=["1.5", "2", "-3e2", "4"])
    assert problems(frame) == []
    table, _ = user_table.to_table(frame, target="y", drop_columns=(), task=CLASSIFICATION)
    assert table["x0"].tolist() == [1.5, 2.0, -300.0, 4.0]


def test_drop_columns_leaves_the_text_column_out():
    frame = two_classes(city=["Paris", "Rome", "Oslo", "Bern"], a=[1.0, 2, 3, 4])
    assert problems(frame, drop_columns=("city",)) == []
    table, schema = user_table.to_table(
        frame, target="y", drop_columns=("city",), task=CLASSIFICATION
    )
    assert list(table.columns) == ["x0", "y"]
    assert schema == Schema(("a",), "y", ("p", "q"), dropped=("city",))


def test_drop_columns_naming_a_missing_column():
    frame = two_classes(a=[1.0, 2, 3, 4], b=[1, 2, 3, 4])
    assert problems(frame, drop_columns=("b", "id")) == [
        "data.drop_columns: no column 'id' (columns: a, b, y)"
    ]


def test_dropping_the_target_is_refused():
    frame = two_classes(a=[1.0, 2, 3, 4])
    assert problems(frame, drop_columns=("y",)) == ["data.drop_columns: 'y' is the target"]


def test_no_feature_left():
    frame = two_classes(a=[1.0, 2, 3, 4])
    assert problems(frame, drop_columns=("a",)) == [
        "no feature columns left (every column but the target is dropped)"
    ]


def missing_at(rows, n=50):
    """A feature column of n values with the given rows (counted from 1) missing."""
    values = np.arange(n, dtype=float)
    values[np.asarray(rows) - 1] = np.nan
    return two_classes(n, a=values)


def test_a_missing_value_names_its_row_and_column():
    assert problems(missing_at([7])) == [
        "column 'a': missing value at row 7 (data.missing: drop_rows drops such rows)"
    ]


def test_many_missing_values_name_three_rows_and_how_many_more():
    assert problems(missing_at([3, 17, 40, 45, 46, 50])) == [
        "column 'a': missing values at rows 3, 17, 40 and 3 more "
        "(data.missing: drop_rows drops such rows)"
    ]


def test_exactly_three_missing_values_are_all_named():
    assert problems(missing_at([3, 17, 40])) == [
        "column 'a': missing values at rows 3, 17, 40 (data.missing: drop_rows drops such rows)"
    ]


def test_a_missing_target_value_is_named_too():
    frame = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "y": ["p", "q", None, "p", "q"]})
    assert problems(frame) == [
        "column 'y': missing value at row 3 (data.missing: drop_rows drops such rows)"
    ]


def test_missing_drop_rows_drops_them():
    frame = missing_at([3, 17, 40, 45, 46, 50])
    frame.loc[[9], "y"] = None  # row 10: a missing target
    assert problems(frame, missing="drop_rows") == []
    table, schema = user_table.to_table(frame, target="y", drop_columns=(), task=CLASSIFICATION)
    assert len(table) == 50 - 7
    kept = [row for row in range(1, 51) if row not in {3, 10, 17, 40, 45, 46, 50}]
    assert table["x0"].tolist() == [float(row - 1) for row in kept]
    assert schema.classes == ("p", "q")


def test_drop_rows_that_leave_no_row():
    frame = pd.DataFrame({"a": [np.nan, 1.0, np.nan], "y": ["p", None, "q"]})
    assert problems(frame, missing="drop_rows") == [
        "column 'y': 0 class, a classification needs at least 2",
        "no rows left once rows with missing values are dropped",
    ]


def test_infinite_values_are_named_by_row():
    frame = two_classes(a=[1.0, np.inf, 3, -np.inf])
    assert problems(frame) == ["column 'a': infinite value at rows 2, 4"]


def test_infinite_values_written_in_a_csv(tmp_path):
    frame = read(tmp_path, "t.csv", "a,y\n1,p\ninf,q\n-inf,p\n2,q\n")
    assert problems(frame) == ["column 'a': infinite value at rows 2, 3"]


# The target of a classification: classes by name, codes in order.


def test_a_text_target_gets_sorted_class_names_and_codes():
    frame = pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 6], "y": ["b", "a", "b", "a", "c", "c"]})
    assert problems(frame) == []
    table, schema = user_table.to_table(frame, target="y", drop_columns=(), task=CLASSIFICATION)
    assert schema == Schema(("a",), "y", ("a", "b", "c"))
    assert table["y"].tolist() == [1, 0, 1, 0, 2, 2]
    assert table["y"].dtype == np.int64


def test_an_integer_target_sorts_its_classes_as_numbers():
    frame = pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 6], "y": [10, 2, 10, 2, 3, 3]})
    table, schema = user_table.to_table(frame, target="y", drop_columns=(), task=CLASSIFICATION)
    assert schema.classes == ("2", "3", "10")  # 2 < 10, where text sorts "10" < "2"
    assert table["y"].tolist() == [2, 0, 2, 0, 1, 1]


def test_an_integer_target_read_as_floats_keeps_integer_names():
    # A missing value makes pandas read the integer column as floats: 10.0 stays "10".
    frame = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "y": [10, 2, np.nan, 10, 2]})
    table, schema = user_table.to_table(frame, target="y", drop_columns=(), task=CLASSIFICATION)
    assert schema.classes == ("2", "10")
    assert table["y"].tolist() == [1, 0, 1, 0]


def test_one_class_only():
    frame = pd.DataFrame({"a": [1.0, 2, 3], "y": ["p", "p", "p"]})
    assert problems(frame) == ["column 'y': 1 class, a classification needs at least 2"]


def test_a_class_with_one_row_is_too_few_to_split():
    frame = pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 6], "y": ["p", "p", "q", "q", "r", "s"]})
    assert problems(frame) == [
        "column 'y': classes with fewer than 2 rows, too few to split: 'r' (1), 's' (1)"
    ]


def test_a_regression_target_of_text():
    frame = pd.DataFrame({"a": [1.0, 2, 3, 4], "y": ["1.5", "2", "high", "low"]})
    assert problems(frame, task=REGRESSION) == [
        "column 'y': a regression target must be numbers, got 'high' at rows 3, 4 "
        "(or set task: classification)"
    ]


def test_a_regression_target_with_an_infinite_value():
    frame = pd.DataFrame({"a": [1.0, 2, 3, 4], "y": [1.0, 2, np.inf, 4]})
    assert problems(frame, task=REGRESSION) == ["column 'y': infinite value at row 3"]


def test_a_regression_table():
    frame = pd.DataFrame({"id": ["r1", "r2", "r3"], "a": [1, 2, 3], "y": [0.5, 1.5, 2.5]})
    assert problems(frame, drop_columns=("id",), task=REGRESSION) == []
    table, schema = user_table.to_table(frame, target="y", drop_columns=("id",), task=REGRESSION)
    assert table.to_dict("list") == {"x0": [1.0, 2.0, 3.0], "y": [0.5, 1.5, 2.5]}
    assert schema == Schema(("a",), "y", None, dropped=("id",))


def test_the_features_keep_the_files_order():
    frame = pd.DataFrame({"z": [1, 2], "y": ["p", "q"], "m": [3, 4], "a": [5, 6]})
    table, schema = user_table.to_table(frame, target="y", drop_columns=(), task=CLASSIFICATION)
    assert schema.features == ("z", "m", "a")
    assert table.to_dict("list") == {
        "x0": [1.0, 2.0],
        "x1": [3.0, 4.0],
        "x2": [5.0, 6.0],
        "y": [0, 1],
    }


# guess_task: what make experiment chooses when TASK is omitted.


@pytest.mark.parametrize(
    "values, task, reason",
    [
        (["cat", "dog", "cat"], CLASSIFICATION, "the target 'y' holds text labels"),
        (
            [1, 2, 3, 1, 2],
            CLASSIFICATION,
            "the target 'y' holds 3 distinct integers (at most 20 are taken as classes)",
        ),
        (
            list(range(20)),
            CLASSIFICATION,
            "the target 'y' holds 20 distinct integers (at most 20 are taken as classes)",
        ),
        (list(range(21)), REGRESSION, "the target 'y' holds 21 distinct integers"),
        ([0.5, 1.5, 1.5, 2.25], REGRESSION, "the target 'y' holds 3 distinct numbers"),
        (
            [1.0, 2.0, np.nan, 2.0],
            CLASSIFICATION,
            "the target 'y' holds 2 distinct integers (at most 20 are taken as classes)",
        ),
    ],
    ids=["text", "few-integers", "20-integers", "21-integers", "floats", "integral-floats"],
)
def test_guess_task(values, task, reason):
    assert user_table.guess_task(pd.DataFrame({"y": values}), "y") == (task, reason)


# rows_problems: new rows for a trained model.

SCHEMA = Schema(("a", "b"), "y", ("p", "q"), dropped=("id",))


def test_rows_with_an_extra_column_name_it():
    rows = pd.DataFrame({"a": [1.0], "b": [2.0], "c": [3.0]})
    assert user_table.rows_problems(rows, SCHEMA) == [
        "column 'c': not a feature of the training file (features: a, b)"
    ]


def test_rows_without_a_feature_name_it():
    rows = pd.DataFrame({"a": [1.0]})
    assert user_table.rows_problems(rows, SCHEMA) == [
        "column 'b': missing, the model was trained with it"
    ]


def test_rows_with_a_wrong_and_a_missing_column_name_both():
    rows = pd.DataFrame({"b": [1.0], "A": [2.0]})
    assert user_table.rows_problems(rows, SCHEMA) == [
        "column 'A': not a feature of the training file (features: a, b)",
        "column 'a': missing, the model was trained with it",
    ]


def test_rows_may_hold_the_target_and_the_dropped_columns_in_any_order():
    rows = pd.DataFrame({"id": ["r1"], "b": [2.0], "y": ["p"], "a": [1.0]})
    assert user_table.rows_problems(rows, SCHEMA) == []
    assert user_table.features_of(rows, SCHEMA.features).tolist() == [[1.0, 2.0]]


def test_rows_with_text_and_missing_values_name_their_rows():
    rows = pd.DataFrame({"a": [1.0, 2.0, np.nan], "b": ["2", "x", "y"]})
    assert user_table.rows_problems(rows, SCHEMA) == [
        "column 'a': missing value at row 3 (a model needs every value)",
        "column 'b': not a number at rows 2, 3 (first: 'x')",
    ]


def test_a_constant_regression_target_has_nothing_to_learn():
    frame = pd.DataFrame({"a": [1.0, 2, 3], "y": [2.5, 2.5, 2.5]})
    assert problems(frame, task=Task.REGRESSION) == [
        "column 'y': one value (2.5) in every row, nothing to learn"
    ]


def test_a_regression_target_constant_once_missing_rows_are_dropped():
    frame = pd.DataFrame({"a": [1.0, 2, 3], "y": [1e12, np.nan, 1e12]})
    assert problems(frame, missing="drop_rows", task=Task.REGRESSION) == [
        "column 'y': one value (1e+12) in every row, nothing to learn"
    ]


def test_two_distinct_regression_values_are_enough():
    frame = pd.DataFrame({"a": [1.0, 2, 3], "y": [1e-9, 2e-9, 1e-9]})
    assert problems(frame, task=Task.REGRESSION) == []
