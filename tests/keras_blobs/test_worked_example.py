"""The text's worked example: scores, softmax and loss, on the trained model and on the text."""

import numpy as np
import pytest

from keras_blobs import worked_example

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


def test_regression_example():
    weights = {
        "layers": [{"kernel": [[-1.0]], "bias": [0.5], "activation": "linear"}],
        "output_activation": "sigmoid",
    }
    example = worked_example.explain_point(weights, np.array([2.0]), 0.25, "regression")
    assert example["scores"] == [-1.5]
    assert example["prediction"] == pytest.approx(1 / (1 + np.exp(1.5)))
    assert example["squared_error"] == pytest.approx((1 / (1 + np.exp(1.5)) - 0.25) ** 2)


def test_markdown_table_is_well_formed():
    example = worked_example.explain_point(
        WEIGHTS, np.array([1.0, 0.0, 0.0, 1.0]), 1, "classification"
    )
    markdown = worked_example.worked_example_markdown(example, "text", "softmax")
    lines = markdown.splitlines()
    assert lines[0] == "# text: worked example on the trained model"
    table = lines[2:]
    assert table[:2] == ["| quantity | value |", "|---|---|"]
    assert all(
        line.startswith("| ") and line.endswith(" |") and line.count("|") == 3 for line in table[2:]
    )
    assert f"| loss = -log p_true | {example['loss']:.4f} |" in table
    assert "| true class | 1 |" in table
