"""The text's worked example, on the trained model: scores, softmax and loss of one point."""

from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline import activations, inference
from pipeline.tasks import Task

if TYPE_CHECKING:
    from pipeline.datasets import Schema


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
    weights: dict[str, Any], x: np.ndarray, target: int | float, task: Task
) -> dict[str, Any]:
    """The worked example for one point of the trained model (classification or regression)."""
    X = np.asarray(x, dtype=float)[None, :]
    scores_z = inference.scores(weights, X)
    if task == Task.CLASSIFICATION:
        example = explain_scores(scores_z[0], target)
    else:
        example = _explain_prediction(weights, scores_z, target)
    if "standardize" in weights:
        example["x_standardized"] = [float(v) for v in inference.standardize(weights, X)[0]]
    return {"x": [float(v) for v in x], **example}


def _explain_prediction(
    weights: dict[str, Any], scores_z: np.ndarray, target: float
) -> dict[str, Any]:
    output = activations.ACTIVATIONS[weights["output_activation"]](scores_z)
    prediction = float(inference.unstandardize_target(weights, output)[0, 0])
    scaling = weights.get("unstandardize_target")
    unscaled = (
        {
            "output": float(output[0, 0]),
            "target_mean": scaling["mean"],
            "target_scale": scaling["scale"],
        }
        if scaling
        else {}
    )
    return {
        "scores": [float(scores_z[0, 0])],
        **unscaled,
        "prediction": prediction,
        "target": float(target),
        "squared_error": (prediction - float(target)) ** 2,
    }


def _vector(values):
    return "[" + ", ".join(f"{v:.4f}" for v in values) + "]"


def worked_example_markdown(
    example: dict[str, Any], name: str, output_activation: str, schema: "Schema | None" = None
) -> str:
    """The worked example as a small Markdown table (a table's features and class by name)."""
    from_file = schema is not None and schema.from_file
    x_label = f"x = ({', '.join(schema.features)})" if from_file else "x"
    rows = [(f"{x_label} (a test point)", _vector(example["x"]))]
    if "x_standardized" in example:
        rows.append(("x standardized (train mean and spread)", _vector(example["x_standardized"])))
    if "probabilities" in example:
        true_class = example["true_class"]
        rows += [
            ("z = W.x + b (scores)", _vector(example["scores"])),
            (f"{output_activation}(z)", _vector(example["probabilities"])),
            (
                "true class",
                f"{true_class} ({schema.classes[true_class]})" if from_file else str(true_class),
            ),
            ("p_true", f"{example['p_true']:.4f}"),
            ("loss = -log p_true", f"{example['loss']:.4f}"),
        ]
    else:
        rows.append(("z = w.x + b", f"{example['scores'][0]:.4f}"))
        if "target_mean" in example:  # the model learnt the target standardized: any scale
            rows += [
                (
                    f"output = {output_activation}(z), in standard deviations",
                    f"{example['output']:.4f}",
                ),
                (
                    f"prediction = {example['target_mean']:.6g} + {example['target_scale']:.6g} "
                    "x output (the train target's mean and spread)",
                    f"{example['prediction']:.6g}",
                ),
                ("target y", f"{example['target']:.6g}"),
                ("squared error", f"{example['squared_error']:.6g}"),
            ]
        else:
            rows += [
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
