"""stages.evaluate: the model's test metrics beside the Bayes rule and logistic regression."""

import math

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from pipeline import activations, tables
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


def classify(scores_z, train, test):
    """The stage's classification metrics, from the per-point table it writes."""
    points = evaluate.points_table(scores_z, activations.softmax(scores_z), test, "classification")
    return evaluate.classification_metrics(points, train, test)


def overlapping_blobs(n, seed):
    """Three overlapping 2-d blobs (not separable, so logistic regression converges)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    centres = np.array([[0.0, 0.0], [1.5, 0.0], [0.0, 1.5]])
    X = centres[y] + rng.normal(size=(n, 2))
    return X, y


@pytest.fixture
def train_table():
    X, y = overlapping_blobs(45, seed=0)
    return tables.make_table(X, y, y, np.eye(3)[y])


@pytest.fixture
def held_out():
    X = np.array([[0.1, 0.0], [1.4, 0.2], [0.3, 1.0], [2.0, -0.5]])
    return tables.make_table(X, Y_TEST, ORACLE_TEST, np.eye(3)[Y_TEST])


def test_classification_metrics_hand_made(train_table, held_out):
    metrics = classify(np.log(PROBABILITIES), train_table, held_out)

    assert sorted(metrics) == ["bayes_accuracy", "logreg_accuracy", "test_accuracy", "test_loss"]
    assert metrics["test_accuracy"] == 0.75
    manual_loss = -np.mean(np.log([0.7, 0.8, 0.2, 0.6]))
    assert metrics["test_loss"] == pytest.approx(manual_loss, rel=1e-12)
    assert metrics["test_loss"] == pytest.approx(log_loss(Y_TEST, PROBABILITIES), rel=1e-12)
    assert metrics["bayes_accuracy"] == 0.75


def test_classification_loss_with_a_class_absent_from_the_test_set(train_table, held_out):
    # Four output columns, but no test point of class 3: the loss still uses all four.
    probabilities = np.hstack([PROBABILITIES * 0.9, np.full((4, 1), 0.1)])
    metrics = classify(np.log(probabilities), train_table, held_out)
    assert metrics["test_loss"] == pytest.approx(
        -np.mean(np.log(0.9 * np.array([0.7, 0.8, 0.2, 0.6])))
    )
    assert metrics["test_accuracy"] == 0.75


def test_bayes_accuracy_is_the_oracle_agreement(train_table):
    X, y = overlapping_blobs(20, seed=3)
    oracle = y.copy()
    oracle[[0, 5, 7]] = (oracle[[0, 5, 7]] + 1) % 3
    test = tables.make_table(X, y, oracle, np.eye(3)[y])
    probabilities = np.eye(3)[y] * 0.8 + 0.2 / 3  # a perfect model
    metrics = classify(np.log(probabilities), train_table, test)
    assert metrics["bayes_accuracy"] == pytest.approx(17 / 20)
    assert metrics["test_accuracy"] == 1.0


def test_logreg_accuracy_is_an_unregularised_logistic_regression(train_table):
    X_test, y_test = overlapping_blobs(30, seed=1)
    test = tables.make_table(X_test, y_test, y_test, np.eye(3)[y_test])
    probabilities = np.full((30, 3), 1 / 3)

    metrics = classify(np.log(probabilities), train_table, test)

    reference = LogisticRegression(C=np.inf, max_iter=1000)
    reference.fit(tables.features(train_table), train_table["y"].to_numpy())
    expected = reference.score(X_test, y_test)
    assert 0.0 <= metrics["logreg_accuracy"] <= 1.0
    assert metrics["logreg_accuracy"] == expected
    assert metrics["logreg_accuracy"] * 30 == pytest.approx(round(expected * 30))
    # Uniform probabilities: log loss log(3), argmax always class 0.
    assert metrics["test_loss"] == pytest.approx(math.log(3))
    assert metrics["test_accuracy"] == pytest.approx(np.mean(y_test == 0))


def test_regression_metrics_by_hand():
    test = tables.make_table(
        np.array([[0.0], [1.0], [2.0]]), np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0])
    )
    predictions = np.array([[0.0], [2.5], [4.0]])
    points = evaluate.points_table(predictions, predictions, test, "regression")

    metrics = evaluate.regression_metrics(points, test)

    assert metrics == {
        "test_mse": pytest.approx((1.0 + 0.25 + 0.0) / 3),
        "noise_floor_mse": pytest.approx((0.25 + 0.0 + 1.0) / 3),
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


def test_the_loss_of_huge_scores_is_exact_not_clipped(train_table, held_out):
    # learning_rate 1e9 gives scores like these; clipped probabilities would cap the loss at ~34.5.
    scores = np.array([[1e9, 0.0, -1e9], [0.0, 2e9, 0.0], [3e9, 0.0, 0.0], [0.0, 0.0, 1e9]])
    metrics = classify(scores, train_table, held_out)
    # true classes 0, 1, 2, 1: losses 0, 0, 3e9, 1e9
    assert metrics["test_loss"] == pytest.approx(1e9, rel=1e-12)
    assert metrics["test_accuracy"] == 0.5
