"""Stage: score a trained model on the test split, beside its split's limits and baselines."""

from stages.startup import prepare_process

prepare_process()  # first: the project's Python, and the same CPU kernels on every machine

import numpy as np
import pandas as pd

from pipeline import baselines, inference, tables, worked_example
from pipeline.files import read_json, write_atomic, write_json, write_text
from pipeline.settings import Experiment, read_stage_settings
from pipeline.tasks import Task
from stages import cli

SIGNIFICANT_DIGITS = 6  # metrics files stay readable in diffs


def round_metrics(metrics: dict[str, float]) -> dict[str, float]:
    return {name: float(f"{value:.{SIGNIFICANT_DIGITS}g}") for name, value in metrics.items()}


def classification_metrics(points: pd.DataFrame) -> dict[str, float]:
    """Accuracy and mean loss of the model, from its per-point results."""
    return {
        "test_accuracy": float(np.mean(points["actual"] == points["predicted"])),
        "test_loss": float(points["loss"].mean()),
    }


def regression_metrics(points: pd.DataFrame) -> dict[str, float]:
    """Mean squared error of the model (the notebook's metric)."""
    return {"test_mse": float(points["squared_error"].mean())}


def table_regression_metrics(points: pd.DataFrame) -> dict[str, float]:
    """MSE, MAE and R² of the model."""
    return baselines.regression_scores(
        "test", points["predicted"].to_numpy(), points["actual"].to_numpy()
    )


# The model's own metrics, per kind of data (a user's table or not) and task.
METRICS = {
    (False, Task.CLASSIFICATION): classification_metrics,
    (False, Task.REGRESSION): regression_metrics,
    (True, Task.CLASSIFICATION): classification_metrics,
    (True, Task.REGRESSION): table_regression_metrics,
}


def metrics_of(experiment: Experiment, points: pd.DataFrame, limits: dict) -> dict[str, float]:
    """The model's metrics (METRICS) beside its split's limits and baselines (written by the
    split stage: pipeline.baselines), rounded."""
    own = METRICS[(experiment.table, experiment.task)](points)
    return round_metrics(own | limits)


def classification_points(
    scores_z: np.ndarray, outputs: np.ndarray, test: pd.DataFrame, schema: tables.Schema
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
    scores_z: np.ndarray, outputs: np.ndarray, test: pd.DataFrame, schema: tables.Schema
) -> pd.DataFrame:
    """Each test point's actual and predicted value and squared error (and x for the curve)."""
    actual = test["y"].to_numpy()
    predicted = outputs[:, 0]
    x = {} if schema.from_file else {"x": test["x0"].to_numpy()}
    return pd.DataFrame(
        {**x, "actual": actual, "predicted": predicted, "squared_error": (predicted - actual) ** 2}
    )


# Each test point's result, per task: the data of DVC's confusion and scatter charts, and of
# the gate's paired tests.
POINTS = {Task.CLASSIFICATION: classification_points, Task.REGRESSION: regression_points}


def points_table(
    scores_z: np.ndarray,
    outputs: np.ndarray,
    test: pd.DataFrame,
    task: Task,
    schema: tables.Schema | None = None,
) -> pd.DataFrame:
    """Each test point's actual and predicted value, and its loss or squared error (POINTS)."""
    schema = schema or tables.schema_of_synthetic(test)
    return POINTS[task](scores_z, outputs, test, schema)


def main() -> None:
    args = cli.parse_paths(
        __doc__, "settings", "weights", "test", "baselines", "metrics", "points", "worked_example"
    )
    experiment = read_stage_settings(args.settings, "evaluate")
    weights = inference.read_weights(args.weights)
    test = tables.read_table(args.test, experiment.task)
    schema = tables.read_schema(args.test, test)
    inference.check_fits(weights, tables.features(test), args.weights)
    scores_z = inference.scores(weights, tables.features(test))
    outputs = inference.activate(weights, scores_z)
    points = points_table(scores_z, outputs, test, experiment.task, schema)
    metrics = metrics_of(experiment, points, read_json(args.baselines))
    write_json(args.metrics, metrics)
    write_atomic(args.points, lambda tmp: points.to_csv(tmp, index=False))
    # The text's worked example, on the first test point.
    example = worked_example.explain_point(
        weights, tables.features(test)[0], test["y"].iloc[0], experiment.task
    )
    markdown = worked_example.worked_example_markdown(
        example, experiment.name, weights["output_activation"], schema
    )
    write_text(args.worked_example, markdown)
    print(f"{experiment.name}: {metrics}")


if __name__ == "__main__":
    cli.run(main)
