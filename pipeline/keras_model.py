"""Keras models: build, compile, train, save byte-stably and export the weights.

This is the only module that imports TensorFlow (about 4-5 s per process), so only
the train stage pays for it; evaluation and plotting use pipeline.inference.
"""

import json
import math
import os
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

# TensorFlow's C++ log at level 3 shows fatal errors only: below that, every run printed an
# absl warning and a harmless ERROR line (a tf.data graph attribute this TensorFlow does not
# know, "Unknown attributes will be ignored"). Python exceptions are not affected.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # the same kernels everywhere

import keras
import numpy as np
import tensorflow as tf

from pipeline.errors import DivergedError, PipelineError
from pipeline.files import StrPath, write_atomic
from pipeline.tasks import Task

if TYPE_CHECKING:
    from pipeline import settings

STANDARDIZE = "standardize"  # the Normalization layer's name
UNSTANDARDIZE_TARGET = "unstandardize_target"  # the Rescaling layer's name
# A training whose last tenth of epochs still made more than this share of its whole fall in
# loss has not converged (said in one line, with the key to change). A share, not the loss's own
# relative fall: a separable classification's loss keeps halving towards 0 long after it has
# converged (tests/pipeline/test_keras_model.py: a steady crawl, a 1/t decay).
STILL_FALLING = 0.02
MIN_EPOCHS = 5  # fewer say too little about convergence
# Inside a .keras zip, what changes from one save to the next while the model does not.
_FIXED_DATE_SAVED = "1980-01-01@00:00:00"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def build_model(
    n_features: int,
    n_outputs: int,
    model_settings: "settings.Model",
    *,
    X_train: np.ndarray | None = None,
) -> keras.Sequential:
    """Standardization if asked (a Normalization layer adapted on X_train), hidden Dense layers,
    then the scores z = W.x + b ("wx_b"), then the output activation.

    With ``preprocessing: none`` and ``hidden_units: []`` this is the notebook's linear softmax
    classifier.
    """
    model = keras.Sequential(name="classifier_or_regressor")
    model.add(keras.Input(shape=(n_features,)))
    if model_settings.preprocessing == STANDARDIZE:
        standardize = keras.layers.Normalization(name=STANDARDIZE)
        standardize.adapt(X_train)  # the train split's mean and variance, never the test's
        model.add(standardize)
    for i, width in enumerate(model_settings.hidden_units):
        model.add(
            keras.layers.Dense(
                width, activation=model_settings.hidden_activation, name=f"hidden_{i}"
            )
        )
    model.add(keras.layers.Dense(n_outputs, name="wx_b"))
    model.add(keras.layers.Activation(model_settings.output_activation, name="output"))
    return model


def target_scaling(y_train: np.ndarray) -> tuple[float, float]:
    """The train split's target mean and standard deviation (1 for a constant target), in
    float64: a target of 1e12 +- 1e3 has no distinct values left in float32."""
    y = np.asarray(y_train, dtype=np.float64)
    spread = float(np.std(y))
    return float(np.mean(y)), spread if spread > 0 else 1.0


def standardized(y: np.ndarray, scaling: tuple[float, float]) -> np.ndarray:
    """The target in standard deviations from the train mean (computed in float64, so that
    Keras' float32 gets the differences, not the rounded values)."""
    mean, scale = scaling
    return (np.asarray(y, dtype=np.float64) - mean) / scale


def with_target_scaling(model: keras.Sequential, scaling: tuple[float, float]) -> keras.Sequential:
    """The trained model followed by a Rescaling layer (output * scale + mean): one model that
    predicts in the target's own units, which is saved and exported. Keras computes it in
    float32 like the rest of the model (TensorFlow rounds the mean to float32: steps of 65,536
    at 1e12); weights.json keeps both in float64 for the NumPy forward pass."""
    mean, scale = scaling
    scaled = keras.Sequential(name=model.name)
    scaled.add(keras.Input(shape=model.input_shape[1:]))
    for layer in model.layers:
        scaled.add(layer)
    scaled.add(keras.layers.Rescaling(scale, offset=mean, name=UNSTANDARDIZE_TARGET))
    return scaled


def compile_model(
    model: keras.Model, task: Task, train_settings: "settings.Train", steps_per_epoch: int
) -> None:
    """Compile with the named optimizer; one compiled call runs a whole epoch of steps.

    ``steps_per_execution`` removes the per-step Python overhead of tiny batches
    without changing the arithmetic: the weights are bit-identical.
    """
    optimizer = keras.optimizers.get(
        {
            "class_name": train_settings.optimizer,
            "config": {"learning_rate": train_settings.learning_rate},
        }
    )
    classification = task == Task.CLASSIFICATION
    model.compile(
        optimizer=optimizer,
        loss="categorical_crossentropy" if classification else "mean_squared_error",
        metrics=["accuracy"] if classification else [],
        steps_per_execution=steps_per_epoch,
    )


