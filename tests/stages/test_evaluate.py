"""stages.evaluate: the model's test metrics, beside the split's baselines it is given."""

import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn import metrics as sk

from bench.workspace import REPO, pipeline_env
from pipeline import activations, datasets
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
SYNTHETIC = datasets.default_schema(2, 3)
NAMES = datasets.Schema(("a", "b"), "kind", ("red", "green", "blue"))


def classify(scores_z, test, schema=SYNTHETIC):
    """The stage's classification metrics, from the per-point table it writes."""
    probabilities = activations.softmax(scores_z)
    points = evaluate.points_table(scores_z, probabilities, test, "classification", schema)
    return evaluate.metrics_of(Task.CLASSIFICATION, points, probabilities, schema, {})


@pytest.fixture
def held_out():
    X = np.array([[0.1, 0.0], [1.4, 0.2], [0.3, 1.0], [2.0, -0.5]])
    return datasets.make_table(X, Y_TEST, ORACLE_TEST, np.eye(3)[Y_TEST])


def test_classification_metrics_hand_made(held_out):
    metrics = classify(np.log(PROBABILITIES), held_out)

    assert list(metrics) == [
        "test_accuracy",
        "test_balanced_accuracy",
        "test_macro_f1",
        "test_loss",
        "test_precision",
        "test_recall",
    ]
    assert metrics["test_accuracy"] == 0.75
    manual_loss = -np.mean(np.log([0.7, 0.8, 0.2, 0.6]))
    assert metrics["test_loss"] == pytest.approx(manual_loss, rel=1e-6)
    assert metrics["test_loss"] == pytest.approx(sk.log_loss(Y_TEST, PROBABILITIES), rel=1e-6)
    assert metrics["test_balanced_accuracy"] == pytest.approx(2 / 3, rel=1e-6)  # recalls 1, 1, 0
    # F1: class 0 2*1/(1+2), class 1 2*2/(2+2), class 2 0
    assert metrics["test_macro_f1"] == pytest.approx(5 / 9, rel=1e-6)
    # The synthetic blobs' classes are named by their labels; class 2 is never predicted: 0.
    assert metrics["test_precision"] == {"0": 0.5, "1": 1.0, "2": 0.0}
    assert metrics["test_recall"] == {"0": 1.0, "1": 1.0, "2": 0.0}


def test_a_tables_classes_are_named_and_scored_as_scikit_learn_does():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=40)
    scores_z = rng.normal(size=(40, 3)) + 1.5 * np.eye(3)[y]
    test = datasets.make_table(rng.normal(size=(40, 2)), y, None, np.eye(3)[y])
    metrics = classify(scores_z, test, NAMES)
    predicted = scores_z.argmax(axis=1)
    assert 0.5 < metrics["test_accuracy"] < 1
    assert metrics["test_balanced_accuracy"] == pytest.approx(
        sk.balanced_accuracy_score(y, predicted), rel=1e-6
    )
    assert metrics["test_macro_f1"] == pytest.approx(
        sk.f1_score(y, predicted, average="macro"), rel=1e-6
    )
    for key, score in (("test_precision", sk.precision_score), ("test_recall", sk.recall_score)):
        expected = score(y, predicted, average=None, zero_division=0)
        assert list(metrics[key]) == ["red", "green", "blue"]
        assert list(metrics[key].values()) == pytest.approx(expected, rel=1e-6)


def test_two_classes_have_the_roc_auc_of_the_second_class_probability():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, size=30)
    scores_z = np.round(rng.normal(size=(30, 2)) + np.eye(2)[y], 1)  # rounded: some ties
    test = datasets.make_table(rng.normal(size=(30, 2)), y, None, np.eye(2)[y])
    schema = datasets.Schema(("a", "b"), "diagnosis", ("malignant", "benign"))
    metrics = classify(scores_z, test, schema)
    expected = sk.roc_auc_score(y, activations.softmax(scores_z)[:, 1])
    assert 0.5 < expected < 1
    assert metrics["test_roc_auc"] == pytest.approx(expected, rel=1e-6)
    assert list(metrics["test_precision"]) == ["malignant", "benign"]


def test_classification_loss_with_a_class_absent_from_the_test_set(held_out):
    # Four output columns, but no test point of class 3: the loss still uses all four.
    probabilities = np.hstack([PROBABILITIES * 0.9, np.full((4, 1), 0.1)])
    metrics = classify(np.log(probabilities), held_out, datasets.default_schema(2, 4))
    assert metrics["test_loss"] == pytest.approx(
        -np.mean(np.log(0.9 * np.array([0.7, 0.8, 0.2, 0.6]))), rel=1e-6
    )
    assert metrics["test_accuracy"] == 0.75
    # Class 3 has no point and is never predicted: its keys stay, at 0.
    assert metrics["test_precision"]["3"] == metrics["test_recall"]["3"] == 0.0


