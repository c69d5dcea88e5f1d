"""Stage: score a trained model on the test split, beside the limits for the same split."""

from stages.startup import prepare_process

prepare_process()  # first: the project's Python, and the same CPU kernels on every machine

import numpy as np
import pandas as pd

from pipeline import inference, tables, worked_example
from pipeline.files import write_atomic, write_json, write_text
from pipeline.settings import Experiment, read_stage_settings
from pipeline.tasks import Task
from stages import cli

SIGNIFICANT_DIGITS = 6  # metrics files stay readable in diffs


def round_metrics(metrics: dict[str, float]) -> dict[str, float]:
    return {name: float(f"{value:.{SIGNIFICANT_DIGITS}g}") for name, value in metrics.items()}


def classification_metrics(
    points: pd.DataFrame, train: pd.DataFrame, test: pd.DataFrame
) -> dict[str, float]:
    """Accuracy and mean loss of the model (from its per-point results); the Bayes rule and
    unregularised logistic regression on the same split: the limits of the synthetic blobs."""
    from sklearn.linear_model import LogisticRegression  # scikit-learn only where it is used
    from sklearn.metrics import accuracy_score

    y_test = test["y"].to_numpy()
    logreg = LogisticRegression(C=np.inf, max_iter=1000)  # C=inf: no regularisation
    logreg.fit(tables.features(train), train["y"].to_numpy())
    return {
        "test_accuracy": accuracy_score(y_test, points["predicted"]),
        "test_loss": float(points["loss"].mean()),
        "bayes_accuracy": accuracy_score(y_test, test["y_oracle"].to_numpy()),
        "logreg_accuracy": logreg.score(tables.features(test), y_test),
    }


def regression_metrics(points: pd.DataFrame, test: pd.DataFrame) -> dict[str, float]:
    """Mean squared error of the model and of the noise-free function (the noise floor)."""
    y_test = test["y"].to_numpy()
    return {
        "test_mse": float(points["squared_error"].mean()),
        "noise_floor_mse": float(np.mean((y_test - test["y_oracle"].to_numpy()) ** 2)),
    }


def baseline(estimator, preprocessing: str):
    """A scikit-learn estimator behind the experiment's own preprocessing."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return (
        make_pipeline(StandardScaler(), estimator) if preprocessing == "standardize" else estimator
    )


def table_classification_metrics(
    points: pd.DataFrame, train: pd.DataFrame, test: pd.DataFrame, preprocessing: str
) -> dict[str, float]:
    """Accuracy and mean loss of the model; scikit-learn's logistic regression (its defaults,
    as a user would run it) and the majority class, on the same split and preprocessing. A
    table has no known Bayes rule: no limit is reported."""
    from sklearn.linear_model import LogisticRegression

    y_train, y_test = train["y"].to_numpy(), test["y"].to_numpy()
    logreg = baseline(LogisticRegression(max_iter=1000), preprocessing)
    logreg.fit(tables.features(train), y_train)
    majority = np.bincount(y_train).argmax()
    return {
        "test_accuracy": float(np.mean(points["correct"])),
        "test_loss": float(points["loss"].mean()),
        "logreg_accuracy": logreg.score(tables.features(test), y_test),
        "majority_accuracy": float(np.mean(y_test == majority)),
    }


def regression_scores(prefix: str, predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """MSE, MAE and R² of predictions, named <prefix>_mse, _mae and _r2."""
    residual = actual - predicted
    total = np.sum((actual - actual.mean()) ** 2)
    return {
        f"{prefix}_mse": float(np.mean(residual**2)),
        f"{prefix}_mae": float(np.mean(np.abs(residual))),
        f"{prefix}_r2": float(1.0 - np.sum(residual**2) / total) if total > 0 else 0.0,
    }


def table_regression_metrics(
    points: pd.DataFrame, train: pd.DataFrame, test: pd.DataFrame, preprocessing: str
) -> dict[str, float]:
    """MSE, MAE and R² of the model, of scikit-learn's linear regression and of the train
    mean, on the same split and preprocessing."""
    from sklearn.linear_model import LinearRegression

    y_test = test["y"].to_numpy()
    linreg = baseline(LinearRegression(), preprocessing)
    linreg.fit(tables.features(train), train["y"].to_numpy())
    mean = np.full(len(y_test), train["y"].mean())
    return {
        **regression_scores("test", points["predicted"].to_numpy(), y_test),
        **regression_scores("linreg", linreg.predict(tables.features(test)), y_test),
        **regression_scores("mean", mean, y_test),
    }


def metrics_of(
    experiment: Experiment, points: pd.DataFrame, train: pd.DataFrame, test: pd.DataFrame
) -> dict[str, float]:
    """The metrics of an experiment's kind: its task, and a table or synthetic data."""
    if not experiment.table:
        if experiment.task == Task.CLASSIFICATION:
            return classification_metrics(points, train, test)
        return regression_metrics(points, test)
    table_metrics = {
        Task.CLASSIFICATION: table_classification_metrics,
        Task.REGRESSION: table_regression_metrics,
    }[experiment.task]
    return table_metrics(points, train, test, experiment.model.preprocessing)


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
        __doc__, "settings", "weights", "train", "test", "metrics", "points", "worked_example"
    )
    experiment = read_stage_settings(args.settings, "evaluate")
    weights = inference.read_weights(args.weights)
    train = tables.read_table(args.train, experiment.task)
    test = tables.read_table(args.test, experiment.task)
    schema = tables.read_schema(args.test, test)
    inference.check_fits(weights, tables.features(test), args.weights)
    scores_z = inference.scores(weights, tables.features(test))
    outputs = inference.activate(weights, scores_z)
    points = points_table(scores_z, outputs, test, experiment.task, schema)
    metrics = round_metrics(metrics_of(experiment, points, train, test))
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
