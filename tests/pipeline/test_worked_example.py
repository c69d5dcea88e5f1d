"""The text's worked example: scores, softmax and loss, on the trained model and on the text."""

import numpy as np
import pytest

from pipeline import worked_example

# A linear softmax classifier with 4 features and 3 classes, as in the text (W is 3 x 4).
W = np.array([[0.2, -0.5, 0.1, 2.0], [1.5, 1.3, 2.1, 0.0], [0.0, 0.25, 0.2, -0.3]])
b = np.array([1.1, 3.2, -1.2])
WEIGHTS = {
    "layers": [{"kernel": W.T.tolist(), "bias": b.tolist(), "activation": "linear"}],
    "output_activation": "softmax",
}


def test_worked_example_matches_a_direct_numpy_computation():
    x = np.array([-15.0, 22.0, -44.0, 56.0])
    example = worked_example.explain_point(WEIGHTS, x, 2, "classification")
    z = W @ x + b
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    np.testing.assert_allclose(example["scores"], z)
    np.testing.assert_allclose(example["probabilities"], p)
    assert example["true_class"] == 2
    assert example["p_true"] == pytest.approx(p[2])
    assert example["loss"] == pytest.approx(-np.log(p[2]))


def test_the_texts_numbers_through_the_same_code_path():
    # Scores whose softmax gives the true class (index 2) probability 0.353, as in the text.
    z = np.log([0.4, 0.247, 0.353])
    example = worked_example.explain_scores(z, true_class=2)
    assert example["p_true"] == pytest.approx(0.353)
    assert round(example["loss"], 2) == 1.04
    assert worked_example.cross_entropy(0.353) == pytest.approx(1.0413, abs=1e-4)


def test_the_probabilities_are_computed_in_float64_even_from_float32_scores():
    z = np.array([3.3, 4.7, -1.5], dtype=np.float32)  # as a float32 Keras model gives them
    example = worked_example.explain_scores(z, true_class=1)
    z64 = z.astype(float)
    p = np.exp(z64 - z64.max()) / np.exp(z64 - z64.max()).sum()
    np.testing.assert_allclose(example["probabilities"], p, rtol=1e-15)
    assert example["scores"] == [float(v) for v in z]


def test_regression_example():
    weights = {
        "layers": [{"kernel": [[-1.0]], "bias": [0.5], "activation": "linear"}],
        "output_activation": "sigmoid",
    }
    example = worked_example.explain_point(weights, np.array([2.0]), 0.25, "regression")
    prediction = 1 / (1 + np.exp(1.5))
    assert example == {
        "x": [2.0],
        "scores": [-1.5],
        "prediction": pytest.approx(prediction, rel=1e-15),
        "target": 0.25,
        "squared_error": pytest.approx((prediction - 0.25) ** 2, rel=1e-14),
    }


def test_markdown_table_of_a_classification_example():
    example = worked_example.explain_point(
        WEIGHTS, np.array([1.0, 0.0, 0.0, 1.0]), 1, "classification"
    )
    # z = W.x + b = [3.3, 4.7, -1.5]; softmax(z) = [0.1975, 0.8009, 0.0016].
    assert worked_example.worked_example_markdown(example, "text", "softmax") == (
        "# text: worked example on the trained model\n"
        "\n"
        "| quantity | value |\n"
        "|---|---|\n"
        "| x (a test point) | [1.0000, 0.0000, 0.0000, 1.0000] |\n"
        "| z = W.x + b (scores) | [3.3000, 4.7000, -1.5000] |\n"
        "| softmax(z) | [0.1975, 0.8009, 0.0016] |\n"
        "| true class | 1 |\n"
        "| p_true | 0.8009 |\n"
        "| loss = -log p_true | 0.2220 |\n"
    )


def test_markdown_table_of_a_regression_example():
    example = {
        "x": [2.0],
        "scores": [-1.5],
        "prediction": 0.18242552,
        "target": 0.25,
        "squared_error": 0.00456631,
    }
    assert worked_example.worked_example_markdown(example, "curve", "sigmoid") == (
        "# curve: worked example on the trained model\n"
        "\n"
        "| quantity | value |\n"
        "|---|---|\n"
        "| x (a test point) | [2.0000] |\n"
        "| z = w.x + b | -1.5000 |\n"
        "| prediction = sigmoid(z) | 0.1824 |\n"
        "| target y | 0.2500 |\n"
        "| squared error | 0.004566 |\n"
    )


