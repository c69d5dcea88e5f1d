"""pipeline.inference: the NumPy forward pass, checked by hand and against Keras itself."""

import json
import re

import numpy as np
import pytest

from pipeline import activations, inference
from pipeline.errors import InputError
from pipeline.settings import Model

# A 1-layer (linear softmax) and a 2-layer (relu hidden) model, small enough to check by hand.
W1 = [[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]]  # 2 features -> 3 classes
B1 = [0.1, -0.2, 0.3]
LINEAR = {
    "layers": [{"name": "wx_b", "kernel": W1, "bias": B1, "activation": "linear"}],
    "output_activation": "softmax",
}
HIDDEN_KERNEL = [[1.0, -1.0], [2.0, 0.5]]  # 2 features -> 2 hidden units
HIDDEN_BIAS = [0.0, -1.0]
OUT_KERNEL = [[1.0, 0.0, -1.0], [0.5, 2.0, 1.0]]  # 2 hidden -> 3 classes
OUT_BIAS = [0.0, 0.1, 0.2]
TWO_LAYER = {
    "layers": [
        {"name": "hidden_0", "kernel": HIDDEN_KERNEL, "bias": HIDDEN_BIAS, "activation": "relu"},
        {"name": "wx_b", "kernel": OUT_KERNEL, "bias": OUT_BIAS, "activation": "linear"},
    ],
    "output_activation": "softmax",
}
X = np.array([[0.0, 0.0], [1.0, 2.0], [-1.5, 0.5], [3.0, -4.0]])


def numpy_softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def write_weights(path, weights):
    path.write_text(json.dumps(weights))
    return path


# --- softmax ---


def test_softmax_rows_sum_to_one_and_match_the_formula():
    z = np.array([[0.0, 1.0, 2.0], [-3.0, 0.5, 0.5], [4.0, 4.0, 4.0]])
    p = activations.softmax(z)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(p, numpy_softmax(z), rtol=1e-14)
    np.testing.assert_allclose(p[2], [1 / 3] * 3)
    assert p[0].argmax() == 2


