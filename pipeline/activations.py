"""The activations a model may use, in NumPy: the one list both settings and inference use.

Each is Keras' activation of that name (tests/pipeline/test_inference.py checks them), so
pipeline.settings allows exactly these names and pipeline.inference computes them.
"""

import numpy as np


def softmax(z: np.ndarray) -> np.ndarray:
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
