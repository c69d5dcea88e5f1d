"""The pipeline's datasets (raw, train, test): Parquet files with columns x0..x{d-1}, y, y_oracle.

A classification dataset holds integer labels in ``y``, the Bayes rule's label in ``y_oracle``
and, after the split, the one-hot encoding in onehot_0..onehot_{k-1}. A regression dataset
holds the noisy target in ``y`` and the noise-free one in ``y_oracle``. One ingested from a
table of the user's (pipeline.user_table) has no ``y_oracle`` (no oracle is known) and carries
its Schema (the table's feature and class names) in the Parquet file's metadata.
"""

import dataclasses
import json

import numpy as np
import pandas as pd

from pipeline.errors import InputError
from pipeline.files import StrPath, write_atomic
from pipeline.tasks import Task

_SCHEMA_KEY = b"pipeline.schema"


@dataclasses.dataclass(frozen=True)
class Schema:
    """What the columns x0..x{d-1} and the labels 0..k-1 are called in the user's file."""

    features: tuple[str, ...]
    target: str
    classes: tuple[str, ...] | None = None  # None for a regression
    from_file: bool = True  # False: a synthetic table's default names
    dropped: tuple[str, ...] = ()  # the file's columns left out (data.drop_columns)

    @classmethod
    def from_mapping(cls, raw: dict) -> "Schema":
        """A file's names as the Parquet metadata or a weights file keeps them."""
        classes = raw["classes"]
        return cls(
            tuple(raw["features"]),
            raw["target"],
            None if classes is None else tuple(classes),
            dropped=tuple(raw.get("dropped", ())),
        )


def default_schema(n_features: int, n_classes: int | None) -> Schema:
    """A synthetic table's names: x0.., y, and classes "class 0".."""
    classes = None if n_classes is None else tuple(f"class {j}" for j in range(n_classes))
    return Schema(tuple(f"x{j}" for j in range(n_features)), "y", classes, from_file=False)


def make_table(
    X: np.ndarray, y: np.ndarray, y_oracle: np.ndarray | None, y_onehot: np.ndarray | None = None
) -> pd.DataFrame:
    """Assemble a table from arrays (features, target, oracle target if known, one-hot)."""
    columns = {f"x{j}": X[:, j] for j in range(X.shape[1])}
    columns.update(y=y)
    if y_oracle is not None:
        columns.update(y_oracle=y_oracle)
    if y_onehot is not None:
        columns.update({f"onehot_{j}": y_onehot[:, j] for j in range(y_onehot.shape[1])})
    return pd.DataFrame(columns)


def features(table: pd.DataFrame) -> np.ndarray:
    """The feature matrix X (n x d)."""
    return table[[c for c in table.columns if c.startswith("x")]].to_numpy()


def onehot(table: pd.DataFrame) -> np.ndarray:
    """The one-hot targets (n x k), as written by the split stage."""
    return table[[c for c in table.columns if c.startswith("onehot_")]].to_numpy()


def n_classes(table: pd.DataFrame) -> int:
    return sum(c.startswith("onehot_") for c in table.columns)


def write_table(table: pd.DataFrame, path: StrPath, schema: Schema | None = None) -> None:
    """Write a table as Parquet (compact, typed and fast at millions of rows), with its schema
    in the file's metadata when it has one (a synthetic table has none: its bytes stay)."""
    if schema is None:
        write_atomic(path, lambda tmp: table.to_parquet(tmp, index=False, engine="pyarrow"))
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = pa.Table.from_pandas(table, preserve_index=False)
    metadata = {**arrow.schema.metadata, _SCHEMA_KEY: json.dumps(dataclasses.asdict(schema))}
    arrow = arrow.replace_schema_metadata(metadata)
    write_atomic(path, lambda tmp: pq.write_table(arrow, tmp))


def read_schema(path: StrPath, table: pd.DataFrame) -> Schema:
    """The schema stored with a table, or a synthetic table's default names."""
    import pyarrow.parquet as pq

    stored = (pq.read_schema(path).metadata or {}).get(_SCHEMA_KEY)
    if stored is None:
        return schema_of_synthetic(table)
    try:
        return Schema.from_mapping(json.loads(stored))
    except (ValueError, KeyError, TypeError) as error:
        raise InputError(f"{path}: damaged schema metadata ({error})") from None


def schema_of_synthetic(table: pd.DataFrame) -> Schema:
    """A synthetic table's default names, its classes counted from its labels."""
    labels = pd.api.types.is_integer_dtype(table["y"])
    k = n_classes(table) or (int(table["y"].max()) + 1 if labels else None)
    return default_schema(features(table).shape[1], k)


def read_table(path: StrPath, task: Task) -> pd.DataFrame:
    """Read and check a table; any problem raises InputError naming the file."""
    try:
        table = pd.read_parquet(path, engine="pyarrow")
    except FileNotFoundError:
        raise InputError(f"{path}: missing (run the stage that writes it first)") from None
    except Exception as error:  # pyarrow raises several types for damaged files
        raise InputError(f"{path}: not a readable Parquet table ({error})") from None
    _check_table(path, table, task)
    return table


def _check_table(path, table, task):
    n_features = sum(c.startswith("x") for c in table.columns)
    oracle = ["y_oracle"] if "y_oracle" in table.columns else []
    expected = [f"x{j}" for j in range(n_features)] + ["y", *oracle]
    expected += [f"onehot_{j}" for j in range(n_classes(table))]
    if n_features == 0 or list(table.columns) != expected:
        raise InputError(
            f"{path}: columns {list(table.columns)}, expected x0..x<d-1>, y, "
            "y_oracle (for synthetic data) and (after the split, for classification) onehot_<j>"
        )
    if len(table) == 0:
        raise InputError(f"{path}: no rows")
    values = table.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise InputError(f"{path}: non-finite values (NaN or infinity)")
    if task == Task.CLASSIFICATION:
        _check_labels(path, table)
    elif n_classes(table):
        raise InputError(f"{path}: onehot columns in a regression table")


def _check_labels(path, table):
    labels = [column for column in ("y", "y_oracle") if column in table.columns]
    for column in labels:
        if not pd.api.types.is_integer_dtype(table[column]) or table[column].min() < 0:
            raise InputError(f"{path}: column {column} must hold non-negative integer labels")
    k = n_classes(table)
    if k:
        for column in labels:
            if table[column].max() >= k:
                raise InputError(
                    f"{path}: {column} label {table[column].max()} outside the "
                    f"class range 0..{k - 1}"
                )
        y = table["y"].to_numpy()
        if not (onehot(table).argmax(axis=1) == y).all():
            raise InputError(f"{path}: onehot columns disagree with y")
