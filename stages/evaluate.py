"""Stage: score a trained model on the test split, beside the limits for the same split."""

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, mean_squared_error

from keras_blobs import activations, inference, tables, worked_example
from keras_blobs.files import write_atomic, write_json, write_text
from keras_blobs.settings import read_stage_settings
from stages import cli

SIGNIFICANT_DIGITS = 6  # metrics files stay readable in diffs


def round_metrics(metrics: dict[str, float]) -> dict[str, float]:
    return {name: float(f"{value:.{SIGNIFICANT_DIGITS}g}") for name, value in metrics.items()}


def classification_metrics(
    scores_z: np.ndarray, train: pd.DataFrame, test: pd.DataFrame
) -> dict[str, float]:
    """Accuracy and loss of the model (from its scores z); the Bayes rule and logistic
    regression on the same split."""
    y_test = test["y"].to_numpy()
    probabilities = activations.softmax(scores_z)
    logreg = LogisticRegression(C=np.inf, max_iter=1000)  # C=inf: no regularisation
    logreg.fit(tables.features(train), train["y"].to_numpy())
    return {
        "test_accuracy": accuracy_score(y_test, probabilities.argmax(axis=1)),
        "test_loss": inference.mean_cross_entropy(scores_z, y_test),
        "bayes_accuracy": accuracy_score(y_test, test["y_oracle"].to_numpy()),
        "logreg_accuracy": logreg.score(tables.features(test), y_test),
    }


def regression_metrics(predictions: np.ndarray, test: pd.DataFrame) -> dict[str, float]:
    """Mean squared error of the model and of the noise-free function (the noise floor)."""
    y_test = test["y"].to_numpy()
    return {
        "test_mse": mean_squared_error(y_test, predictions[:, 0]),
        "noise_floor_mse": mean_squared_error(y_test, test["y_oracle"].to_numpy()),
    }


def predictions_table(outputs: np.ndarray, test: pd.DataFrame, task: str) -> pd.DataFrame:
    """Per-sample actual and predicted values, the data of DVC's confusion and scatter charts."""
    if task == "classification":
        return pd.DataFrame({"actual": test["y"], "predicted": outputs.argmax(axis=1)})
    return pd.DataFrame({"x": test["x0"], "actual": test["y"], "predicted": outputs[:, 0]})


def main() -> None:
    args = cli.parse_paths(
        __doc__, "settings", "weights", "train", "test", "metrics", "predictions", "worked_example"
    )
    experiment = read_stage_settings(args.settings, "evaluate")
    weights = inference.read_weights(args.weights)
    train = tables.read_table(args.train, experiment.task)
    test = tables.read_table(args.test, experiment.task)
    inference.check_fits(weights, tables.features(test), args.weights)
    outputs = inference.predict(weights, tables.features(test))
    if experiment.task == "classification":
        metrics = classification_metrics(
            inference.scores(weights, tables.features(test)), train, test
        )
    else:
        metrics = regression_metrics(outputs, test)
    metrics = round_metrics(metrics)
    write_json(args.metrics, metrics)
    predictions = predictions_table(outputs, test, experiment.task)
    write_atomic(args.predictions, lambda tmp: predictions.to_csv(tmp, index=False))
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