@pytest.mark.parametrize("schema", [None, datasets.Schema(("size",), "price")])
def test_regression_metrics_by_hand(schema):
    # The notebook's curve (x in its points) and a table's regression: the same metrics.
    test = datasets.make_table(
        np.array([[0.0], [1.0], [2.0]]), np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0])
    )
    predictions = np.array([[0.0], [2.5], [4.0]])
    points = evaluate.points_table(predictions, predictions, test, "regression", schema)
    schema = schema or datasets.schema_of_synthetic(test)
    metrics = evaluate.metrics_of(Task.REGRESSION, points, predictions, schema, {})
    assert metrics == {
        "test_mse": pytest.approx(1.25 / 3, rel=1e-6),
        "test_rmse": pytest.approx(np.sqrt(1.25 / 3), rel=1e-6),
        "test_mae": pytest.approx(1.5 / 3, rel=1e-6),
        "test_r2": pytest.approx(1 - 1.25 / (42 / 9), rel=1e-6),  # actual mean 7/3
    }
    assert metrics["test_mse"] == pytest.approx(points["squared_error"].mean(), rel=1e-6)


def test_the_metrics_file_holds_the_models_metrics_and_the_split_baselines(held_out):
    points = evaluate.points_table(np.log(PROBABILITIES), PROBABILITIES, held_out, "classification")
    limits = {"bayes_accuracy": 0.75, "logreg_accuracy": 1 / 3, "majority_accuracy": 0.5}
    metrics = evaluate.metrics_of(Task.CLASSIFICATION, points, PROBABILITIES, SYNTHETIC, limits)
    assert metrics == {
        "test_accuracy": 0.75,
        "test_balanced_accuracy": 0.666667,
        "test_macro_f1": 0.555556,
        "test_loss": pytest.approx(-np.mean(np.log([0.7, 0.8, 0.2, 0.6])), rel=1e-6),
        "test_precision": {"0": 0.5, "1": 1.0, "2": 0.0},
        "test_recall": {"0": 1.0, "1": 1.0, "2": 0.0},
        "bayes_accuracy": 0.75,
        "logreg_accuracy": 0.333333,
        "majority_accuracy": 0.5,
    }


def test_round_metrics_keeps_six_significant_digits_nested_too():
    rounded = evaluate.round_metrics(
        {
            "a": 0.123456789,
            "b": 123456789.0,
            "c": 1 / 3,
            "d": 0.000123456789,
            "e": 0.75,
            "f": 1,
            "g": {"x": 2 / 3, "y": 1},
        }
    )
    assert rounded == {
        "a": 0.123457,
        "b": 123457000.0,
        "c": 0.333333,
        "d": 0.000123457,
        "e": 0.75,
        "f": 1.0,
        "g": {"x": 0.666667, "y": 1.0},
    }
    numbers = [value for value in rounded.values() if not isinstance(value, dict)]
    assert all(type(v) is float for v in [*numbers, *rounded["g"].values()])


def test_class_labels_are_a_tables_names_or_the_synthetic_labels():
    assert evaluate.class_labels(NAMES, 3) == ["red", "green", "blue"]
    assert evaluate.class_labels(SYNTHETIC, 3) == [0, 1, 2]
    assert evaluate.class_labels(datasets.default_schema(2, 2), 4) == [0, 1, 2, 3]


CLASSIFIED = {"test_accuracy": 0.631579, "majority_accuracy": 0.631579}
REGRESSED = {"test_mse": 8213.4, "test_r2": -2.64, "mean_mse": 2259.1, "mean_r2": -0.0106}


def test_a_model_no_better_than_the_majority_class_is_one_warning_line():
    assert evaluate.naive_warning("cancer", Task.CLASSIFICATION, CLASSIFIED) == (
        "warning: cancer: test_accuracy 0.631579 is no better than always predicting the train "
        "split's most common class (majority_accuracy 0.631579); the gate fails it"
    )
    worse = CLASSIFIED | {"test_accuracy": 0.5}
    assert "test_accuracy 0.5 " in evaluate.naive_warning("cancer", Task.CLASSIFICATION, worse)
    better = CLASSIFIED | {"test_accuracy": 0.631580}
    assert evaluate.naive_warning("cancer", Task.CLASSIFICATION, better) is None


def test_a_model_no_better_than_the_train_mean_is_one_warning_line():
    assert evaluate.naive_warning("diabetes", Task.REGRESSION, REGRESSED) == (
        "warning: diabetes: test_mse 8213.4 (test_r2 -2.64) is no better than predicting the "
        "train mean (mean_mse 2259.1, mean_r2 -0.0106); the gate fails it"
    )
    equal = REGRESSED | {"test_mse": 2259.1}
    assert evaluate.naive_warning("diabetes", Task.REGRESSION, equal).count("\n") == 0
    better = REGRESSED | {"test_mse": 2259.0}
    assert evaluate.naive_warning("diabetes", Task.REGRESSION, better) is None


def test_no_warning_without_the_naive_baseline():
    classified = {"test_accuracy": 0.1}
    assert evaluate.naive_warning("e", Task.CLASSIFICATION, classified) is None
    assert evaluate.naive_warning("e", Task.REGRESSION, {"test_mse": 9.0, "test_r2": -1}) is None