def train_model(
    X_train: np.ndarray,
    Y_train: np.ndarray,
    X_test: np.ndarray,
    Y_test: np.ndarray,
    *,
    task: Task,
    model_settings: "settings.Model",
    train_settings: "settings.Train",
    history_path: str,
    progress: keras.callbacks.Callback | None = None,
) -> keras.Model:
    """Seed, build, compile and fit a model; the test split is validated every epoch.

    Returns the trained model. The per-epoch history goes to ``history_path`` (CSV); the
    ``progress`` callback (pipeline.progress) shows it as it goes.
    Raises DivergedError if the loss becomes NaN or infinite.
    """
    keras.utils.set_random_seed(train_settings.seed)
    tf.config.experimental.enable_op_determinism()
    steps_per_epoch = math.ceil(len(X_train) / train_settings.batch_size)
    model = build_model(X_train.shape[1], Y_train.shape[1], model_settings, X_train=X_train)
    compile_model(model, task, train_settings, steps_per_epoch)
    # A standardized target is learnt in standard deviations: the loss is then the MSE in
    # variances of the target (1 = predicting the mean), and Adam's steps fit a table's defaults
    # whether the target is in the millions or the millionths.
    scaling = target_scaling(Y_train) if model_settings.standardize_target else None
    if scaling:
        Y_train, Y_test = standardized(Y_train, scaling), standardized(Y_test, scaling)
    history = model.fit(
        X_train,
        Y_train,
        batch_size=train_settings.batch_size,
        epochs=train_settings.epochs,
        # The default number of steps, given explicitly: Keras then builds the arrays'
        # input pipeline once per epoch instead of twice (same batches, same weights).
        steps_per_epoch=steps_per_epoch,
        # The whole test split as one batch in a tf.data pipeline, which Keras iterates
        # again each epoch instead of rebuilding it. Validation never touches the weights.
        validation_data=tf.data.Dataset.from_tensors((X_test, Y_test)),
        verbose=0,
        callbacks=[
            keras.callbacks.TerminateOnNaN(),
            keras.callbacks.CSVLogger(history_path),
            *([progress] if progress else []),
        ],
    )
    losses = history.history["loss"]
    if not np.isfinite(losses).all():
        raise DivergedError(
            f"training diverged (loss {losses[-1]} at epoch {len(losses)}) with "
            f"learning_rate={train_settings.learning_rate}; try a smaller learning rate"
        )
    return with_target_scaling(model, scaling) if scaling else model


def still_falling(losses: list[float]) -> tuple[float, int] | None:
    """The share of the whole fall in loss (first epoch to last) that the last tenth of the
    epochs (at least one) made, and that many epochs, when the share is more than
    STILL_FALLING: a training that has not converged. None otherwise, and below MIN_EPOCHS
    (with 2 epochs the last one is all of the fall, however converged: a large table's
    defaults give it 2)."""
    if len(losses) < MIN_EPOCHS:
        return None
    back = max(1, len(losses) // 10)
    fall = losses[0] - losses[-1]
    share = (losses[-1 - back] - losses[-1]) / fall if fall > 0 else 0.0
    return (share, back) if share > STILL_FALLING else None


def save_model(model: keras.Model, path: StrPath) -> None:
    """Save a real .keras file whose bytes depend only on the model.

    ``model.save`` stamps the save date, zip entry times and Python object ids into
    the archive; those are replaced with fixed values, everything else is kept.
    """
    with tempfile.TemporaryDirectory() as tmp:
        saved = Path(tmp) / "model.keras"
        model.save(saved)
        write_atomic(path, lambda out: _normalize_keras_zip(saved, out))


def _normalize_keras_zip(source, target):
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            content = zin.read(info)
            if info.filename == "metadata.json":
                metadata = json.loads(content)
                metadata["date_saved"] = _FIXED_DATE_SAVED
                content = json.dumps(metadata).encode()
            elif info.filename == "config.json":
                content = json.dumps(_renumber_shared_ids(json.loads(content))).encode()
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_EPOCH)
            entry.compress_type = info.compress_type
            entry.external_attr = info.external_attr
            zout.writestr(entry, content)


def _renumber_shared_ids(config):
    """Replace Keras' ``shared_object_id`` values (Python ids) by 0, 1, 2... in order."""
    numbers = {}

    def walk(node):
        if isinstance(node, dict):
            return {
                key: (
                    numbers.setdefault(value, len(numbers))
                    if key == "shared_object_id"
                    else walk(value)
                )
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(config)


def load_model(path: StrPath) -> keras.Model:
    """Load a .keras model in safe mode (no arbitrary code from the file)."""
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as error:  # Keras raises many types for a damaged archive
        raise PipelineError(f"{path}: not a loadable Keras model ({error})") from None


def export_weights(model: keras.Model) -> dict[str, Any]:
    """The Dense layers' kernels, biases and activations as plain lists, for NumPy inference."""
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    standardize = [layer for layer in model.layers if layer.name == STANDARDIZE]
    output = model.get_layer("output")
    exported = {
        "layers": [
            {
                "name": layer.name,
                "kernel": layer.kernel.numpy().tolist(),
                "bias": layer.bias.numpy().tolist(),
                "activation": keras.activations.serialize(layer.activation),
            }
            for layer in dense
        ],
        "output_activation": keras.activations.serialize(output.activation),
    }
    rescaling = [layer for layer in model.layers if layer.name == UNSTANDARDIZE_TARGET]
    if rescaling:  # y -> output * scale + offset, the layer's own float64 values
        layer = rescaling[0]
        exported[UNSTANDARDIZE_TARGET] = {"mean": layer.offset, "scale": layer.scale}
    if standardize:  # x -> (x - mean) / max(sqrt(variance), epsilon), as the layer computes
        exported[STANDARDIZE] = {
            "mean": np.asarray(standardize[0].mean).ravel().tolist(),
            "variance": np.asarray(standardize[0].variance).ravel().tolist(),
            "epsilon": keras.backend.epsilon(),
        }
    return exported
