"""A split's limits and baselines: what its data allows, whatever model is trained on it.

They depend on the split alone, so the split stage computes them once (it has scikit-learn
loaded already) and the evaluate stage merges them into each metrics file: an edit of the
model reruns neither the fits nor scikit-learn's import. scikit-learn is imported inside the
functions that fit, so that evaluate can use ``regression_scores`` without it.
"""

from typing import TYPE_CHECKING

import numpy as np

from pipeline import tables
from pipeline.tasks import Task

if TYPE_CHECKING:
    import pandas as pd


def regression_scores(prefix: str, predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """MSE, MAE and R² of predictions, named <prefix>_mse, _mae and _r2."""
    residual = actual - predicted
    total = np.sum((actual - actual.mean()) ** 2)
    return {
        f"{prefix}_mse": float(np.mean(residual**2)),
        f"{prefix}_mae": float(np.mean(np.abs(residual))),
        f"{prefix}_r2": float(1.0 - np.sum(residual**2) / total) if total > 0 else 0.0,
    }


def standardized(estimator):
    """scikit-learn's usual pipeline for a table: each feature scaled, then the estimator."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), estimator)


def synthetic_classification(train: "pd.DataFrame", test: "pd.DataFrame") -> dict[str, float]:
    """The Bayes rule (the labels of the true centres) and unregularised logistic regression:
    the limits of the synthetic blobs."""
    from sklearn.linear_model import LogisticRegression

    y_test = test["y"].to_numpy()
    logreg = LogisticRegression(C=np.inf, max_iter=1000)  # C=inf: no regularisation
    logreg.fit(tables.features(train), train["y"].to_numpy())
    return {
        "bayes_accuracy": float(np.mean(y_test == test["y_oracle"].to_numpy())),
        "logreg_accuracy": logreg.score(tables.features(test), y_test),
    }


def synthetic_regression(train: "pd.DataFrame", test: "pd.DataFrame") -> dict[str, float]:
    """The mean squared error of the noise-free function: the noise floor."""
    y_test = test["y"].to_numpy()
    return {"noise_floor_mse": float(np.mean((y_test - test["y_oracle"].to_numpy()) ** 2))}


def table_classification(train: "pd.DataFrame", test: "pd.DataFrame") -> dict[str, float]:
    """scikit-learn's logistic regression (its defaults, on standardized features, as a user
    would run it) and the majority class. A table has no known Bayes rule: no limit."""
    from sklearn.linear_model import LogisticRegression

    y_train, y_test = train["y"].to_numpy(), test["y"].to_numpy()
    logreg = standardized(LogisticRegression(max_iter=1000))
    logreg.fit(tables.features(train), y_train)
    majority = np.bincount(y_train).argmax()
    return {
        "logreg_accuracy": logreg.score(tables.features(test), y_test),
        "majority_accuracy": float(np.mean(y_test == majority)),
    }


def table_regression(train: "pd.DataFrame", test: "pd.DataFrame") -> dict[str, float]:
    """MSE, MAE and R² of scikit-learn's linear regression (standardized features) and of the
    train mean."""
    from sklearn.linear_model import LinearRegression

    y_test = test["y"].to_numpy()
    linreg = standardized(LinearRegression())
    linreg.fit(tables.features(train), train["y"].to_numpy())
    mean = np.full(len(y_test), train["y"].mean())
    return {
        **regression_scores("linreg", linreg.predict(tables.features(test)), y_test),
        **regression_scores("mean", mean, y_test),
    }


# Per kind of data (a user's table or not) and task.
BASELINES = {
    (False, Task.CLASSIFICATION): synthetic_classification,
    (False, Task.REGRESSION): synthetic_regression,
    (True, Task.CLASSIFICATION): table_classification,
    (True, Task.REGRESSION): table_regression,
}


def baselines_of(
    train: "pd.DataFrame", test: "pd.DataFrame", task: Task, table: bool
) -> dict[str, float]:
    """The limits and baselines of a split (BASELINES)."""
    return BASELINES[(table, task)](train, test)
