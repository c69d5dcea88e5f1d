"""Predictions in NumPy from the weights the train stage exports.

Evaluation and plotting need only a few matrix products, so they skip the 4-5 s
TensorFlow import; a test checks these outputs against Keras' own predictions.
"""

from typing import Any

import numpy as np

from pipeline.activations import ACTIVATIONS
from pipeline.errors import InputError
from pipeline.files import StrPath, read_json


def standardize(weights: dict[str, Any], X: np.ndarray) -> np.ndarray:
    """The model's standardization of the features, as Keras' Normalization layer computes it
    (float32, the train split's mean and variance); the features as they are without one."""
    if "standardize" not in weights:
        return X
    layer = weights["standardize"]
    mean = np.asarray(layer["mean"], dtype=np.float32)
    scale = np.maximum(np.sqrt(np.asarray(layer["variance"], dtype=np.float32)), layer["epsilon"])
    return (np.asarray(X, dtype=np.float32) - mean) / scale.astype(np.float32)


def scores(weights: dict[str, Any], X: np.ndarray) -> np.ndarray:
    """The last Dense layer's output z = W.x + b (after standardization and hidden layers)."""
    hidden = standardize(weights, X)
    for layer in weights["layers"]:
        hidden = ACTIVATIONS[layer["activation"]](
            hidden @ np.asarray(layer["kernel"]) + np.asarray(layer["bias"])
        )
    return hidden


def activate(weights: dict[str, Any], scores_z: np.ndarray) -> np.ndarray:
    """The output activation applied to the scores z: class probabilities, or the prediction
    (in the target's units: see unstandardize_target)."""
    return unstandardize_target(weights, ACTIVATIONS[weights["output_activation"]](scores_z))


def unstandardize_target(weights: dict[str, Any], outputs: np.ndarray) -> np.ndarray:
    """A standardized target's prediction back in the target's units, as Keras' Rescaling layer
    computes it (output * scale + mean), in float64 (Keras rounds the mean to float32); the
    outputs as they are without one."""
    if "unstandardize_target" not in weights:
        return outputs
    layer = weights["unstandardize_target"]
    return np.asarray(outputs, dtype=np.float64) * layer["scale"] + layer["mean"]


def predict(weights: dict[str, Any], X: np.ndarray) -> np.ndarray:
    """The model's outputs: class probabilities, or the regression prediction (n x 1)."""
    return activate(weights, scores(weights, X))


def read_weights(path: StrPath) -> dict[str, Any]:
    """Read and check a weights file written by the train stage."""
    return checked_weights(read_json(path), path)


def checked_weights(weights: Any, path: StrPath) -> dict[str, Any]:
    """The weights, if they are what the train stage writes; else an error naming ``path``."""
    try:
        width = None
        for layer in weights["layers"]:
            kernel = np.asarray(layer["kernel"], dtype=float)
            bias = np.asarray(layer["bias"], dtype=float)
            if (
                kernel.ndim != 2
                or bias.shape != (kernel.shape[1],)
                or (width is not None and kernel.shape[0] != width)
            ):
                raise ValueError("layer shapes do not chain")
            if not (np.isfinite(kernel).all() and np.isfinite(bias).all()):
                raise ValueError("non-finite weights")
            if layer["activation"] not in ACTIVATIONS:
                raise ValueError(f"unknown activation {layer['activation']!r}")
            width = kernel.shape[1]
        if not weights["layers"] or weights["output_activation"] not in ACTIVATIONS:
            raise ValueError("no layers or unknown output activation")
        if "standardize" in weights:
            _check_standardize(weights["standardize"], len(weights["layers"][0]["kernel"]))
        if "unstandardize_target" in weights:
            _check_unstandardize_target(
                weights["unstandardize_target"], weights["output_activation"]
            )
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(
            f"{path}: not a weights file written by the train stage ({error})"
        ) from None
    return weights


def _check_standardize(layer: dict[str, Any], n_inputs: int) -> None:
    mean = np.asarray(layer["mean"], dtype=float)
    variance = np.asarray(layer["variance"], dtype=float)
    if mean.shape != (n_inputs,) or variance.shape != (n_inputs,):
        raise ValueError("standardize does not match the first layer")
    if not (np.isfinite(mean).all() and np.isfinite(variance).all() and (variance >= 0).all()):
        raise ValueError("non-finite standardize values")
    if not float(layer["epsilon"]) > 0:
        raise ValueError("standardize epsilon must be > 0")


def _check_unstandardize_target(layer: dict[str, Any], output_activation: str) -> None:
    values = (layer["mean"], layer["scale"])
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise ValueError("unstandardize_target needs numbers")
    if not (np.isfinite(values).all() and values[1] > 0):
        raise ValueError("unstandardize_target needs a finite mean and a finite scale > 0")
    if output_activation == "softmax":
        raise ValueError("unstandardize_target on a classifier's probabilities")


def check_fits(weights: dict[str, Any], X: np.ndarray, path: StrPath) -> None:
    """The model must take the data's features: otherwise an error naming the weights file."""
    n_inputs = len(weights["layers"][0]["kernel"])
    if X.shape[1] != n_inputs:
        raise InputError(f"{path}: the model takes {n_inputs} features, the data has {X.shape[1]}")


def cross_entropy(scores_z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each point's softmax loss, -log softmax(z)[y], computed from the scores.

    log-sum-exp keeps it exact for any scores: no probability is clipped, so its mean agrees
    with the loss Keras reports (val_loss) even for a model whose scores are huge.
    """
    top = scores_z.max(axis=1, keepdims=True)
    log_norm = top[:, 0] + np.log(np.exp(scores_z - top).sum(axis=1))
    return log_norm - scores_z[np.arange(len(y)), y]


def mean_cross_entropy(scores_z: np.ndarray, y: np.ndarray) -> float:
    """The softmax classifier's mean loss over the points (see cross_entropy)."""
    return float(np.mean(cross_entropy(scores_z, y)))