def test_softmax_huge_scores_do_not_overflow():
    z = np.array([[1000.0, 999.0, -1000.0], [1e300, 0.0, -1e300], [-1e4, -1e4, -1e4 + 1]])
    with np.errstate(over="raise", invalid="raise"):  # exp(1000) would overflow
        p = activations.softmax(z)
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    e = 1 / (1 + np.exp(-1.0))
    np.testing.assert_allclose(p[0], [e, 1 - e, 0.0], atol=1e-15)
    np.testing.assert_allclose(p[1], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(p[2], numpy_softmax(np.array([[0.0, 0.0, 1.0]]))[0])


def test_activations_table():
    z = np.array([[-2.0, 0.0, 3.0]])
    acts = activations.ACTIVATIONS
    np.testing.assert_array_equal(acts["linear"](z), z)
    np.testing.assert_array_equal(acts["relu"](z), [[0.0, 0.0, 3.0]])
    np.testing.assert_allclose(acts["sigmoid"](z), 1 / (1 + np.exp(-z)))
    np.testing.assert_allclose(acts["tanh"](z), np.tanh(z))
    np.testing.assert_allclose(acts["softplus"](z), np.log1p(np.exp(z)))
    np.testing.assert_allclose(acts["softmax"](z), numpy_softmax(z))


# --- scores and predict against a direct NumPy computation ---


def test_one_layer_scores_and_predict():
    z = X @ np.array(W1) + np.array(B1)
    np.testing.assert_allclose(inference.scores(LINEAR, X), z, rtol=1e-15)
    np.testing.assert_allclose(inference.predict(LINEAR, X), numpy_softmax(z), rtol=1e-14)
    # First row: x = 0, so z = b.
    np.testing.assert_allclose(inference.scores(LINEAR, X)[0], B1)
    # Second row by hand: [1, 2] @ W1 + b = [1.1, 3.8, -1.2].
    np.testing.assert_allclose(inference.scores(LINEAR, X)[1], [1.1, 3.8, -1.2])


def test_two_layer_scores_and_predict():
    hidden = np.maximum(X @ np.array(HIDDEN_KERNEL) + np.array(HIDDEN_BIAS), 0.0)
    z = hidden @ np.array(OUT_KERNEL) + np.array(OUT_BIAS)
    np.testing.assert_allclose(inference.scores(TWO_LAYER, X), z, rtol=1e-15)
    np.testing.assert_allclose(inference.predict(TWO_LAYER, X), numpy_softmax(z), rtol=1e-14)
    # Row [3, -4]: hidden pre-activations [-5, -6] are cut to 0, so z is the output bias.
    np.testing.assert_allclose(inference.scores(TWO_LAYER, X)[3], OUT_BIAS)


def test_regression_predict_is_n_by_1():
    weights = {
        "layers": [{"name": "wx_b", "kernel": [[2.0]], "bias": [-1.0], "activation": "linear"}],
        "output_activation": "sigmoid",
    }
    x = np.array([[-1.0], [0.5], [4.0]])
    prediction = inference.predict(weights, x)
    assert prediction.shape == (3, 1)
    np.testing.assert_allclose(prediction[:, 0], 1 / (1 + np.exp(-(2 * x[:, 0] - 1))))
    assert prediction[1, 0] == 0.5


UNIT = {
    "layers": [{"name": "wx_b", "kernel": [[2.0]], "bias": [-1.0], "activation": "linear"}],
    "output_activation": "linear",
}
# The train target's mean and spread, as the Rescaling layer keeps them (float32 values).
RESCALED = {**UNIT, "unstandardize_target": {"mean": 152.5, "scale": 77.25}}


def test_a_standardized_target_is_predicted_in_its_own_units_in_float64():
    x = np.array([[-1.0], [0.5], [4.0]])
    prediction = inference.predict(RESCALED, x)
    assert prediction.dtype == np.float64
    np.testing.assert_array_equal(prediction[:, 0], [152.5 - 3 * 77.25, 152.5, 152.5 + 7 * 77.25])
    # float64 keeps a mean of 1e12 + 3 exact, where float32 has steps of 65,536 there.
    huge = {**UNIT, "unstandardize_target": {"mean": 1e12 + 3, "scale": 2.0}}
    assert float(inference.predict(huge, np.array([[0.5]]))[0, 0]) == 1e12 + 3
    # The classes' scores and the unscaled output are untouched: only the prediction moves.
    np.testing.assert_array_equal(inference.scores(RESCALED, x), inference.scores(UNIT, x))


def test_unstandardize_target_takes_float32_outputs_to_float64():
    # As Keras gives them: float32 times a Python float would stay float32 (steps of 65,536).
    huge = {**UNIT, "unstandardize_target": {"mean": 1e12 + 3, "scale": 2.0}}
    outputs = np.array([[0.5]], dtype=np.float32)
    predicted = inference.unstandardize_target(huge, outputs)
    assert predicted.dtype == np.float64 and float(predicted[0, 0]) == 1e12 + 4


def test_unstandardize_target_without_scaling_is_the_identity():
    outputs = np.array([[0.25], [-1.5]])
    assert inference.unstandardize_target(UNIT, outputs) is outputs


BAD_SCALE = "unstandardize_target needs a finite mean and a finite scale > 0"


@pytest.mark.parametrize(
    "scaling, reason",
    [
        ({"mean": 1.0, "scale": 0.0}, BAD_SCALE),
        ({"mean": 1.0, "scale": -2.0}, BAD_SCALE),
        ({"mean": float("nan"), "scale": 1.0}, BAD_SCALE),
        ({"mean": 1.0, "scale": float("inf")}, BAD_SCALE),
        ({"mean": "1", "scale": 1.0}, "unstandardize_target needs numbers"),
        ({"mean": 1.0, "scale": True}, "unstandardize_target needs numbers"),
        ({"mean": 1.0}, "'scale'"),
    ],
)
def test_read_weights_rejects_a_bad_target_scaling(tmp_path, scaling, reason):
    path = write_weights(tmp_path / "weights.json", {**UNIT, "unstandardize_target": scaling})
    assert (
        weights_error(path) == f"{path}: not a weights file written by the train stage ({reason})"
    )


def test_read_weights_rejects_a_target_scaling_on_class_probabilities(tmp_path):
    classifier = {**TWO_LAYER, "unstandardize_target": {"mean": 1.0, "scale": 2.0}}
    path = write_weights(tmp_path / "weights.json", classifier)
    assert weights_error(path) == (
        f"{path}: not a weights file written by the train stage (unstandardize_target on a "
        "classifier's probabilities)"
    )


@pytest.mark.parametrize("scale", [77.25, 0.5, 1e-12])
def test_read_weights_accepts_a_target_scaling(tmp_path, scale):
    rescaled = {**UNIT, "unstandardize_target": {"mean": -3.0, "scale": scale}}
    path = write_weights(tmp_path / "weights.json", rescaled)
    assert inference.read_weights(path) == rescaled


# --- the softmax loss from the scores ---


def test_cross_entropy_is_minus_log_softmax_of_the_true_class_per_point():
    z = np.array([[0.0, np.log(3.0), 0.0], [2.0, 2.0, 2.0], [1000.0, 0.0, -1000.0]])
    y = np.array([1, 0, 1])
    # softmax rows: [1/5, 3/5, 1/5]; [1/3, 1/3, 1/3]; [1, e^-1000, 0].
    expected = [np.log(5 / 3), np.log(3.0), 1000.0]
    with np.errstate(over="raise"):  # log-sum-exp: exp never sees a huge score
        losses = inference.cross_entropy(z, y)
    np.testing.assert_allclose(losses, expected, rtol=1e-14)
    mean = inference.mean_cross_entropy(z, y)
    assert type(mean) is float
    assert mean == pytest.approx(np.mean(expected), rel=1e-14)


# --- against Keras ---


@pytest.fixture(scope="module")
def keras_model():
    """pipeline.keras_model, imported only by the tests that need TensorFlow."""
    from pipeline import keras_model

    return keras_model


def randomise(model, seed):
    """Give every weight (biases included) a random value, so nothing is trivially zero."""
    import keras

    rng = np.random.default_rng(seed)
    for layer in model.layers:  # not the Normalization layer: its statistics are adapted
        if isinstance(layer, keras.layers.Dense):
            layer.set_weights(
                [rng.normal(size=w.shape).astype(np.float32) for w in layer.get_weights()]
            )


def test_export_weights_layout(keras_model):
    model = keras_model.build_model(3, 4, Model((5,), "relu", "softmax"))
    weights = keras_model.export_weights(model)
    assert [(layer["name"], layer["activation"]) for layer in weights["layers"]] == [
        ("hidden_0", "relu"),
        ("wx_b", "linear"),
    ]
    assert weights["output_activation"] == "softmax"
    assert np.array(weights["layers"][0]["kernel"]).shape == (3, 5)
    assert np.array(weights["layers"][1]["kernel"]).shape == (5, 4)
    assert np.array(weights["layers"][1]["bias"]).shape == (4,)
    # Plain JSON-ready data: lists of Python floats (no arrays, no float32), all finite.
    assert json.loads(json.dumps(weights, allow_nan=False)) == weights
    kernel, bias = weights["layers"][0]["kernel"], weights["layers"][0]["bias"]
    assert type(kernel) is list and type(kernel[0]) is list and type(kernel[0][0]) is float
    assert type(bias) is list and type(bias[0]) is float


@pytest.mark.parametrize(
    "n_features, n_outputs, model_settings",
    [
        (3, 4, Model((5,), "relu", "softmax")),
        (3, 4, Model((), "relu", "softmax")),
        (2, 3, Model((4, 3), "tanh", "softmax")),
        (1, 1, Model((), "relu", "sigmoid")),
        (1, 1, Model((3,), "softplus", "linear")),
        # Standardized: the Normalization layer adapted on data of other scales and centres.
        (3, 2, Model((), "relu", "softmax", preprocessing="standardize")),
        (4, 1, Model((5,), "tanh", "linear", preprocessing="standardize")),
    ],
)
def test_predict_matches_keras(keras_model, tmp_path, n_features, n_outputs, model_settings):
    rng = np.random.default_rng(0)
    scales = np.array([0.001, 30.0, 4000.0, 1.0])[:n_features]
    X_train = (rng.normal(size=(50, n_features)) * scales + 100.0).astype(np.float32)
    model = keras_model.build_model(n_features, n_outputs, model_settings, X_train=X_train)
    randomise(model, seed=n_outputs + len(model_settings.hidden_units))
    X_test = rng.normal(scale=2.0, size=(25, n_features)).astype(np.float32)
    if model_settings.preprocessing == "standardize":
        X_test = X_test * scales.astype(np.float32) + np.float32(100.0)
        assert "standardize" in keras_model.export_weights(model)

    path = write_weights(tmp_path / "weights.json", keras_model.export_weights(model))
    weights = inference.read_weights(path)

    expected = model.predict(X_test, verbose=0)
    actual = inference.predict(weights, X_test.astype(float))
    assert actual.shape == expected.shape == (25, n_outputs)
    assert np.isfinite(actual).all()
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)
    # The scores are the "wx_b" layer's output.
    import keras

    wx_b = keras.Model(model.inputs, model.get_layer("wx_b").output)
    np.testing.assert_allclose(
        inference.scores(weights, X_test.astype(float)),
        wx_b.predict(X_test, verbose=0),
        rtol=1e-5,
        atol=1e-5,
    )


