"""Stage: score a trained model on the test split, beside the limits for the same split."""

import numpy as np
import pandas as pd

from pipeline import inference, tables, worked_example
from pipeline.files import write_atomic, write_json, write_text
from pipeline.settings import read_stage_settings
from stages import cli

SIGNIFICANT_DIGITS = 6  # metrics files stay readable in diffs


def round_metrics(metrics: dict[str, float]) -> dict[str, float]:
    return {name: float(f"{value:.{SIGNIFICANT_DIGITS}g}") for name, value in metrics.items()}


def classification_metrics(
    points: pd.DataFrame, train: pd.DataFrame, test: pd.DataFrame
) -> dict[str, float]:
    """Accuracy and mean loss of the model (from its per-point results); the Bayes rule and
    logistic regression on the same split."""
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


def points_table(
    scores_z: np.ndarray, outputs: np.ndarray, test: pd.DataFrame, task: str
) -> pd.DataFrame:
    """Each test point's actual and predicted value, and its loss (softmax cross-entropy, from
    the scores z) or squared error: the data of DVC's confusion and scatter charts, and of the
    gate's paired tests."""
    actual = test["y"].to_numpy()
    if task == "classification":
        return pd.DataFrame(
            {
                "actual": actual,
                "predicted": outputs.argmax(axis=1),
                "loss": inference.cross_entropy(scores_z, actual),
            }
        )
    predicted = outputs[:, 0]
    return pd.DataFrame(
        {
            "x": test["x0"].to_numpy(),
            "actual": actual,
            "predicted": predicted,
            "squared_error": (predicted - actual) ** 2,
        }
    )


def main() -> None:
    args = cli.parse_paths(
        __doc__, "settings", "weights", "train", "test", "metrics", "points", "worked_example"
    )
    experiment = read_stage_settings(args.settings, "evaluate")
    weights = inference.read_weights(args.weights)
    train = tables.read_table(args.train, experiment.task)
    test = tables.read_table(args.test, experiment.task)
    inference.check_fits(weights, tables.features(test), args.weights)
    scores_z = inference.scores(weights, tables.features(test))
    points = points_table(scores_z, inference.activate(weights, scores_z), test, experiment.task)
    if experiment.task == "classification":
        metrics = classification_metrics(points, train, test)
    else:
        metrics = regression_metrics(points, test)
    metrics = round_metrics(metrics)
    write_json(args.metrics, metrics)
    write_atomic(args.points, lambda tmp: points.to_csv(tmp, index=False))
    # The text's worked example, on the first test point.
    example = worked_example.explain_point(
        weights, tables.features(test)[0], test["y"].iloc[0], experiment.task
    )
    markdown = worked_example.worked_example_markdown(
        example, experiment.name, weights["output_activation"]
    )
    write_text(args.worked_example, markdown)
    print(f"{experiment.name}: {metrics}")


if __name__ == "__main__":
    cli.run(main)
