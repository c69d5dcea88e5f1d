"""pipeline.baselines: a split's limits and scikit-learn baselines, fitted on the split alone."""

import numpy as np
import pytest
from sklearn import metrics
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from pipeline import baselines, datasets
from pipeline.tasks import Task


def overlapping_blobs(n, seed, n_classes=3):
    """Overlapping 2-d blobs (not separable, so logistic regression converges)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    centres = np.array([[0.0, 0.0], [1.5, 0.0], [0.0, 1.5]])[:n_classes]
    return centres[y] + rng.normal(size=(n, 2)), y


def blobs_table(n, seed, oracle=None, n_classes=3):
    X, y = overlapping_blobs(n, seed, n_classes)
    return datasets.make_table(X, y, y if oracle is None else oracle, np.eye(n_classes)[y])


def scaled(table, factor):
    """The table with its second feature scaled: regularised fits see a different problem."""
    X = datasets.features(table).copy()
    X[:, 1] *= factor
    k = datasets.n_classes(table)
    return datasets.make_table(X, table["y"].to_numpy(), None, np.eye(k)[table["y"]])


def sklearn_scores(prefix, y_test, predicted):
    """scikit-learn's accuracy, balanced accuracy and macro F1, named as the baselines are."""
    return {
        f"{prefix}_accuracy": pytest.approx(metrics.accuracy_score(y_test, predicted)),
        f"{prefix}_balanced_accuracy": pytest.approx(
            metrics.balanced_accuracy_score(y_test, predicted)
        ),
        f"{prefix}_macro_f1": pytest.approx(metrics.f1_score(y_test, predicted, average="macro")),
    }


def test_bayes_scores_are_the_oracles_agreement():
    X, y = overlapping_blobs(20, seed=3)
    oracle = y.copy()
    oracle[[0, 5, 7]] = (oracle[[0, 5, 7]] + 1) % 3
    test = datasets.make_table(X, y, oracle, np.eye(3)[y])
    limits = baselines.baselines_of(blobs_table(45, 0), test, Task.CLASSIFICATION, table=False)
    assert limits["bayes_accuracy"] == pytest.approx(17 / 20)
    # y = 0, 1, 2, 0, ...: the points 0, 5 and 7 are of classes 0, 2 and 1
    assert limits["bayes_balanced_accuracy"] == pytest.approx((6 / 7 + 6 / 7 + 5 / 6) / 3)
    assert {key: limits[key] for key in sklearn_scores("bayes", y, oracle)} == sklearn_scores(
        "bayes", y, oracle
    )


def test_the_synthetic_blobs_baselines_are_unregularised_logreg_majority_and_bayes():
    train, test = blobs_table(45, 0), blobs_table(30, 1)
    limits = baselines.baselines_of(train, test, Task.CLASSIFICATION, table=False)
    reference = LogisticRegression(C=np.inf, max_iter=1000)
    reference.fit(datasets.features(train), train["y"].to_numpy())
    y_test = test["y"].to_numpy()
    predicted = reference.predict(datasets.features(test))
    expected = reference.score(datasets.features(test), y_test)
    assert limits == {
        **sklearn_scores("logreg", y_test, predicted),
        **sklearn_scores("majority", y_test, np.zeros(30, dtype=int)),  # 15, 15, 15: class 0
        "bayes_accuracy": 1.0,
        "bayes_balanced_accuracy": 1.0,
        "bayes_macro_f1": 1.0,
    }
    assert limits["logreg_accuracy"] == expected  # as the stage wrote it before: unchanged
    assert 0 < expected < 1 and expected * 30 == pytest.approx(round(expected * 30))
    assert limits["majority_accuracy"] == pytest.approx(1 / 3)
    assert limits["majority_balanced_accuracy"] == pytest.approx(1 / 3)
    assert limits["majority_macro_f1"] == pytest.approx((2 * 10 / 40) / 3)


def test_a_tables_classification_baselines_are_standardized_logreg_and_the_majority():
    train, test = scaled(blobs_table(45, 0), 1000), scaled(blobs_table(31, 1), 1000)
    limits = baselines.baselines_of(train, test, Task.CLASSIFICATION, table=True)
    reference = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    reference.fit(datasets.features(train), train["y"].to_numpy())
    y_test = test["y"].to_numpy()
    assert limits == {
        **sklearn_scores("logreg", y_test, reference.predict(datasets.features(test))),
        **sklearn_scores("majority", y_test, np.zeros(31, dtype=int)),
    }
    assert limits["logreg_accuracy"] == reference.score(datasets.features(test), y_test)
    assert limits["majority_accuracy"] == pytest.approx(11 / 31)  # class 0: 0, 3, ..., 30