# --- read_weights ---


def test_read_weights_accepts_a_valid_file(tmp_path):
    path = write_weights(tmp_path / "w.json", TWO_LAYER)
    assert inference.read_weights(path) == TWO_LAYER


def weights_error(path):
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}: ") as caught:
        inference.read_weights(path)
    return str(caught.value)


def test_read_weights_missing_file(tmp_path):
    path = tmp_path / "weights.json"
    assert weights_error(path) == f"{path}: missing (run the stage that writes it first)"


def test_read_weights_not_json(tmp_path):
    path = tmp_path / "weights.json"
    path.write_text('{"layers": [')
    assert weights_error(path).startswith(f"{path}: not valid JSON (")


def broken(change):
    """TWO_LAYER as JSON, with ``change`` applied to a fresh copy."""
    weights = json.loads(json.dumps(TWO_LAYER))
    change(weights)
    return weights


@pytest.mark.parametrize(
    "weights, reason",
    [
        (
            broken(lambda w: w["layers"][1].update(kernel=[[1.0, 0.0, -1.0]] * 3)),
            "layer shapes do not chain",
        ),
        (
            broken(lambda w: w["layers"][0].update(bias=[0.0, 0.0, 0.0])),
            "layer shapes do not chain",
        ),
        (broken(lambda w: w["layers"][0].update(kernel=[1.0, 2.0])), "layer shapes do not chain"),
        (
            broken(lambda w: w["layers"][0].update(kernel=[[1.0, 2.0], [3.0]])),
            "setting an array element with a sequence. The requested array has an inhomogeneous "
            "shape after 1 dimensions. The detected shape was (2,) + inhomogeneous part.",
        ),
        (
            broken(lambda w: w["layers"][0]["kernel"][0].__setitem__(1, "a")),
            "could not convert string to float: 'a'",
        ),
        (
            broken(lambda w: w["layers"][1]["bias"].__setitem__(1, "b")),
            "could not convert string to float: 'b'",
        ),
        (
            broken(lambda w: w["layers"][1]["kernel"][0].__setitem__(1, float("nan"))),
            "non-finite weights",
        ),
        (
            broken(lambda w: w["layers"][0]["bias"].__setitem__(0, float("inf"))),
            "non-finite weights",
        ),
        (broken(lambda w: w["layers"][0].update(activation="gelu")), "unknown activation 'gelu'"),
        (
            broken(lambda w: w.update(output_activation="swish")),
            "no layers or unknown output activation",
        ),
        (broken(lambda w: w.update(layers=[])), "no layers or unknown output activation"),
        (broken(lambda w: w.pop("output_activation")), "'output_activation'"),
        (broken(lambda w: w["layers"][0].pop("bias")), "'bias'"),
        ([1, 2, 3], "list indices must be integers or slices, not str"),
    ],
)
def test_read_weights_rejects_bad_contents(tmp_path, weights, reason):
    # json.dumps writes NaN and Infinity, which Python's json reads back.
    path = write_weights(tmp_path / "weights.json", weights)
    assert (
        weights_error(path) == f"{path}: not a weights file written by the train stage ({reason})"
    )


