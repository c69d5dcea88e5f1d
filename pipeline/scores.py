"""Classification and regression scores in NumPy, one function per score.

The evaluate stage scores the model with them (it does not load scikit-learn: about 2 s per
process) and the split stage its baselines (pipeline.baselines), so a model and its baselines
are always scored by the same code. Each equals scikit-learn's function of the same concept
(tests/pipeline/test_scores.py compares them), with the undefined cases made explicit.
Labels are integers 0..k-1.
"""

import numpy as np


def accuracy(actual: np.ndarray, predicted: np.ndarray) -> float:
    """The share of points whose predicted label is the actual one."""
    return float(np.mean(actual == predicted))


def _hits(actual: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """Per class, its points predicted right."""
    return np.bincount(actual[actual == predicted], minlength=n_classes)


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """part / whole, and 0 where whole is 0 (scikit-learn's zero_division=0)."""
    return np.divide(part, whole, out=np.zeros(len(part)), where=whole > 0)


def precision(actual: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """Each class's precision (right / predicted as it); 0 for a class never predicted, as
    scikit-learn's precision_score(average=None, zero_division=0)."""
    predicted_count = np.bincount(predicted, minlength=n_classes)
    return _share(_hits(actual, predicted, n_classes), predicted_count)


def recall(actual: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """Each class's recall (right / its points); 0 for a class with no points, as
    scikit-learn's recall_score(average=None, zero_division=0)."""
    support = np.bincount(actual, minlength=n_classes)
    return _share(_hits(actual, predicted, n_classes), support)


def balanced_accuracy(actual: np.ndarray, predicted: np.ndarray) -> float:
    """The mean recall of the classes that have points (scikit-learn's
    balanced_accuracy_score: a class only predicted is left out)."""
    support = np.bincount(actual)
    return float(np.mean(recall(actual, predicted, len(support))[support > 0]))


def macro_f1(actual: np.ndarray, predicted: np.ndarray) -> float:
    """The mean F1 of the classes that have points or are predicted (scikit-learn's
    f1_score(average="macro")); a class with no right prediction scores 0."""
    # F1 = 2 precision recall / (precision + recall) = 2 hits / (its points + predicted as it)
    points_and_predicted = np.bincount(np.concatenate([actual, predicted]))
    hits = _hits(actual, predicted, len(points_and_predicted))
    seen = points_and_predicted > 0
    return float(np.mean(2 * hits[seen] / points_and_predicted[seen]))


def roc_auc(actual: np.ndarray, score: np.ndarray) -> float | None:
    """The area under the ROC curve of a score of class 1 against class 0: the chance that a
    point of class 1 scores above one of class 0, ties counting half (scikit-learn's
    roc_auc_score). None when the points hold one class only (undefined)."""
    positive = actual == 1
    n_positive = int(positive.sum())
    n_negative = len(actual) - n_positive
    if n_positive == 0 or n_negative == 0:
        return None
    # Mann-Whitney U from the ranks of the scores, tied scores sharing their mean rank.
    _, tie, tied = np.unique(score, return_inverse=True, return_counts=True)
    mean_rank = np.cumsum(tied) - (tied - 1) / 2
    above = mean_rank[tie][positive].sum() - n_positive * (n_positive + 1) / 2
    return float(above / (n_positive * n_negative))


def classification_scores(
    prefix: str, actual: np.ndarray, predicted: np.ndarray, score: np.ndarray | None = None
) -> dict[str, float]:
    """Accuracy, balanced accuracy and macro F1 of predicted labels, named <prefix>_accuracy,
    _balanced_accuracy and _macro_f1; given the score of class 1 (two classes), <prefix>_roc_auc
    too, when the points hold both classes."""
    found = {
        f"{prefix}_accuracy": accuracy(actual, predicted),
        f"{prefix}_balanced_accuracy": balanced_accuracy(actual, predicted),
        f"{prefix}_macro_f1": macro_f1(actual, predicted),
    }
    auc = None if score is None else roc_auc(actual, score)
    return found if auc is None else found | {f"{prefix}_roc_auc": auc}


def per_class_scores(
    prefix: str, actual: np.ndarray, predicted: np.ndarray, classes: list[str]
) -> dict[str, dict[str, float]]:
    """Each class's precision and recall by its name (label j is classes[j]):
    {<prefix>_precision: {name: value}, <prefix>_recall: {...}}, 0 where undefined."""
    precisions = precision(actual, predicted, len(classes))
    recalls = recall(actual, predicted, len(classes))
    return {
        f"{prefix}_precision": {name: float(precisions[j]) for j, name in enumerate(classes)},
        f"{prefix}_recall": {name: float(recalls[j]) for j, name in enumerate(classes)},
    }


def mean_squared_error(actual: np.ndarray, predicted: np.ndarray) -> float:
    """The mean of the squared errors."""
    return float(np.mean((actual - predicted) ** 2))


def root_mean_squared_error(actual: np.ndarray, predicted: np.ndarray) -> float:
    """In the target's units, unlike the MSE."""
    return float(np.sqrt(mean_squared_error(actual, predicted)))


def mean_absolute_error(actual: np.ndarray, predicted: np.ndarray) -> float:
    """The mean of the absolute errors, in the target's units."""
    return float(np.mean(np.abs(actual - predicted)))


def r2(actual: np.ndarray, predicted: np.ndarray) -> float:
    """1 - the squared error over the actual values' spread (scikit-learn's r2_score). Without
    spread: 1 for exact predictions, else 0 (also for one point, where scikit-learn gives NaN)."""
    error = np.sum((actual - predicted) ** 2)
    spread = np.sum((actual - actual.mean()) ** 2)
    if spread > 0:
        return float(1.0 - error / spread)
    return 1.0 if error == 0 else 0.0


# Each regression score by the suffix of its name.
REGRESSION_SCORES = {
    "mse": mean_squared_error,
    "rmse": root_mean_squared_error,
    "mae": mean_absolute_error,
    "r2": r2,
}


def regression_scores(prefix: str, actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """MSE, RMSE, MAE and R² of predictions, named <prefix>_mse, _rmse, _mae and _r2."""
    return {
        f"{prefix}_{name}": score(actual, predicted) for name, score in REGRESSION_SCORES.items()
    }