def test_the_points_table_has_each_points_prediction_and_loss(held_out):
    table = evaluate.points_table(np.log(PROBABILITIES), PROBABILITIES, held_out, "classification")
    assert list(table.columns) == ["actual", "predicted", "loss"]
    assert table["actual"].tolist() == Y_TEST.tolist()
    assert table["predicted"].tolist() == [0, 1, 0, 1]
    assert table["loss"].to_numpy() == pytest.approx(-np.log([0.7, 0.8, 0.2, 0.6]), rel=1e-12)

    regression = datasets.make_table(
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


# The stage run as dvc.yaml runs it, reporting at the end which scikit-learn modules it loaded.
LOADED_SKLEARN = """
import runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
finally:
    print(sorted(name for name, module in sys.modules.items()
                 if name.split(".")[0] == "sklearn" and module is not None))
"""


def run_evaluate(tmp_path, weights, test, schema, baselines):
    """Run the stage on a table of its own, in a fresh process (it must not load scikit-learn)."""
    paths = {name: tmp_path / name for name in ("settings.json", "weights.json", "test.parquet")}
    task = Task.REGRESSION if schema.classes is None else Task.CLASSIFICATION
    paths["settings.json"].write_text(json.dumps({"name": "mine", "task": task, "table": True}))
    paths["weights.json"].write_text(json.dumps(weights))
    datasets.write_table(test, paths["test.parquet"], schema)
    (tmp_path / "baselines.json").write_text(json.dumps(baselines))
    arguments = {
        "settings": paths["settings.json"],
        "weights": paths["weights.json"],
        "test": paths["test.parquet"],
        "baselines": tmp_path / "baselines.json",
        "metrics": tmp_path / "metrics.json",
        "points": tmp_path / "points.csv",
        "worked-example": tmp_path / "example.md",
    }
    options = [part for key, path in arguments.items() for part in (f"--{key}", str(path))]
    return subprocess.run(
        [sys.executable, "-c", LOADED_SKLEARN, "stages", "evaluate", *options],
        cwd=REPO,
        env=pipeline_env(),
        capture_output=True,
        text=True,
    )


def test_the_stage_warns_in_one_line_when_the_model_is_worse_than_the_train_mean(tmp_path):
    # y = x, but the model predicts -x: far worse than the train mean.
    schema = datasets.Schema(("size",), "price")
    weights = {
        "layers": [{"name": "wx_b", "kernel": [[-1.0]], "bias": [0.0], "activation": "linear"}],
        "output_activation": "linear",
        **{"features": ["size"], "target": "price", "classes": None, "dropped": []},
    }
    x = np.array([1.0, 2.0, 3.0, 4.0])
    baselines = {"mean_mse": 1.25, "mean_r2": 0.0, "linreg_mse": 0.0}
    result = run_evaluate(
        tmp_path, weights, datasets.make_table(x[:, None], x, None), schema, baselines
    )
    assert result.returncode == 0, result.stderr
    # -x against x: squared errors 4, 16, 36, 64; the actual values' spread 5
    assert result.stderr.splitlines() == [
        "warning: mine: test_mse 30 (test_r2 -23) is no better than predicting the train mean "
        "(mean_mse 1.25, mean_r2 0); the gate fails it"
    ]
    assert result.stdout.splitlines()[-1] == "[]"  # no scikit-learn
    written = json.loads((tmp_path / "metrics.json").read_text())
    assert list(written) == sorted(written)
    assert written["test_rmse"] == pytest.approx(np.sqrt(30))


def test_the_stage_writes_each_class_by_name_and_no_warning_for_a_good_model(tmp_path):
    schema = datasets.Schema(("size",), "diagnosis", ("malignant", "benign"))
    weights = {
        "layers": [
            {"name": "wx_b", "kernel": [[-1.0, 1.0]], "bias": [0, 0], "activation": "linear"}
        ],
        "output_activation": "softmax",
        **{"features": ["size"], "target": "diagnosis", "classes": list(schema.classes)},
        "dropped": [],
    }
    x, y = np.array([-2.0, -1.0, 1.0, 0.5, -0.5]), np.array([0, 0, 1, 1, 1])
    test = datasets.make_table(x[:, None], y, None, np.eye(2)[y])
    result = run_evaluate(tmp_path, weights, test, schema, {"majority_accuracy": 0.6})
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines()[-1] == "[]"  # no scikit-learn
    written = (tmp_path / "metrics.json").read_text()
    metrics = json.loads(written)
    assert metrics["test_accuracy"] == 0.8  # -0.5 is called malignant
    assert metrics["test_precision"] == {"benign": 1.0, "malignant": 0.666667}
    assert metrics["test_recall"] == {"benign": 0.666667, "malignant": 1.0}
    assert metrics["test_roc_auc"] == 1.0  # the benign probability still ranks them all
    assert '\n  "test_precision": {\n    "benign": 1.0,\n' in written  # readable in a diff
