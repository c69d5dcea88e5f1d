"""Stage: score a trained model on the test split, beside its split's limits and baselines."""

import sys

import numpy as np
import pandas as pd

from pipeline import datasets, inference, scores, worked_example
from pipeline.files import read_json, write_atomic, write_json, write_text
from pipeline.settings import read_stage_settings
from pipeline.tasks import Task
from stages import cli

SIGNIFICANT_DIGITS = 6  # metrics files stay readable in diffs


def round_metrics(metrics: dict) -> dict:
    """Each value, nested ones too, to SIGNIFICANT_DIGITS significant digits."""
    return {
        name: round_metrics(value)
        if isinstance(value, dict)
        else float(f"{value:.{SIGNIFICANT_DIGITS}g}")
        for name, value in metrics.items()
    }


def class_labels(schema: datasets.Schema, n_classes: int) -> list:
    """The classes as the per-point results name them: a table's names, else 0..n_classes-1."""
    return list(schema.classes) if schema.from_file else list(range(n_classes))


def classification_metrics(
    points: pd.DataFrame, probabilities: np.ndarray, labels: list
) -> dict[str, float | dict[str, float]]:
    """The model's scores (pipeline.scores, each class's by its name) and mean loss, from its
    per-point results; ROC AUC of two classes scores the second class's probability."""
    actual = pd.Categorical(points["actual"], categories=labels).codes
    predicted = pd.Categorical(points["predicted"], categories=labels).codes
    score = probabilities[:, 1] if len(labels) == 2 else None
    return {
        **scores.classification_scores("test", actual, predicted, score),
        "test_loss": float(points["loss"].mean()),
        **scores.per_class_scores("test", actual, predicted, [str(label) for label in labels]),
    }


def regression_metrics(points: pd.DataFrame) -> dict[str, float]:
    """The model's MSE, RMSE, MAE and R², from its per-point results."""
    actual, predicted = points["actual"].to_numpy(), points["predicted"].to_numpy()
    return scores.regression_scores("test", actual, predicted)


def metrics_of(
    task: Task, points: pd.DataFrame, outputs: np.ndarray, schema: datasets.Schema, limits: dict
) -> dict:
    """The model's metrics beside its split's limits and baselines (written by the split stage:
    pipeline.baselines), rounded."""
    if task == Task.CLASSIFICATION:
        own = classification_metrics(points, outputs, class_labels(schema, outputs.shape[1]))
    else:
        own = regression_metrics(points)
    return round_metrics(own | limits)


def naive_warning(name: str, task: Task, metrics: dict) -> str | None:
    """One line when the model scores no better on the test split than the naive baseline (the
    train split's most common class, or its mean); None otherwise, or without that baseline."""
    if task == Task.CLASSIFICATION:
        model, naive = metrics["test_accuracy"], metrics.get("majority_accuracy")
        if naive is None or model > naive:
            return None
        return (
            f"warning: {name}: test_accuracy {model:g} is no better than always predicting the "
            f"train split's most common class (majority_accuracy {naive:g}); the gate fails it"
        )
    model, naive = metrics["test_mse"], metrics.get("mean_mse")
    if naive is None or model < naive:
        return None
    return (
        f"warning: {name}: test_mse {model:g} (test_r2 {metrics['test_r2']:g}) is no better "
        f"than predicting the train mean (mean_mse {naive:g}, mean_r2 {metrics['mean_r2']:g}); "
        f"the gate fails it"
    )


def classification_points(
    scores_z: np.ndarray, outputs: np.ndarray, test: pd.DataFrame, schema: datasets.Schema
) -> pd.DataFrame:
    """Each test point's actual and predicted class and its softmax cross-entropy (from the
    scores z); a table's classes by name, and whether each was right."""
    actual = test["y"].to_numpy()
    predicted = outputs.argmax(axis=1)
    loss = inference.cross_entropy(scores_z, actual)
    if not schema.from_file:
        return pd.DataFrame({"actual": actual, "predicted": predicted, "loss": loss})
    names = np.asarray(schema.classes, dtype=object)
    return pd.DataFrame(
        {
            "actual": names[actual],
            "predicted": names[predicted],
            "correct": (actual == predicted).astype(int),
            "loss": loss,
        }
    )


def regression_points(
    scores_z: np.ndarray, outputs: np.ndarray, test: pd.DataFrame, schema: datasets.Schema
) -> pd.DataFrame:
    """Each test point's actual and predicted value and squared error (and x for the curve)."""
    actual = test["y"].to_numpy()
    predicted = outputs[:, 0]
    x = {} if schema.from_file else {"x": test["x0"].to_numpy()}
    return pd.DataFrame(
        {**x, "actual": actual, "predicted": predicted, "squared_error": (predicted - actual) ** 2}
    )


def points_table(
    scores_z: np.ndarray,
    outputs: np.ndarray,
    test: pd.DataFrame,
    task: Task,
    schema: datasets.Schema | None = None,
) -> pd.DataFrame:
    """Each test point's actual and predicted value, and its loss or squared error: the data of
    DVC's confusion and scatter charts, and of the gate's paired tests."""
    schema = schema or datasets.schema_of_synthetic(test)
    if task == Task.CLASSIFICATION:
        return classification_points(scores_z, outputs, test, schema)
    return regression_points(scores_z, outputs, test, schema)


def main() -> None:
    args = cli.parse_paths(
        __doc__, "settings", "weights", "test", "baselines", "metrics", "points", "worked_example"
    )
    experiment = read_stage_settings(args.settings, "evaluate")
    weights = inference.read_weights(args.weights)
    test = datasets.read_table(args.test, experiment.task)
    schema = datasets.read_schema(args.test, test)
    inference.check_fits(weights, datasets.features(test), args.weights)
    scores_z = inference.scores(weights, datasets.features(test))
    outputs = inference.activate(weights, scores_z)
    points = points_table(scores_z, outputs, test, experiment.task, schema)
    metrics = metrics_of(experiment.task, points, outputs, schema, read_json(args.baselines))
    write_json(args.metrics, metrics)
    write_atomic(args.points, lambda tmp: points.to_csv(tmp, index=False))
    # The text's worked example, on the first test point.
    example = worked_example.explain_point(
        weights, datasets.features(test)[0], test["y"].iloc[0], experiment.task
    )
    markdown = worked_example.worked_example_markdown(
        example, experiment.name, weights["output_activation"], schema
    )
    write_text(args.worked_example, markdown)
    print(f"{experiment.name}: {metrics}")
    warning = naive_warning(experiment.name, experiment.task, metrics)
    if warning:
        print(warning, file=sys.stderr)
