"""Predictions in NumPy from the weights the train stage exports.

Evaluation and plotting need only a few matrix products, so they skip the 4-5 s
TensorFlow import; a test checks these outputs against Keras' own predictions.
"""

import numpy as np

from keras_blobs.errors import InputError
from keras_blobs.files import read_json


def softmax(z):
    """Row-wise softmax, shifted by the row maximum so large scores do not overflow."""
    shifted = np.exp(z - z.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


ACTIVATIONS = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "softplus": lambda z: np.logaddexp(0.0, z),
    "softmax": softmax,
}


def scores(weights, X):
    """The last Dense layer's output z = W.x + b (after any hidden layers)."""
    hidden = X
    for layer in weights["layers"]:
        hidden = ACTIVATIONS[layer["activation"]](
            hidden @ np.asarray(layer["kernel"]) + np.asarray(layer["bias"])
        )
    return hidden


def predict(weights, X):
    """The model's outputs: class probabilities, or the regression prediction (n x 1)."""
    return ACTIVATIONS[weights["output_activation"]](scores(weights, X))


def read_weights(path):
    """Read and check a weights file written by the train stage."""
    weights = read_json(path)
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
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(
            f"{path}: not a weights file written by the train stage ({error})"
        ) from None
    return weights


def check_fits(weights, X, path):
    """The model must take the data's features: otherwise an error naming the weights file."""
    n_inputs = len(weights["layers"][0]["kernel"])
    if X.shape[1] != n_inputs:
        raise InputError(f"{path}: the model takes {n_inputs} features, the data has {X.shape[1]}")
