"""pipeline.scores: NumPy scores, each equal to scikit-learn's on the same points."""

import warnings

import numpy as np
import pytest
from sklearn import metrics

from pipeline import scores


def random_labels(seed, n_classes, n=60, absent_actual=(), absent_predicted=()):
    """Random actual and predicted labels 0..n_classes-1, right about half the time; the classes
    named are never actual, or never predicted."""
    rng = np.random.default_rng(seed)
    kept_actual = [c for c in range(n_classes) if c not in absent_actual]
    kept_predicted = [c for c in range(n_classes) if c not in absent_predicted]
    actual = rng.choice(kept_actual, size=n)
    guess = rng.choice(kept_predicted, size=n)
    right = rng.random(n) < 0.5
    predicted = np.where(right & np.isin(actual, kept_predicted), actual, guess)
    return actual, predicted


# (seed, classes, classes never actual, classes never predicted)
CASES = [
    (0, 2, (), ()),
    (1, 3, (), ()),
    (2, 5, (), ()),
    (3, 4, (2,), ()),  # a class only predicted
    (4, 4, (), (1,)),  # a class never predicted
    (5, 5, (0,), (0, 3)),  # both, and a class in neither
    (6, 3, (), (1, 2)),  # always the same class: a majority baseline
]


@pytest.mark.parametrize("seed, n_classes, absent_actual, absent_predicted", CASES)
def test_classification_scores_equal_scikit_learns(
    seed, n_classes, absent_actual, absent_predicted
):
    actual, predicted = random_labels(seed, n_classes, 60, absent_actual, absent_predicted)
    labels = list(range(n_classes))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn warns of the classes absent
        expected_balanced = metrics.balanced_accuracy_score(actual, predicted)
        expected_f1 = metrics.f1_score(actual, predicted, average="macro")
    assert scores.accuracy(actual, predicted) == pytest.approx(
        metrics.accuracy_score(actual, predicted), abs=1e-15
    )
    assert scores.balanced_accuracy(actual, predicted) == pytest.approx(expected_balanced, 1e-12)
    assert scores.macro_f1(actual, predicted) == pytest.approx(expected_f1, 1e-12)
    expected_precision = metrics.precision_score(
        actual, predicted, labels=labels, average=None, zero_division=0
    )
    expected_recall = metrics.recall_score(
        actual, predicted, labels=labels, average=None, zero_division=0
    )
    assert scores.precision(actual, predicted, n_classes) == pytest.approx(expected_precision)
    assert scores.recall(actual, predicted, n_classes) == pytest.approx(expected_recall)


def test_undefined_precision_and_recall_are_zero():
    # Class 2 has no points and is never predicted; class 1 is never predicted.
    actual, predicted = np.array([0, 0, 1, 3]), np.array([0, 3, 0, 3])
    assert scores.precision(actual, predicted, 4).tolist() == [0.5, 0.0, 0.0, 0.5]
    assert scores.recall(actual, predicted, 4).tolist() == [0.5, 0.0, 0.0, 1.0]


def test_balanced_accuracy_and_macro_f1_by_hand():
    # Class 0: 2 points, 1 right; class 1: 1 point, never predicted; class 2: only predicted.
    actual, predicted = np.array([0, 0, 1]), np.array([0, 2, 0])
    assert scores.balanced_accuracy(actual, predicted) == 0.25  # (1/2 + 0) / 2: class 2 out
    # F1: class 0 2*1/(2+2) = 0.5, classes 1 and 2 0: over the three seen
    assert scores.macro_f1(actual, predicted) == pytest.approx(0.5 / 3)
    # The largest label counts, whether actual or predicted.
    assert scores.balanced_accuracy(np.array([2, 2]), np.array([2, 0])) == 0.5
    assert scores.macro_f1(np.array([0, 0]), np.array([0, 2])) == pytest.approx((2 / 3) / 2)


@pytest.mark.parametrize("seed, decimals", [(0, 1), (1, 2), (2, 8), (3, 0)])
def test_roc_auc_equals_scikit_learns_with_ties(seed, decimals):
    rng = np.random.default_rng(seed)
    actual = rng.integers(0, 2, size=80)
    # Rounded scores tie often; shifted by class, so the area is not 0.5.
    score = np.round(rng.random(80) + 0.3 * actual, decimals)
    assert len(np.unique(score)) < 80 or decimals == 8
    expected = metrics.roc_auc_score(actual, score)
    assert scores.roc_auc(actual, score) == pytest.approx(expected, abs=1e-12)


def test_roc_auc_by_hand():
    actual = np.array([0, 1, 0, 1, 1])
    assert scores.roc_auc(actual, np.array([0.1, 0.9, 0.2, 0.8, 0.7])) == 1.0
    assert scores.roc_auc(actual, np.array([0.9, 0.1, 0.8, 0.2, 0.3])) == 0.0
    assert scores.roc_auc(actual, np.full(5, 0.5)) == 0.5  # all tied: half of each pair
    # Pairs (positive, negative): 0.9 beats both, 0.2 ties 0.2 and beats 0.1, 0.1 ties 0.1.
    assert scores.roc_auc(np.array([0, 0, 1, 1, 1]), np.array([0.1, 0.2, 0.9, 0.2, 0.1])) == (
        pytest.approx((2 + 1.5 + 0.5) / 6)
    )


