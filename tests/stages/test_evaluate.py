"""stages.evaluate: the model's test metrics, beside the split's baselines it is given."""

import numpy as np
import pytest
from sklearn.metrics import log_loss

from pipeline import activations, tables
from pipeline.settings import Experiment
from pipeline.tasks import Task
from stages import evaluate

# Four test points, three classes; the model gets the third one wrong.
PROBABILITIES = np.array(
    [
        [0.7, 0.2, 0.1],  # true 0, predicted 0
        [0.1, 0.8, 0.1],  # true 1, predicted 1
        [0.5, 0.3, 0.2],  # true 2, predicted 0
        [0.2, 0.6, 0.2],  # true 1, predicted 1
    ]
)
Y_TEST = np.array([0, 1, 2, 1])
ORACLE_TEST = np.array([0, 1, 1, 1])  # the Bayes rule misses the third point too


def classify(scores_z, test):
    """The stage's classification metrics, from the per-point table it writes."""
    points = evaluate.points_table(scores_z, activations.softmax(scores_z), test, "classification")
    return evaluate.classification_metrics(points)


@pytest.fixture
def held_out():
    X = np.array([[0.1, 0.0], [1.4, 0.2], [0.3, 1.0], [2.0, -0.5]])
    return tables.make_table(X, Y_TEST, ORACLE_TEST, np.eye(3)[Y_TEST])


def test_classification_metrics_hand_made(held_out):
    metrics = classify(np.log(PROBABILITIES), held_out)

    assert sorted(metrics) == ["test_accuracy", "test_loss"]
    assert metrics["test_accuracy"] == 0.75
    manual_loss = -np.mean(np.log([0.7, 0.8, 0.2, 0.6]))
    assert metrics["test_loss"] == pytest.approx(manual_loss, rel=1e-12)
    assert metrics["test_loss"] == pytest.approx(log_loss(Y_TEST, PROBABILITIES), rel=1e-12)


def test_classification_loss_with_a_class_absent_from_the_test_set(held_out):
    # Four output columns, but no test point of class 3: the loss still uses all four.
    probabilities = np.hstack([PROBABILITIES * 0.9, np.full((4, 1), 0.1)])
    metrics = classify(np.log(probabilities), held_out)
    assert metrics["test_loss"] == pytest.approx(
        -np.mean(np.log(0.9 * np.array([0.7, 0.8, 0.2, 0.6])))
    )
    assert metrics["test_accuracy"] == 0.75


def test_regression_metrics_by_hand():
    test = tables.make_table(
        np.array([[0.0], [1.0], [2.0]]), np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0])
    )
    predictions = np.array([[0.0], [2.5], [4.0]])
    points = evaluate.points_table(predictions, predictions, test, "regression")
    assert evaluate.regression_metrics(points) == {"test_mse": pytest.approx(1.25 / 3)}
    assert evaluate.table_regression_metrics(points) == {
        "test_mse": pytest.approx(1.25 / 3),
        "test_mae": pytest.approx(1.5 / 3),
        "test_r2": pytest.approx(1 - 1.25 / (42 / 9)),  # actual mean 7/3
    }


def test_the_metrics_file_holds_the_models_metrics_and_the_split_baselines(held_out):
    points = evaluate.points_table(np.log(PROBABILITIES), PROBABILITIES, held_out, "classification")
    experiment = Experiment(name="e", task=Task.CLASSIFICATION)
    limits = {"bayes_accuracy": 0.75, "logreg_accuracy": 1 / 3}
    assert evaluate.metrics_of(experiment, points, limits) == {
        "test_accuracy": 0.75,
        "test_loss": pytest.approx(-np.mean(np.log([0.7, 0.8, 0.2, 0.6])), rel=1e-6),
        "bayes_accuracy": 0.75,
        "logreg_accuracy": 0.333333,
    }


def test_round_metrics_keeps_six_significant_digits():
    rounded = evaluate.round_metrics(
        {
            "a": 0.123456789,
            "b": 123456789.0,
            "c": 1 / 3,
            "d": 0.000123456789,
            "e": 0.75,
            "f": 1,
        }
    )
    assert rounded == {
        "a": 0.123457,
        "b": 123457000.0,
        "c": 0.333333,
        "d": 0.000123457,
        "e": 0.75,
        "f": 1.0,
    }
    assert all(type(v) is float for v in rounded.values())


def test_the_points_table_has_each_points_prediction_and_loss(held_out):
    table = evaluate.points_table(np.log(PROBABILITIES), PROBABILITIES, held_out, "classification")
    assert list(table.columns) == ["actual", "predicted", "loss"]
    assert table["actual"].tolist() == Y_TEST.tolist()
    assert table["predicted"].tolist() == [0, 1, 0, 1]
    assert table["loss"].to_numpy() == pytest.approx(-np.log([0.7, 0.8, 0.2, 0.6]), rel=1e-12)

    regression = tables.make_table(
        np.array([[0.5], [1.5]]), np.array([0.2, 0.4]), np.array([0.25, 0.35])
    )
    outputs = np.array([[0.3], [0.1]])
    table = evaluate.points_table(outputs, outputs, regression, "regression")
    assert list(table.columns) == ["x", "actual", "predicted", "squared_error"]
    assert table.to_numpy() == pytest.approx(
        np.array([[0.5, 0.2, 0.3, 0.01], [1.5, 0.4, 0.1, 0.09]]), rel=1e-12
    )


def test_the_loss_of_huge_scores_is_exact_not_clipped(held_out):
    # learning_rate 1e9 gives scores like these; clipped probabilities would cap the loss at ~34.5.
    scores = np.array([[1e9, 0.0, -1e9], [0.0, 2e9, 0.0], [3e9, 0.0, 0.0], [0.0, 0.0, 1e9]])
    metrics = classify(scores, held_out)
    # true classes 0, 1, 2, 1: losses 0, 0, 3e9, 1e9
    assert metrics["test_loss"] == pytest.approx(1e9, rel=1e-12)
    assert metrics["test_accuracy"] == 0.5
