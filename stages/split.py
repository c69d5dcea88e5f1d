"""Stage: split an experiment's data into train and test, one-hot encoding the labels; the
split's limits and baselines (pipeline.baselines), which depend on nothing else."""

import sys
from typing import TYPE_CHECKING

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder

from pipeline import baselines, datasets
from pipeline.errors import InputError
from pipeline.files import write_json
from pipeline.settings import Split, read_stage_settings
from pipeline.tasks import Task
from stages import cli

if TYPE_CHECKING:
    import pandas as pd


def encode_onehot(y: np.ndarray, n_classes: int) -> np.ndarray:
    """One-hot encode integer labels 0..n_classes-1 (a fixed width, whatever the split holds)."""
    encoder = OneHotEncoder(
        categories=[np.arange(n_classes)], sparse_output=False, dtype=np.float32
    )
    return encoder.fit_transform(y.reshape(-1, 1))


def with_onehot(part: "pd.DataFrame", n_classes: int) -> "pd.DataFrame":
    """A classification table with its one-hot columns added."""
    y = part["y"].to_numpy()
    oracle = part["y_oracle"].to_numpy() if "y_oracle" in part.columns else None
    return datasets.make_table(datasets.features(part), y, oracle, encode_onehot(y, n_classes))


def split_table(
    table: "pd.DataFrame", split: Split, task: Task, n_classes: int | None = None
) -> tuple["pd.DataFrame", "pd.DataFrame"]:
    """Split a table (stratified by class if asked); classification tables gain their one-hot
    columns, for n_classes classes (default: the largest label + 1)."""
    train, test = train_test_split(
        table,
        test_size=split.test_size,
        random_state=split.random_state,
        stratify=table["y"] if split.stratify else None,
    )
    if task == Task.REGRESSION:
        return train, test
    n_classes = n_classes or int(table["y"].max()) + 1
    return with_onehot(train, n_classes), with_onehot(test, n_classes)


def check_split(
    train: "pd.DataFrame", test: "pd.DataFrame", task: Task, name: str, classes=None
) -> list[str]:
    """A regression whose train side has one target value, or a classification whose train side
    has one class, stops here (nothing to learn). Returns the warnings: each class that only the
    test side has (the model never sees it)."""
    split = f"experiments.{name}.split"
    if task == Task.REGRESSION:
        values = train["y"].unique()
        if len(values) < 2:
            raise InputError(
                f"{split}: the train split's target has one value ({values[0]:g}): nothing to "
                f"learn; a larger test_size or another random_state, or more varied data"
            )
        return []

    def named(label):
        return classes[label] if classes else str(label)

    seen = train["y"].unique()
    if len(seen) < 2:
        raise InputError(
            f"{split}: the train split holds one class ({named(seen[0])!r}): nothing to tell "
            f"apart; stratify: true, a larger test_size or another random_state"
        )
    unseen = sorted(set(test["y"].unique()) - set(seen))
    return [
        f"warning: {name}: class {named(label)!r} is only in the test split: the model never "
        f"learns it; set {split}.stratify: true"
        for label in unseen
    ]


def main() -> None:
    args = cli.parse_paths(__doc__, "settings", "data", "train", "test", "baselines")
    experiment = read_stage_settings(args.settings, "split")
    table = datasets.read_table(args.data, experiment.task)
    schema = datasets.read_schema(args.data, table)
    n_classes = len(schema.classes) if schema.classes else None
    train, test = split_table(table, experiment.split, experiment.task, n_classes)
    for warning in check_split(train, test, experiment.task, experiment.name, schema.classes):
        print(warning, file=sys.stderr)
    stored = schema if schema.from_file else None
    datasets.write_table(train.reset_index(drop=True), args.train, stored)
    datasets.write_table(test.reset_index(drop=True), args.test, stored)
    write_json(
        args.baselines, baselines.baselines_of(train, test, experiment.task, experiment.table)
    )
    print(f"{experiment.name}: {len(train)} train / {len(test)} test samples")
