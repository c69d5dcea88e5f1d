"""The text's worked example, on the trained model: scores, softmax and loss of one point."""

from typing import Any

import numpy as np

from pipeline import activations, inference


def cross_entropy(p_true: float) -> float:
    """The softmax classifier's loss for one point: -log of its true class' probability."""
    return float(-np.log(p_true))


def explain_scores(z: np.ndarray, true_class: int) -> dict[str, Any]:
    """From scores z = W.x + b to softmax(z), the true class' probability and the loss."""
    probabilities = activations.softmax(np.asarray(z, dtype=float)[None, :])[0]
    return {
        "scores": [float(v) for v in z],
        "probabilities": [float(p) for p in probabilities],
        "true_class": int(true_class),
        "p_true": float(probabilities[true_class]),
        "loss": cross_entropy(probabilities[true_class]),
    }


def explain_point(
    weights: dict[str, Any], x: np.ndarray, target: int | float, task: str
) -> dict[str, Any]:
    """The worked example for one point of the trained model (classification or regression)."""
    scores_z = inference.scores(weights, np.asarray(x, dtype=float)[None, :])
    z = scores_z[0]
    if task == "classification":
        example = explain_scores(z, target)
    else:
        prediction = float(inference.activate(weights, scores_z)[0, 0])
        example = {
            "scores": [float(z[0])],
            "prediction": prediction,
            "target": float(target),
            "squared_error": (prediction - float(target)) ** 2,
        }
    return {"x": [float(v) for v in x], **example}


def _vector(values):
    return "[" + ", ".join(f"{v:.4f}" for v in values) + "]"


def worked_example_markdown(example: dict[str, Any], name: str, output_activation: str) -> str:
    """The worked example as a small Markdown table."""
    rows = [("x (a test point)", _vector(example["x"]))]
    if "probabilities" in example:
        rows += [
            ("z = W.x + b (scores)", _vector(example["scores"])),
            (f"{output_activation}(z)", _vector(example["probabilities"])),
            ("true class", str(example["true_class"])),
            ("p_true", f"{example['p_true']:.4f}"),
            ("loss = -log p_true", f"{example['loss']:.4f}"),
        ]
    else:
        rows += [
            ("z = w.x + b", f"{example['scores'][0]:.4f}"),
            (f"prediction = {output_activation}(z)", f"{example['prediction']:.4f}"),
            ("target y", f"{example['target']:.4f}"),
            ("squared error", f"{example['squared_error']:.6f}"),
        ]
    lines = [
        f"# {name}: worked example on the trained model",
        "",
        "| quantity | value |",
        "|---|---|",
    ]
    lines += [f"| {quantity} | {value} |" for quantity, value in rows]
    return "\n".join(lines) + "\n"