def test_the_majority_is_the_train_splits_most_common_class():
    # Train: class 1 most common (not the first, nor the test split's most common).
    train = blobs_table(45, 0)
    train = train[(train["y"] != 0) | (train.index < 6)]  # 2 of class 0, 15 of 1 and of 2
    train = train[(train["y"] != 2) | (train.index < 30)]  # 10 of class 2
    test = blobs_table(30, 1)
    test = test[test["y"] != 1].reset_index(drop=True)  # no point of class 1
    limits = baselines.baselines_of(train, test, Task.CLASSIFICATION, table=True)
    assert limits["majority_accuracy"] == 0.0
    assert limits["majority_balanced_accuracy"] == 0.0
    assert limits["majority_macro_f1"] == 0.0


@pytest.mark.parametrize("table", [False, True])
def test_two_classes_have_the_logistic_regressions_roc_auc(table):
    train, test = blobs_table(40, 0, n_classes=2), blobs_table(30, 1, n_classes=2)
    if table:
        train, test = scaled(train, 1000), scaled(test, 1000)
    limits = baselines.baselines_of(train, test, Task.CLASSIFICATION, table=table)
    reference = baselines.logistic_regression(table)
    reference.fit(datasets.features(train), train["y"].to_numpy())
    # The probability of the second class, as the model's ROC AUC uses it.
    probability = reference.predict_proba(datasets.features(test))[:, 1]
    expected = metrics.roc_auc_score(test["y"], probability)
    assert limits["logreg_roc_auc"] == pytest.approx(expected, abs=1e-12)
    assert 0.5 < expected < 1  # neither side of the curve: the column matters
    assert [key for key in limits if "roc_auc" in key] == ["logreg_roc_auc"]


def test_more_than_two_classes_have_no_roc_auc():
    limits = baselines.baselines_of(
        blobs_table(45, 0), blobs_table(30, 1), Task.CLASSIFICATION, table=False
    )
    assert not [key for key in limits if "roc_auc" in key]


def regression_split():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0], [4.0, 5.0], [5.0, 3.0]])
    y = np.array([1.0, 2.5, 3.0, 5.5, 6.0, 7.5])
    oracle = np.array([1.0, 2.0, 3.0, 5.0, 6.5, 7.0])
    table = datasets.make_table(X, y, oracle)
    return table.iloc[:4], table.iloc[4:].reset_index(drop=True)


def test_a_tables_regression_baselines_are_linear_regression_and_the_train_mean():
    train, test = regression_split()
    train, test = train.drop(columns="y_oracle"), test.drop(columns="y_oracle")
    limits = baselines.baselines_of(train, test, Task.REGRESSION, table=True)
    linreg = make_pipeline(StandardScaler(), LinearRegression())
    linreg.fit(datasets.features(train), train["y"])
    predicted = linreg.predict(datasets.features(test))
    mean = np.full(2, 3.0)  # the train mean
    y_test = test["y"].to_numpy()
    expected = {}
    for prefix, guess in (("linreg", predicted), ("mean", mean)):
        expected |= {
            f"{prefix}_mse": pytest.approx(metrics.mean_squared_error(y_test, guess)),
            f"{prefix}_rmse": pytest.approx(metrics.root_mean_squared_error(y_test, guess)),
            f"{prefix}_mae": pytest.approx(metrics.mean_absolute_error(y_test, guess)),
            f"{prefix}_r2": pytest.approx(metrics.r2_score(y_test, guess)),
        }
    assert limits == expected
    assert limits["mean_mse"] == pytest.approx((9.0 + 20.25) / 2)
    assert limits["mean_r2"] == pytest.approx(1 - (9.0 + 20.25) / 1.125)


def test_the_notebooks_curve_keeps_its_noise_floor_beside_the_same_baselines():
    train, test = regression_split()
    limits = baselines.baselines_of(train, test, Task.REGRESSION, table=False)
    table_limits = baselines.baselines_of(train, test, Task.REGRESSION, table=True)
    assert limits == {**table_limits, "noise_floor_mse": pytest.approx((0.25 + 0.25) / 2)}


def test_one_test_point_has_an_r2_of_zero():
    train, test = regression_split()
    limits = baselines.baselines_of(train, test.iloc[:1], Task.REGRESSION, table=True)
    assert limits["mean_mse"] == 9.0
    assert limits["mean_r2"] == 0.0  # no spread to explain


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
