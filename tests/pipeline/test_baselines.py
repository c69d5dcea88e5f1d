"""pipeline.baselines: a split's limits and scikit-learn baselines, fitted on the split alone."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from pipeline import baselines, tables
from pipeline.tasks import Task


def overlapping_blobs(n, seed):
    """Three overlapping 2-d blobs (not separable, so logistic regression converges)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    centres = np.array([[0.0, 0.0], [1.5, 0.0], [0.0, 1.5]])
    return centres[y] + rng.normal(size=(n, 2)), y


def blobs_table(n, seed, oracle=None):
    X, y = overlapping_blobs(n, seed)
    return tables.make_table(X, y, y if oracle is None else oracle, np.eye(3)[y])


def test_bayes_accuracy_is_the_oracle_agreement():
    X, y = overlapping_blobs(20, seed=3)
    oracle = y.copy()
    oracle[[0, 5, 7]] = (oracle[[0, 5, 7]] + 1) % 3
    test = tables.make_table(X, y, oracle, np.eye(3)[y])
    limits = baselines.baselines_of(blobs_table(45, 0), test, Task.CLASSIFICATION, table=False)
    assert limits["bayes_accuracy"] == pytest.approx(17 / 20)


def test_logreg_accuracy_is_an_unregularised_logistic_regression():
    train, test = blobs_table(45, 0), blobs_table(30, 1)
    limits = baselines.baselines_of(train, test, Task.CLASSIFICATION, table=False)
    reference = LogisticRegression(C=np.inf, max_iter=1000)
    reference.fit(tables.features(train), train["y"].to_numpy())
    expected = reference.score(tables.features(test), test["y"].to_numpy())
    assert limits == {"bayes_accuracy": 1.0, "logreg_accuracy": expected}
    assert 0 < expected < 1 and expected * 30 == pytest.approx(round(expected * 30))


def test_the_noise_floor_is_the_mse_of_the_true_function():
    test = tables.make_table(
        np.array([[0.0], [1.0], [2.0]]), np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0])
    )
    limits = baselines.baselines_of(test, test, Task.REGRESSION, table=False)
    assert limits == {"noise_floor_mse": pytest.approx((0.25 + 0.0 + 1.0) / 3)}


def scaled(table, factor):
    """The table with its second feature scaled: regularised fits see a different problem."""
    X = tables.features(table).copy()
    X[:, 1] *= factor
    return tables.make_table(X, table["y"].to_numpy(), None, np.eye(3)[table["y"]])


def test_a_tables_classification_baselines_are_standardized_logreg_and_the_majority():
    train, test = scaled(blobs_table(45, 0), 1000), scaled(blobs_table(31, 1), 1000)
    limits = baselines.baselines_of(train, test, Task.CLASSIFICATION, table=True)
    reference = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    reference.fit(tables.features(train), train["y"].to_numpy())
    assert limits == {
        "logreg_accuracy": reference.score(tables.features(test), test["y"].to_numpy()),
        "majority_accuracy": pytest.approx(11 / 31),  # class 0: 0, 3, ..., 30 of 0..30
    }


def test_a_tables_regression_baselines_are_linear_regression_and_the_train_mean():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0], [4.0, 5.0]])
    y = np.array([1.0, 2.5, 3.0, 5.5, 6.0])
    train = pd.DataFrame({"x0": X[:4, 0], "x1": X[:4, 1], "y": y[:4]})
    test = pd.DataFrame({"x0": X[4:, 0], "x1": X[4:, 1], "y": y[4:]})
    limits = baselines.baselines_of(train, test, Task.REGRESSION, table=True)
    linreg = make_pipeline(StandardScaler(), LinearRegression()).fit(X[:4], y[:4])
    predicted = linreg.predict(X[4:])[0]
    assert limits["linreg_mse"] == pytest.approx((6.0 - predicted) ** 2)
    assert limits["linreg_mae"] == pytest.approx(abs(6.0 - predicted))
    assert limits["mean_mse"] == pytest.approx((6.0 - 3.0) ** 2)  # train mean 3.0
    assert limits["mean_r2"] == 0.0  # one test point: no spread to explain


def test_regression_scores_by_hand():
    scores = baselines.regression_scores("m", np.array([0.0, 2.5, 4.0]), np.array([1.0, 2.0, 4.0]))
    assert scores == {
        "m_mse": pytest.approx(1.25 / 3),
        "m_mae": pytest.approx(0.5),
        "m_r2": pytest.approx(1 - 1.25 / (42 / 9)),
    }


def test_regression_scores_r2_of_a_small_spread():
    # The actual values' spread is 0.125 (below 1, above 0): R² is still computed.
    scores = baselines.regression_scores("m", np.array([0.0, 0.25]), np.array([0.0, 0.5]))
    assert scores == {"m_mse": 0.03125, "m_mae": 0.125, "m_r2": 0.5}


def test_standardized_scales_each_feature_before_the_estimator():
    estimator = LinearRegression()
    steps = baselines.standardized(estimator).steps
    assert [type(step) for _, step in steps] == [StandardScaler, LinearRegression]
    assert steps[1][1] is estimator


@pytest.mark.parametrize(
    "table, params",
    [(False, {"C": np.inf, "max_iter": 1000}), (True, {"C": 1.0, "max_iter": 1000})],
)
def test_logistic_regressions_are_given_iterations_to_converge(monkeypatch, table, params):
    # Fits that stop at scikit-learn's default 100 iterations are not converged.
    fitted = []

    class Recorded(LogisticRegression):
        def fit(self, X, y, **kwargs):
            fitted.append({key: self.get_params()[key] for key in params})
            return super().fit(X, y, **kwargs)

    monkeypatch.setattr("sklearn.linear_model.LogisticRegression", Recorded)
    baselines.baselines_of(blobs_table(45, 0), blobs_table(30, 1), Task.CLASSIFICATION, table)
    assert fitted == [params]
