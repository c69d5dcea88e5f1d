"""Stage: train an experiment's Keras model on its train split."""

from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import tables
from pipeline.files import write_json
from pipeline.settings import read_stage_settings
from stages import cli

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


def targets(table: "pd.DataFrame", task: str) -> "np.ndarray":
    """What the model fits: one-hot labels, or the regression target as a column."""
    return tables.onehot(table) if task == "classification" else table[["y"]].to_numpy()


def main() -> None:
    args = cli.parse_paths(__doc__, "settings", "train", "test", "model", "weights", "history")
    experiment = read_stage_settings(args.settings, "train")
    train = tables.read_table(args.train, experiment.task)
    test = tables.read_table(args.test, experiment.task)
    from pipeline import keras_model  # TensorFlow loads only once the inputs are known good

    Path(args.history).parent.mkdir(parents=True, exist_ok=True)

    print(f"{experiment.name}: training {experiment.model} with {experiment.train}", flush=True)
    model = keras_model.train_model(
        tables.features(train),
        targets(train, experiment.task),
        tables.features(test),
        targets(test, experiment.task),
        task=experiment.task,
        model_settings=experiment.model,
        train_settings=experiment.train,
        history_path=args.history,
    )
    keras_model.save_model(model, args.model)
    write_json(args.weights, keras_model.export_weights(model))


if __name__ == "__main__":
    cli.run(main)