def test_roc_auc_is_undefined_with_one_class():
    assert scores.roc_auc(np.array([1, 1, 1]), np.array([0.2, 0.4, 0.9])) is None
    assert scores.roc_auc(np.array([0, 0]), np.array([0.2, 0.4])) is None
    assert scores.roc_auc(np.array([0, 1]), np.array([0.2, 0.4])) == 1.0  # one of each suffices


def test_classification_scores_name_each_score_after_the_prefix():
    actual, predicted = np.array([0, 1, 1, 1]), np.array([0, 1, 0, 1])
    assert scores.classification_scores("m", actual, predicted) == {
        "m_accuracy": 0.75,
        "m_balanced_accuracy": pytest.approx((1 + 2 / 3) / 2),
        "m_macro_f1": pytest.approx((2 / 3 + 0.8) / 2),
    }
    with_score = scores.classification_scores("m", actual, predicted, np.array([0, 1, 0.5, 1]))
    assert list(with_score) == [
        "m_accuracy",
        "m_balanced_accuracy",
        "m_macro_f1",
        "m_roc_auc",
    ]
    assert with_score["m_roc_auc"] == 1.0
    # One class in the points: no ROC AUC, rather than an undefined value.
    one_class = scores.classification_scores("m", np.array([1, 1]), np.array([0, 1]), np.ones(2))
    assert list(one_class) == ["m_accuracy", "m_balanced_accuracy", "m_macro_f1"]


def test_per_class_scores_are_keyed_by_class_name():
    actual, predicted = np.array([0, 0, 1, 2]), np.array([0, 1, 1, 1])
    assert scores.per_class_scores("t", actual, predicted, ["a", "b", "c"]) == {
        "t_precision": {"a": 1.0, "b": pytest.approx(1 / 3), "c": 0.0},
        "t_recall": {"a": 0.5, "b": 1.0, "c": 0.0},
    }
    # A class with no point and no prediction still has its keys: the same names every run.
    absent = scores.per_class_scores("t", np.array([0, 1]), np.array([0, 1]), ["a", "b", "c"])
    assert absent == {
        "t_precision": {"a": 1.0, "b": 1.0, "c": 0.0},
        "t_recall": {"a": 1.0, "b": 1.0, "c": 0.0},
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_regression_scores_equal_scikit_learns(seed):
    rng = np.random.default_rng(seed)
    actual = rng.normal(10.0, 3.0, size=50)
    predicted = actual + rng.normal(0.5, 2.0, size=50)
    assert scores.regression_scores("m", actual, predicted) == {
        "m_mse": pytest.approx(metrics.mean_squared_error(actual, predicted), 1e-12),
        "m_rmse": pytest.approx(metrics.root_mean_squared_error(actual, predicted), 1e-12),
        "m_mae": pytest.approx(metrics.mean_absolute_error(actual, predicted), 1e-12),
        "m_r2": pytest.approx(metrics.r2_score(actual, predicted), 1e-12),
    }


def test_regression_scores_by_hand():
    found = scores.regression_scores("m", np.array([1.0, 2.0, 4.0]), np.array([0.0, 2.5, 4.0]))
    assert found == {
        "m_mse": pytest.approx(1.25 / 3),
        "m_rmse": pytest.approx(np.sqrt(1.25 / 3)),
        "m_mae": pytest.approx(0.5),
        "m_r2": pytest.approx(1 - 1.25 / (42 / 9)),  # actual mean 7/3
    }
    assert list(found) == ["m_mse", "m_rmse", "m_mae", "m_r2"]


def test_r2_of_a_small_spread_and_of_none():
    # The actual values' spread is 0.125 (below 1, above 0): R² is still computed.
    assert scores.r2(np.array([0.0, 0.5]), np.array([0.0, 0.25])) == 0.5
    # Worse than the mean: negative, without bound.
    assert scores.r2(np.array([0.0, 1.0]), np.array([1.0, 0.0])) == -3.0
    # No spread: 1 for exact predictions, else 0 (scikit-learn's r2_score, force_finite).
    assert scores.r2(np.array([2.0, 2.0]), np.array([2.0, 2.0])) == 1.0
    assert scores.r2(np.array([2.0, 2.0]), np.array([2.0, 3.0])) == 0.0
    assert metrics.r2_score([2.0, 2.0], [2.0, 3.0]) == 0.0
    # One point: no spread either (scikit-learn gives NaN, which no metrics file can hold).
    assert scores.r2(np.array([6.0]), np.array([3.0])) == 0.0
    assert scores.r2(np.array([6.0]), np.array([6.0])) == 1.0


def test_rmse_and_mae_are_in_the_targets_units():
    actual, predicted = np.array([0.0, 0.0]), np.array([3.0, -4.0])
    assert scores.mean_squared_error(actual, predicted) == 12.5
    assert scores.root_mean_squared_error(actual, predicted) == pytest.approx(np.sqrt(12.5))
    assert scores.mean_absolute_error(actual, predicted) == 3.5
