"""Stage: train an experiment's Keras model on its train split."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from pipeline import datasets
from pipeline.files import write_json
from pipeline.settings import Experiment, read_stage_settings
from pipeline.tasks import Task
from stages import cli

if TYPE_CHECKING:
    import numpy as np


def targets(table: "pd.DataFrame", task: Task) -> "np.ndarray":
    """What the model fits: one-hot labels, or the regression target as a column."""
    return datasets.onehot(table) if task == Task.CLASSIFICATION else table[["y"]].to_numpy()


def column_names(schema: datasets.Schema) -> dict:
    """What predict needs besides the weights: a table's feature and class names (a synthetic
    table has none, so its weights file keeps its bytes)."""
    if not schema.from_file:
        return {}
    return {
        "features": list(schema.features),
        "target": schema.target,
        "classes": schema.classes,
        "dropped": list(schema.dropped),
    }


def not_converged(experiment: Experiment, falling: tuple[float, int] | None) -> str | None:
    """One line saying that a training ended with its loss still falling (keras_model's
    still_falling), and the key to change; None when it did not."""
    if falling is None:
        return None
    share, epochs = falling
    key = f"experiments.{experiment.name}.train.epochs"
    return (
        f"warning: {experiment.name}: its last {epochs} epoch{'s' if epochs > 1 else ''} still "
        f"made {share:.1%} of the training loss's fall: not converged; more {key} "
        f"(now {experiment.train.epochs}) or a larger learning rate may fit better"
    )


def main() -> None:
    args = cli.parse_paths(__doc__, "settings", "train", "test", "model", "weights", "history")
    experiment = read_stage_settings(args.settings, "train")
    train = datasets.read_table(args.train, experiment.task)
    test = datasets.read_table(args.test, experiment.task)
    schema = datasets.read_schema(args.train, train)
    # TensorFlow loads only once the inputs are known good.
    with cli.without_sklearn():
        from pipeline import keras_model, progress

    Path(args.history).parent.mkdir(parents=True, exist_ok=True)

    model = keras_model.train_model(
        datasets.features(train),
        targets(train, experiment.task),
        datasets.features(test),
        targets(test, experiment.task),
        task=experiment.task,
        model_settings=experiment.model,
        train_settings=experiment.train,
        history_path=args.history,
        progress=progress.progress_callback(experiment.name, experiment.train.epochs, sys.stderr),
    )
    losses = pd.read_csv(args.history)["loss"].tolist()  # the history CSVLogger wrote
    warning = not_converged(experiment, keras_model.still_falling(losses))
    if warning:
        print(warning, file=sys.stderr)
    keras_model.save_model(model, args.model)
    write_json(args.weights, keras_model.export_weights(model) | column_names(schema))