def test_check_fits_names_the_file_when_the_features_differ(tmp_path):
    weights = {
        "layers": [
            {"kernel": [[1.0, 0.0], [0.0, 1.0]], "bias": [0.0, 0.0], "activation": "linear"}
        ],
        "output_activation": "softmax",
    }
    inference.check_fits(weights, np.zeros((3, 2)), tmp_path / "w.json")
    with pytest.raises(InputError, match=r"w\.json: the model takes 2 features, the data has 3$"):
        inference.check_fits(weights, np.zeros((3, 3)), tmp_path / "w.json")


# --- the standardization layer (a model trained with preprocessing: standardize) ---

# 3 features: variance 0 falls back to epsilon; 2.2's square root rounds differently in
# float32 than in float64 rounded to float32, and Keras computes it in float32.
STANDARDIZE = {"mean": [1.0, 2.0, -0.5], "variance": [4.0, 0.0, 2.2], "epsilon": 0.5}
STANDARDIZED = {
    "layers": [
        {
            "name": "wx_b",
            "kernel": [[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]],
            "bias": [0.0, 0.5],
            "activation": "linear",
        }
    ],
    "output_activation": "softmax",
    "standardize": STANDARDIZE,
}


def test_standardize_subtracts_the_mean_and_divides_by_the_spread_in_float32():
    X_raw = np.array([[3.0, 2.0, 1.7], [1.0, 3.0, -0.5]])
    Z = inference.standardize(STANDARDIZED, X_raw)
    assert Z.dtype == np.float32
    # sqrt(4) = 2; sqrt(0) is below epsilon, so 0.5; sqrt(2.2) in float32.
    spread = np.float32(np.sqrt(np.float32(2.2)))
    assert spread != np.float32(np.sqrt(2.2))
    expected = [[1.0, 0.0, np.float32(2.2) / spread], [0.0, 2.0, 0.0]]
    np.testing.assert_array_equal(Z, np.array(expected, dtype=np.float32))
    assert Z[0, 2] == np.float32(np.float32(1.7) - np.float32(-0.5)) / spread
    # The scores are those of the standardized features.
    np.testing.assert_allclose(
        inference.scores(STANDARDIZED, X_raw),
        Z @ np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]]) + [0.0, 0.5],
        rtol=1e-6,
    )


