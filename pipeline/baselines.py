"""A split's limits and baselines: what its data allows, whatever model is trained on it.

They depend on the split alone, so the split stage computes them once (it has scikit-learn
loaded already) and the evaluate stage merges them into each metrics file: an edit of the
model reruns neither the fits nor scikit-learn's import. They are scored by pipeline.scores,
the model's own scores, so a baseline and the model are compared on the same definitions.
scikit-learn is imported inside the functions that fit.
"""

from typing import TYPE_CHECKING

import numpy as np

from pipeline import datasets, scores
from pipeline.tasks import Task

if TYPE_CHECKING:
    import pandas as pd


def standardized(estimator):
    """scikit-learn's usual pipeline for a table: each feature scaled, then the estimator."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), estimator)


def logistic_regression(table: bool):
    """A table's: scikit-learn's defaults on standardized features, as a user would run it; the
    synthetic blobs': unregularised on their raw features, their linear limit."""
    from sklearn.linear_model import LogisticRegression

    if table:
        return standardized(LogisticRegression(max_iter=1000))
    return LogisticRegression(C=np.inf, max_iter=1000)  # C=inf: no regularisation


def classification_baselines(
    train: "pd.DataFrame", test: "pd.DataFrame", table: bool
) -> dict[str, float]:
    """The train split's majority class and a logistic regression (with ROC AUC for two
    classes); for the synthetic blobs, the Bayes rule (the labels of the true centres) too."""
    X_train, y_train = datasets.features(train), train["y"].to_numpy()
    X_test, y_test = datasets.features(test), test["y"].to_numpy()
    majority = np.full(len(y_test), np.bincount(y_train).argmax())
    logreg = logistic_regression(table).fit(X_train, y_train)
    # The probability of the second class, as the model's ROC AUC uses.
    score = logreg.predict_proba(X_test)[:, 1] if datasets.n_classes(test) == 2 else None
    found = {
        **scores.classification_scores("majority", y_test, majority),
        **scores.classification_scores("logreg", y_test, logreg.predict(X_test), score),
    }
    if table:  # a table has no known Bayes rule: no limit is invented
        return found
    return found | scores.classification_scores("bayes", y_test, test["y_oracle"].to_numpy())


def regression_baselines(
    train: "pd.DataFrame", test: "pd.DataFrame", table: bool
) -> dict[str, float]:
    """Linear regression (standardized features) and the train mean; for the notebook's curve,
    the noise floor (the MSE of the noise-free function) too."""
    from sklearn.linear_model import LinearRegression

    y_test = test["y"].to_numpy()
    linreg = standardized(LinearRegression())
    linreg.fit(datasets.features(train), train["y"].to_numpy())
    mean = np.full(len(y_test), train["y"].mean())
    found = {
        **scores.regression_scores("linreg", y_test, linreg.predict(datasets.features(test))),
        **scores.regression_scores("mean", y_test, mean),
    }
    if table:
        return found
    return found | {
        "noise_floor_mse": scores.mean_squared_error(y_test, test["y_oracle"].to_numpy())
    }


def baselines_of(
    train: "pd.DataFrame", test: "pd.DataFrame", task: Task, table: bool
) -> dict[str, float]:
    """The limits and baselines of a split, for a user's table or the synthetic data."""
    if task == Task.CLASSIFICATION:
        return classification_baselines(train, test, table)
    return regression_baselines(train, test, table)
