"""Stage: split an experiment's data into train and test, one-hot encoding the labels."""

from typing import TYPE_CHECKING

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder

from pipeline import tables
from pipeline.settings import Split, read_stage_settings
from stages import cli

if TYPE_CHECKING:
    import pandas as pd


def encode_onehot(y: np.ndarray, n_classes: int) -> np.ndarray:
    """One-hot encode integer labels 0..n_classes-1 (a fixed width, whatever the split holds)."""
    encoder = OneHotEncoder(
        categories=[np.arange(n_classes)], sparse_output=False, dtype=np.float32
    )
    return encoder.fit_transform(y.reshape(-1, 1))


def split_table(
    table: "pd.DataFrame", split: Split, task: str
) -> tuple["pd.DataFrame", "pd.DataFrame"]:
    """Split a table; classification tables gain their one-hot columns."""
    train, test = train_test_split(
        table, test_size=split.test_size, random_state=split.random_state
    )
    if task != "classification":
        return train, test
    n_classes = int(table["y"].max()) + 1
    return tuple(
        tables.make_table(
            tables.features(part),
            part["y"].to_numpy(),
            part["y_oracle"].to_numpy(),
            encode_onehot(part["y"].to_numpy(), n_classes),
        )
        for part in (train, test)
    )


def main() -> None:
    args = cli.parse_paths(__doc__, "settings", "data", "train", "test")
    experiment = read_stage_settings(args.settings, "split")
    table = tables.read_table(args.data, experiment.task)
    train, test = split_table(table, experiment.split, experiment.task)
    tables.write_table(train.reset_index(drop=True), args.train)
    tables.write_table(test.reset_index(drop=True), args.test)
    print(f"{experiment.name}: {len(train)} train / {len(test)} test samples")


if __name__ == "__main__":
    cli.run(main)
