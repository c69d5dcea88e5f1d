"""The pipeline's data tables: Parquet files with columns x0..x{d-1}, y, y_oracle.

Classification tables hold integer labels in ``y``, the Bayes rule's label in
``y_oracle`` and, after the split, the one-hot encoding in onehot_0..onehot_{k-1}.
Regression tables hold the noisy target in ``y`` and the noise-free one in ``y_oracle``.
"""

import numpy as np
import pandas as pd

from pipeline.errors import InputError
from pipeline.files import StrPath, write_atomic


def make_table(
    X: np.ndarray, y: np.ndarray, y_oracle: np.ndarray, y_onehot: np.ndarray | None = None
) -> pd.DataFrame:
    """Assemble a table from arrays (features, target, oracle target, optional one-hot)."""
    columns = {f"x{j}": X[:, j] for j in range(X.shape[1])}
    columns.update(y=y, y_oracle=y_oracle)
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


def write_table(table: pd.DataFrame, path: StrPath) -> None:
    """Write a table as Parquet (compact, typed and fast at millions of rows)."""
    write_atomic(path, lambda tmp: table.to_parquet(tmp, index=False, engine="pyarrow"))


def read_table(path: StrPath, task: str) -> pd.DataFrame:
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
    expected = [f"x{j}" for j in range(n_features)] + ["y", "y_oracle"]
    expected += [f"onehot_{j}" for j in range(n_classes(table))]
    if n_features == 0 or list(table.columns) != expected:
        raise InputError(
            f"{path}: columns {list(table.columns)}, expected x0..x<d-1>, y, "
            "y_oracle and (after the split, for classification) onehot_<j>"
        )
    if len(table) == 0:
        raise InputError(f"{path}: no rows")
    values = table.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise InputError(f"{path}: non-finite values (NaN or infinity)")
    if task == "classification":
        _check_labels(path, table)
    elif n_classes(table):
        raise InputError(f"{path}: onehot columns in a regression table")


def _check_labels(path, table):
    for column in ("y", "y_oracle"):
        if not pd.api.types.is_integer_dtype(table[column]) or table[column].min() < 0:
            raise InputError(f"{path}: column {column} must hold non-negative integer labels")
    k = n_classes(table)
    if k:
        for column in ("y", "y_oracle"):
            if table[column].max() >= k:
                raise InputError(
                    f"{path}: {column} label {table[column].max()} outside the "
                    f"class range 0..{k - 1}"
                )
        y = table["y"].to_numpy()
        if not (onehot(table).argmax(axis=1) == y).all():
            raise InputError(f"{path}: onehot columns disagree with y")