def test_standardize_without_the_layer_keeps_the_features():
    X_raw = np.array([[3.0, 2.0]])
    assert inference.standardize(LINEAR, X_raw) is X_raw


def test_read_weights_accepts_a_valid_standardize_layer(tmp_path):
    for layer in (STANDARDIZE, {**STANDARDIZE, "variance": [0.0, 0.5, 0.0], "epsilon": 0.25}):
        weights = {**STANDARDIZED, "standardize": layer}
        assert inference.read_weights(write_weights(tmp_path / "w.json", weights)) == weights


@pytest.mark.parametrize(
    "layer, reason",
    [
        ({"mean": [1.0, 2.0]}, "standardize does not match the first layer"),
        ({"variance": [1.0, 2.0, 3.0, 4.0]}, "standardize does not match the first layer"),
        ({"mean": [1.0, float("nan"), 0.0]}, "non-finite standardize values"),
        ({"variance": [1.0, float("inf"), 0.0]}, "non-finite standardize values"),
        ({"variance": [1.0, -0.25, 0.0]}, "non-finite standardize values"),
        ({"epsilon": 0.0}, "standardize epsilon must be > 0"),
        ({"epsilon": -1.0}, "standardize epsilon must be > 0"),
        ({"mean": [1.0, "a", 0.0]}, "could not convert string to float: 'a'"),
        ({"variance": [1.0, "b", 0.0]}, "could not convert string to float: 'b'"),
        ({"epsilon": None}, "float() argument must be a string or a real number, not 'NoneType'"),
    ],
)
def test_read_weights_rejects_a_bad_standardize_layer(tmp_path, layer, reason):
    path = write_weights(
        tmp_path / "w.json", {**STANDARDIZED, "standardize": {**STANDARDIZE, **layer}}
    )
    assert (
        weights_error(path) == f"{path}: not a weights file written by the train stage ({reason})"
    )