# A regression whose target was standardized: mean 150, spread 80 (float32 values).
RESCALED = {
    "layers": [{"kernel": [[-1.0]], "bias": [0.5], "activation": "linear"}],
    "output_activation": "linear",
    "unstandardize_target": {"mean": 150.0, "scale": 80.0},
}


def test_a_standardized_targets_example_shows_the_output_and_the_prediction_in_units():
    example = worked_example.explain_point(RESCALED, np.array([2.0]), 30.0, "regression")
    assert example == {
        "x": [2.0],
        "scores": [-1.5],
        "output": -1.5,
        "target_mean": 150.0,
        "target_scale": 80.0,
        "prediction": 30.0,  # 150 + 80 x -1.5
        "target": 30.0,
        "squared_error": 0.0,
    }


def test_markdown_table_of_a_standardized_target_in_six_significant_digits():
    example = {
        "x": [2.0],
        "scores": [-1.5],
        "output": -1.5,
        "target_mean": 1.5e12,
        "target_scale": 2.5e11,
        "prediction": 1.125e12,
        "target": 1.2e12,
        "squared_error": 5.625e21,
    }
    assert worked_example.worked_example_markdown(example, "prices", "linear") == (
        "# prices: worked example on the trained model\n"
        "\n"
        "| quantity | value |\n"
        "|---|---|\n"
        "| x (a test point) | [2.0000] |\n"
        "| z = w.x + b | -1.5000 |\n"
        "| output = linear(z), in standard deviations | -1.5000 |\n"
        "| prediction = 1.5e+12 + 2.5e+11 x output (the train target's mean and spread) "
        "| 1.125e+12 |\n"
        "| target y | 1.2e+12 |\n"
        "| squared error | 5.625e+21 |\n"
    )


# A model trained with preprocessing: standardize (2 features, 2 classes): the scores are those
# of the standardized features (x - mean) / max(sqrt(variance), epsilon).
STANDARDIZED = {
    "layers": [{"kernel": [[1.0, 0.0], [0.0, -1.0]], "bias": [0.5, 0.0], "activation": "linear"}],
    "output_activation": "softmax",
    "standardize": {"mean": [1.0, -2.0], "variance": [4.0, 0.0], "epsilon": 0.25},
}


def test_a_standardized_models_example_shows_the_standardized_point():
    example = worked_example.explain_point(STANDARDIZED, np.array([5, -1]), 0, "classification")
    # (5 - 1) / 2 = 2 and (-1 + 2) / 0.25 = 4; z = [2 + 0.5, -4].
    assert example["x"] == [5.0, -1.0]
    assert example["x_standardized"] == [2.0, 4.0]
    assert all(type(v) is float for v in example["x_standardized"])
    assert example["scores"] == [2.5, -4.0]
    assert "x_standardized" not in worked_example.explain_point(
        WEIGHTS, np.ones(4), 0, "classification"
    )


def test_markdown_table_names_a_user_tables_features_and_class():
    from pipeline.datasets import Schema, default_schema

    example = worked_example.explain_point(STANDARDIZED, np.array([5.0, -1.0]), 1, "classification")
    schema = Schema(("height", "weight"), "kind", ("cat", "dog"))
    assert worked_example.worked_example_markdown(example, "pets", "softmax", schema) == (
        "# pets: worked example on the trained model\n"
        "\n"
        "| quantity | value |\n"
        "|---|---|\n"
        "| x = (height, weight) (a test point) | [5.0000, -1.0000] |\n"
        "| x standardized (train mean and spread) | [2.0000, 4.0000] |\n"
        "| z = W.x + b (scores) | [2.5000, -4.0000] |\n"
        "| softmax(z) | [0.9985, 0.0015] |\n"
        "| true class | 1 (dog) |\n"
        "| p_true | 0.0015 |\n"
        "| loss = -log p_true | 6.5015 |\n"
    )
    # A synthetic table's default names are not shown.
    markdown = worked_example.worked_example_markdown(
        example, "pets", "softmax", default_schema(2, 2)
    )
    assert "| x (a test point) | [5.0000, -1.0000] |\n" in markdown
    assert "| true class | 1 |\n" in markdown
