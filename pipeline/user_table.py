"""A table of the user's own (CSV or Parquet), read as people write them and checked as
untrusted input: every problem is one line naming the file, the column and the row.

Rows are counted from 1 after the header (row 1 is the first line of values). CSV dialects read:
a UTF-8 byte-order mark, `,` `;` or tab as the separator, quoted fields, Windows line ends; with
`;` as the separator a decimal comma (1,5) is read as a number.
"""

import codecs
import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.datasets import Schema, make_table
from pipeline.errors import InputError
from pipeline.files import StrPath
from pipeline.tasks import Task

SUFFIXES = (".csv", ".parquet")
MIN_ROWS_PER_CLASS = 2  # a stratified split puts at least one row of each class on each side
MAX_CLASSES_GUESSED = 20  # an integer target with more distinct values is taken as a regression
_SHOWN = 3  # rows named per problem


def read_user_file(path: StrPath, min_columns: int = 2) -> pd.DataFrame:
    """Read a CSV or Parquet file as it is (text stays text); one-line errors. A training
    table needs a target and a feature (min_columns=2); rows to predict may have one."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(f"{path}: expected a .csv or .parquet file")
    read = _read_parquet if path.suffix.lower() == ".parquet" else _read_csv
    return _checked(lambda: read(path), path, min_columns)


def read_csv_bytes(data: bytes, source: str, min_columns: int = 1) -> pd.DataFrame:
    """CSV sent as bytes (a request's body), read and checked as a .csv file is."""
    return _checked(lambda: _parse_csv(io.BytesIO(data), source), source, min_columns)


def _checked(read, source, min_columns):
    try:
        frame = read()
    except FileNotFoundError:
        raise InputError(f"{source}: no such file") from None
    except InputError:
        raise
    except Exception as error:  # pandas and pyarrow raise many types for a damaged file
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(f"{source}: not a readable table ({reason})") from None
    _check_header(source, frame, min_columns)
    return frame


def _read_parquet(path):
    return pd.read_parquet(path, engine="pyarrow")


def _read_csv(path):
    with open(path, "rb") as handle:
        return _parse_csv(handle, path)


def _parse_csv(handle, source):
    # An incremental decoder: the sample may end inside a character, never on a bad byte.
    sample = codecs.getincrementaldecoder("utf-8-sig")().decode(handle.read(64 * 1024))
    if not sample.strip():
        raise InputError(f"{source}: empty file")
    try:
        separator = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t").delimiter
    except csv.Error:
        separator = ","  # a single column
    handle.seek(0)
    frame = pd.read_csv(handle, sep=separator, engine="pyarrow", encoding="utf-8-sig")
    header = next(csv.reader(io.StringIO(sample), delimiter=separator))
    if len(header) == len(frame.columns):
        frame.columns = header  # the file's names: pandas renames a repeated one (a, a.1)
    if separator == ";":
        frame = frame.apply(_decimal_comma)
    return frame


def _decimal_comma(column: pd.Series) -> pd.Series:
    """A text column whose every value is a number written with a decimal comma, as numbers."""
    if pd.api.types.is_numeric_dtype(column):  # text is "str" (pandas 3), or object
        return column
    values = column.dropna().astype(str)
    converted = pd.to_numeric(values.str.replace(",", ".", regex=False), errors="coerce")
    if len(values) and converted.notna().all():
        return pd.to_numeric(column.astype(str).str.replace(",", ".", regex=False), errors="coerce")
    return column


def _check_header(path, frame, min_columns):
    names = [str(name) for name in frame.columns]
    if len(frame.columns) < min_columns:
        raise InputError(
            f"{path}: {len(frame.columns)} column found, expected at least {min_columns} "
            "(is the separator one of , ; or tab?)"
        )
    if all(_is_number(name) for name in names):
        raise InputError(f"{path}: no header row (the first line holds values: {names[:3]}...)")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InputError(f"{path}: columns named more than once: {', '.join(duplicates)}")


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def guess_task(frame: pd.DataFrame, target: str) -> tuple[Task, str]:
    """The task a target column suggests, and why (printed by make experiment)."""
    column = frame[target].dropna()
    if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return Task.CLASSIFICATION, f"the target {target!r} holds text labels"
    distinct = column.nunique()
    integral = bool(np.all(np.mod(column.to_numpy(dtype=float), 1) == 0))
    if integral and distinct <= MAX_CLASSES_GUESSED:
        return (
            Task.CLASSIFICATION,
            f"the target {target!r} holds {distinct} distinct integers "
            f"(at most {MAX_CLASSES_GUESSED} are taken as classes)",
        )
    kind = "integers" if integral else "numbers"
    return Task.REGRESSION, f"the target {target!r} holds {distinct} distinct {kind}"


def _rows(mask: np.ndarray) -> str:
    """'rows 3, 17, 40 and 5 more' for the True positions of a mask (rows count from 1)."""
    rows = np.flatnonzero(mask) + 1
    shown = ", ".join(str(row) for row in rows[:_SHOWN])
    more = f" and {len(rows) - _SHOWN} more" if len(rows) > _SHOWN else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


def table_problems(
    frame: pd.DataFrame, *, target: str, drop_columns: tuple[str, ...], missing: str, task: Task
) -> list[str]:
    """Every problem with a user's table, one line each (empty when it can be used).

    Args:
        frame: the file as read_user_file gives it.
        target: the column to predict; every other column not in drop_columns is a feature.
        drop_columns: columns left out.
        missing: "error" (a missing value is a problem) or "drop_rows" (its row is dropped).
        task: what the target is predicted as.
    """
    columns = [str(name) for name in frame.columns]
    problems = [
        f"data.drop_columns: no column {name!r} (columns: {', '.join(columns)})"
        for name in drop_columns
        if name not in columns
    ]
    if target not in columns:
        return [f"data.target: no column {target!r} (columns: {', '.join(columns)})", *problems]
    if target in drop_columns:
        problems.append(f"data.drop_columns: {target!r} is the target")
    feature_names = [name for name in columns if name != target and name not in drop_columns]
    if not feature_names:
        problems.append("no feature columns left (every column but the target is dropped)")
    hint = "data.missing: drop_rows drops such rows" if missing == "error" else None
    problems += feature_problems(frame, feature_names, missing_hint=hint)
    absent = frame[[*feature_names, target]].isna().to_numpy()
    if absent[:, -1].any() and missing == "error":
        problems.append(_missing(target, absent[:, -1], hint))
    keep = ~absent.any(axis=1)
    problems += _target_problems(frame[target][keep], target, task)
    if not keep.any():
        problems.append("no rows left once rows with missing values are dropped")
    return problems


def feature_problems(
    frame: pd.DataFrame, names: list[str], *, missing_hint: str | None, drop_hint: bool = True
) -> list[str]:
    """Each feature column's problems: values that are not numbers, infinite values, and
    (unless missing_hint is None: such rows are dropped) missing values. drop_hint: a text
    column's line says data.drop_columns can leave it out (not for rows to predict: the
    model was trained with it)."""
    problems = []
    for name in names:
        column = frame[name]
        absent = column.isna().to_numpy()
        if absent.any() and missing_hint is not None:
            problems.append(_missing(name, absent, missing_hint))
        text = _text_values(column)
        if text.any():
            first = column[text].iloc[0]
            hint = f"; a text column can be left out with data.drop_columns: [{name}]"
            problems.append(
                f"column {name!r}: not a number at {_rows(text)} (first: {first!r})"
                + (hint if drop_hint else "")
            )
        elif pd.api.types.is_numeric_dtype(column):
            infinite = np.isinf(column.to_numpy(dtype=float))
            if infinite.any():
                problems.append(f"column {name!r}: infinite value at {_rows(infinite)}")
    return problems


def _missing(name: str, absent: np.ndarray, hint: str) -> str:
    plural = "s" if absent.sum() > 1 else ""
    return f"column {name!r}: missing value{plural} at {_rows(absent)} ({hint})"


def _text_values(column: pd.Series) -> np.ndarray:
    """Where a column holds values that are not numbers (missing values are not text)."""
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        return np.zeros(len(column), dtype=bool)
    as_numbers = pd.to_numeric(column, errors="coerce")
    return (as_numbers.isna() & column.notna()).to_numpy()


def _target_problems(y: pd.Series, target: str, task: Task) -> list[str]:
    if task == Task.REGRESSION:
        text = _text_values(y)
        if text.any():
            first = y[text].iloc[0]
            return [
                f"column {target!r}: a regression target must be numbers, "
                f"got {first!r} at {_rows(text)} (or set task: classification)"
            ]
        values = pd.to_numeric(y).to_numpy(dtype=float)
        if np.isinf(values).any():
            return [f"column {target!r}: infinite value at {_rows(np.isinf(values))}"]
        distinct = np.unique(values[~np.isnan(values)])
        if len(distinct) == 1:
            return [
                f"column {target!r}: one value ({distinct[0]:g}) in every row, nothing to learn"
            ]
        return []
    counts = y.astype(str).value_counts()
    if len(counts) < 2:
        return [f"column {target!r}: {len(counts)} class, a classification needs at least 2"]
    rare = counts[counts < MIN_ROWS_PER_CLASS]
    if len(rare):
        listed = ", ".join(f"{label!r} ({count})" for label, count in rare.items())
        return [
            f"column {target!r}: classes with fewer than {MIN_ROWS_PER_CLASS} rows, too few "
            f"to split: {listed}"
        ]
    return []


def class_names(y: pd.Series) -> tuple[str, ...]:
    """The classes, sorted as numbers when they are numbers, else as text."""
    values = y.dropna().unique()
    if _numeric(y):
        return tuple(_label_text(value) for value in sorted(values))
    return tuple(sorted(str(value) for value in values))


def _label_text(value) -> str:
    """3.0 as '3', so that an integer label read as a float keeps its name."""
    return str(int(value)) if float(value).is_integer() else str(value)


def to_table(
    frame: pd.DataFrame, *, target: str, drop_columns: tuple[str, ...], task: Task
) -> tuple[pd.DataFrame, Schema]:
    """The pipeline's table (x0.., y) and its Schema from a checked user table; rows with a
    missing value are dropped (table_problems has reported them unless data.missing allows it)."""
    columns = [str(name) for name in frame.columns]
    frame = frame.set_axis(columns, axis=1)
    feature_names = tuple(name for name in columns if name != target and name not in drop_columns)
    frame = frame.dropna(subset=[*feature_names, target])
    X = features_of(frame, feature_names)
    dropped = tuple(drop_columns)
    if task == Task.REGRESSION:
        y = pd.to_numeric(frame[target]).to_numpy(dtype=np.float64)
        return make_table(X, y, None), Schema(feature_names, target, None, dropped=dropped)
    classes = class_names(frame[target])
    text = frame[target].map(_label_text) if _numeric(frame[target]) else frame[target].astype(str)
    y = pd.Categorical(text, categories=classes).codes.astype(np.int64)
    return make_table(X, y, None), Schema(feature_names, target, classes, dropped=dropped)


def features_of(frame: pd.DataFrame, names: tuple[str, ...]) -> np.ndarray:
    """The named columns of a checked table as the feature matrix (float64, in that order)."""
    return frame[list(names)].apply(pd.to_numeric).to_numpy(dtype=np.float64)


def rows_problems(frame: pd.DataFrame, schema: Schema) -> list[str]:
    """Why new rows cannot be predicted by a model trained on ``schema``'s table: columns that
    do not match its file (the target and dropped columns may be there), values that are not
    numbers, missing values. One line each."""
    columns = [str(name) for name in frame.columns]
    allowed = {*schema.features, schema.target, *schema.dropped}
    problems = [
        f"column {name!r}: not a feature of the training file (features: "
        f"{', '.join(schema.features)})"
        for name in columns
        if name not in allowed
    ]
    problems += [
        f"column {name!r}: missing, the model was trained with it"
        for name in schema.features
        if name not in columns
    ]
    if problems:
        return problems
    return feature_problems(
        frame.set_axis(columns, axis=1),
        list(schema.features),
        missing_hint="a model needs every value",
        drop_hint=False,
    )


def _numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
