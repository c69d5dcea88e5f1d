"""pipeline.keras_model: build, compile, train (seeded), save byte-stably, load safely."""

import math
import zipfile

import numpy as np
import pandas as pd
import pytest

from pipeline import inference, keras_model
from pipeline.errors import PipelineError
from pipeline.settings import OPTIMIZERS, Model, Train
from pipeline.tasks import Task

# Keras' own save path (TF variables through np.array) warns under NumPy 2; not this project's code.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)

keras = keras_model.keras
tf = keras_model.tf

LINEAR_SOFTMAX = Model(hidden_units=(), hidden_activation="relu", output_activation="softmax")
HIDDEN_SOFTMAX = Model(hidden_units=(4,), hidden_activation="relu", output_activation="softmax")
SIGMOID_UNIT = Model(hidden_units=(), hidden_activation="relu", output_activation="sigmoid")
# 30 training points and batches of 8: three full batches and a partial one per epoch.
TRAIN = Train(optimizer="sgd", learning_rate=0.1, batch_size=8, epochs=2, seed=0)


def blobs(n=40, n_classes=3):
    """Three well separated 2-d blobs, one-hot targets; the first 30 rows train, the rest test."""
    rng = np.random.default_rng(0)
    y = np.arange(n) % n_classes
    centres = np.array([[-3.0, 0.0], [3.0, 0.0], [0.0, 3.0]])[:n_classes]
    X = centres[y] + rng.normal(scale=0.5, size=(n, 2))
    Y = np.eye(n_classes, dtype=np.float32)[y]
    return X[:30], Y[:30], X[30:], Y[30:]


def curve(n=40, scale=1.0):
    x = np.linspace(-5.0, 5.0, n)[:, None] * scale
    y = 1.0 / (1.0 + np.exp(np.clip(x, -50, 50)))
    order = np.random.default_rng(0).permutation(n)
    x, y = x[order], y[order]
    return x[:30], y[:30], x[30:], y[30:]


def train(tmp_path, data, task, model_settings, train_settings, name="history.csv"):
    history = tmp_path / name
    model = keras_model.train_model(
        *data,
        task=task,
        model_settings=model_settings,
        train_settings=train_settings,
        history_path=str(history),
    )
    return model, history


def same_weights(a, b):
    return len(a.get_weights()) == len(b.get_weights()) and all(
        np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights(), strict=True)
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small classifier trained once for the tests that only read it."""
    tmp = tmp_path_factory.mktemp("trained")
    model, history = train(tmp, blobs(), "classification", HIDDEN_SOFTMAX, TRAIN)
    return model, history


# --- build and compile ---


def test_build_model_layers():
    model = keras_model.build_model(3, 4, Model((5, 6), "tanh", "softmax"))
    assert [layer.name for layer in model.layers] == ["hidden_0", "hidden_1", "wx_b", "output"]
    assert [layer.activation.__name__ for layer in model.layers] == [
        "tanh",
        "tanh",
        "linear",
        "softmax",
    ]
    assert model.input_shape == (None, 3)
    assert model.output_shape == (None, 4)
    assert model.count_params() == (3 * 5 + 5) + (5 * 6 + 6) + (6 * 4 + 4)


def test_build_linear_model_is_one_dense_layer():
    model = keras_model.build_model(2, 1, SIGMOID_UNIT)
    assert [layer.name for layer in model.layers] == ["wx_b", "output"]
    assert model.count_params() == 3


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_compile_model_every_optimizer(optimizer):
    model = keras_model.build_model(2, 3, LINEAR_SOFTMAX)
    settings = Train(optimizer=optimizer, learning_rate=0.025, batch_size=4, epochs=1, seed=0)
    keras_model.compile_model(model, "classification", settings, steps_per_epoch=7)
    assert model.optimizer.__class__.__name__.lower() == optimizer
    assert model.optimizer.learning_rate.numpy() == pytest.approx(0.025)
    assert model.steps_per_execution == 7


# --- train_model ---


def test_classification_history(trained):
    _, history = trained
    table = pd.read_csv(history)
    assert list(table.columns) == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert table["epoch"].tolist() == list(range(TRAIN.epochs))
    assert np.isfinite(table.to_numpy()).all()
    assert table["accuracy"].between(0, 1).all() and table["val_accuracy"].between(0, 1).all()
    assert (table["loss"] > 0).all()


def test_regression_history_and_output(tmp_path):
    model, history = train(
        tmp_path, curve(), "regression", SIGMOID_UNIT, Train("adam", 0.05, 10, 3, 0)
    )
    table = pd.read_csv(history)
    assert list(table.columns) == ["epoch", "loss", "val_loss"]
    assert table["epoch"].tolist() == [0, 1, 2]
    assert np.isfinite(table.to_numpy()).all()
    prediction = model.predict(curve()[2], verbose=0)
    assert prediction.shape == (10, 1)
    assert ((prediction > 0) & (prediction < 1)).all()


def test_same_seed_identical_weights_other_seed_different(tmp_path, trained):
    model, history = trained
    again, again_history = train(tmp_path, blobs(), "classification", HIDDEN_SOFTMAX, TRAIN)
    other, _ = train(
        tmp_path,
        blobs(),
        "classification",
        HIDDEN_SOFTMAX,
        Train(**{**TRAIN.__dict__, "seed": 1}),
        name="other.csv",
    )

    assert same_weights(model, again)
    assert again_history.read_bytes() == history.read_bytes()
    assert not same_weights(model, other)


def test_training_changes_the_initial_weights(trained):
    model, _ = trained
    keras.utils.set_random_seed(TRAIN.seed)
    initial = keras_model.build_model(2, 3, HIDDEN_SOFTMAX)
    assert not same_weights(model, initial)


def test_steps_per_execution_does_not_change_the_weights(tmp_path):
    data = blobs()
    fast, _ = train(tmp_path, data, "classification", LINEAR_SOFTMAX, TRAIN)
    assert fast.steps_per_execution == math.ceil(30 / TRAIN.batch_size) == 4

    # The same training one step per execution, built, compiled and fitted by hand.
    keras.utils.set_random_seed(TRAIN.seed)
    tf.config.experimental.enable_op_determinism()
    slow = keras_model.build_model(2, 3, LINEAR_SOFTMAX)
    slow.compile(
        optimizer=keras.optimizers.SGD(learning_rate=TRAIN.learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=1,
    )
    X_train, Y_train, X_test, Y_test = data
    slow.fit(
        X_train,
        Y_train,
        validation_data=(X_test, Y_test),
        batch_size=TRAIN.batch_size,
        epochs=TRAIN.epochs,
        verbose=0,
    )

    assert slow.steps_per_execution == 1
    assert same_weights(fast, slow)


def test_huge_learning_rate_raises_diverged_error(tmp_path):
    # Unscaled x up to 5000 and a linear output: SGD with lr=1e30 overflows at once.
    diverging = Train(optimizer="sgd", learning_rate=1e30, batch_size=8, epochs=2, seed=0)
    with pytest.raises(
        keras_model.DivergedError,
        match=r"^training diverged \(loss (nan|-?inf) at epoch \d+\) with learning_rate=1e\+30; "
        r"try a smaller learning rate$",
    ):
        train(tmp_path, curve(scale=1000.0), "regression", Model((), "relu", "linear"), diverging)
    assert issubclass(keras_model.DivergedError, PipelineError)


# --- save_model / load_model ---


def test_save_model_twice_is_byte_identical(tmp_path, trained):
    model, _ = trained
    keras_model.save_model(model, tmp_path / "a" / "model.keras")
    keras_model.save_model(model, tmp_path / "b" / "model.keras")
    first = (tmp_path / "a" / "model.keras").read_bytes()
    assert first == (tmp_path / "b" / "model.keras").read_bytes()
    with zipfile.ZipFile(tmp_path / "a" / "model.keras") as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert b'"date_saved": "1980-01-01@00:00:00"' in archive.read("metadata.json")
    # Only the model file itself is left in its folder (no temporary file).
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["model.keras"]


def test_saved_model_loads_and_predicts_the_same(tmp_path, trained):
    model, _ = trained
    path = tmp_path / "model.keras"
    keras_model.save_model(model, path)

    loaded = keras_model.load_model(path)

    assert [layer.name for layer in loaded.layers] == ["hidden_0", "wx_b", "output"]
    assert same_weights(model, loaded)
    X_test = blobs()[2]
    np.testing.assert_array_equal(
        loaded.predict(X_test, verbose=0), model.predict(X_test, verbose=0)
    )


def test_exported_weights_are_the_trained_ones(trained):
    model, _ = trained
    weights = keras_model.export_weights(model)
    flat = []
    for layer in weights["layers"]:
        flat += [
            np.array(layer["kernel"], dtype=np.float32),
            np.array(layer["bias"], dtype=np.float32),
        ]
    assert all(np.array_equal(a, b) for a, b in zip(flat, model.get_weights(), strict=True))


@pytest.mark.parametrize("damage", ["truncate", "garbage", "missing"])
def test_load_model_damaged_file_names_the_file(tmp_path, trained, damage):
    path = tmp_path / "model.keras"
    if damage != "missing":
        keras_model.save_model(trained[0], path)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"not a zip file")
    with pytest.raises(PipelineError, match=rf"^{path}: not a loadable Keras model \(.+\)"):
        keras_model.load_model(path)


def test_load_model_refuses_code_in_safe_mode(tmp_path):
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Lambda(lambda x: x * 2)])
    path = tmp_path / "lambda.keras"
    model.save(path)
    with pytest.raises(PipelineError, match=rf"^{path}: not a loadable Keras model \(.*safe_mode"):
        keras_model.load_model(path)


# --- a regression target in its own units (model.standardize_target) ---------------------

STANDARDIZED = Model(
    hidden_units=(),
    hidden_activation="relu",
    output_activation="linear",
    preprocessing="standardize",
    standardize_target=True,
)
ADAM = Train(optimizer="adam", learning_rate=0.05, batch_size=10, epochs=60, seed=0)


def line(scale, offset, n=40):
    """y = offset + scale * (2 x0 - x1) + a little noise: a target of any size and place."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(n, 2))
    y = offset + scale * (2 * X[:, 0] - X[:, 1] + rng.normal(scale=0.1, size=n))
    return X[:30], y[:30, None], X[30:], y[30:, None]


def test_target_scaling_is_the_train_mean_and_spread_in_float64():
    y = np.array([1e12 + 1.0, 1e12 + 2.0, 1e12 + 3.0, 1e12 + 6.0])
    assert keras_model.target_scaling(y) == (float(np.mean(y)), float(np.std(y)))
    assert keras_model.target_scaling(y)[1] == pytest.approx(np.std([1.0, 2.0, 3.0, 6.0]))


def test_target_scaling_of_a_constant_target_is_one():
    assert keras_model.target_scaling(np.array([5.0, 5.0, 5.0])) == (5.0, 1.0)


def test_standardized_targets_are_differences_computed_before_float32():
    y = np.array([[1e12 + 1000.0], [1e12 - 1000.0]])
    z = keras_model.standardized(y, keras_model.target_scaling(y))
    np.testing.assert_array_equal(z.astype(np.float32), [[1.0], [-1.0]])


def test_with_target_scaling_appends_a_float64_rescaling_to_the_same_layers():
    model = keras_model.build_model(2, 1, STANDARDIZED, X_train=np.eye(2))
    scaled = keras_model.with_target_scaling(model, (1000.0, 100.0))
    assert [layer.name for layer in scaled.layers] == [
        *(layer.name for layer in model.layers),
        "unstandardize_target",
    ]
    assert all(a is b for a, b in zip(scaled.layers, model.layers, strict=False))
    last = scaled.layers[-1]
    assert (last.offset, last.scale) == (1000.0, 100.0)
    x = np.array([[0.5, -1.0]])
    np.testing.assert_allclose(
        scaled.predict(x, verbose=0), 1000.0 + 100.0 * model.predict(x, verbose=0), rtol=1e-6
    )


def test_without_standardize_target_there_is_no_rescaling(tmp_path):
    model, _ = train(tmp_path, curve(), Task.REGRESSION, SIGMOID_UNIT, TRAIN)
    assert [layer.name for layer in model.layers][-1] == "output"
    assert "unstandardize_target" not in keras_model.export_weights(model)


@pytest.mark.parametrize(
    ("scale", "offset"), [(1e11, 1e12), (1e3, 1e12), (1.0, 1e9), (1e-10, 1e-9), (80.0, 150.0)]
)
def test_a_target_of_any_scale_and_place_is_learnt_in_its_own_units(tmp_path, scale, offset):
    data = line(scale, offset)
    model, history = train(tmp_path, data, Task.REGRESSION, STANDARDIZED, ADAM)
    X_test, y_test = data[2], data[3][:, 0]
    numpy_predicted = inference.predict(keras_model.export_weights(model), X_test)[:, 0]
    keras_predicted = model.predict(X_test, verbose=0)[:, 0]
    # Keras computes in float32 (its mean rounded to float32), NumPy in float64.
    np.testing.assert_allclose(numpy_predicted, keras_predicted, rtol=1e-7, atol=1e-5 * scale)
    r2 = 1 - np.sum((y_test - numpy_predicted) ** 2) / np.sum((y_test - y_test.mean()) ** 2)
    assert r2 > 0.95  # the same fit whatever the units
    # The loss is the MSE in variances of the train target: about 1 - R² on the train split.
    assert 0 < pd.read_csv(history)["loss"].iloc[-1] < 0.05


def test_exported_weights_carry_the_target_scaling(tmp_path):
    data = line(100.0, 1000.0)
    model, _ = train(tmp_path, data, Task.REGRESSION, STANDARDIZED, ADAM)
    exported = keras_model.export_weights(model)
    assert exported["unstandardize_target"] == {
        "mean": float(np.mean(data[1])),
        "scale": float(np.std(data[1])),
    }
    assert exported["output_activation"] == "linear"


def test_a_saved_model_with_a_standardized_target_loads_and_predicts_the_same(tmp_path):
    data = line(100.0, 1000.0)
    model, _ = train(tmp_path, data, Task.REGRESSION, STANDARDIZED, ADAM)
    keras_model.save_model(model, tmp_path / "model.keras")
    loaded = keras_model.load_model(tmp_path / "model.keras")
    np.testing.assert_array_equal(
        loaded.predict(data[2], verbose=0), model.predict(data[2], verbose=0)
    )


@pytest.mark.parametrize(
    ("losses", "expected"),
    [
        ([1.0], None),  # one epoch: nothing to compare
        ([1.0, 0.5], None),  # two: the last one is all of the fall, however converged
        ([1.0, 0.9, 0.8, 0.7], None),  # four: still too few
        (
            [1.0, 0.9, 0.8, 0.7, 0.6],
            (pytest.approx(0.25), 1),
        ),  # five: the last tenth is at least one epoch
        ([2.0] + [1.0] * 8 + [0.99], None),  # 10 epochs: the last one made 1 % of the fall
        ([2.0] + [1.0] * 8 + [0.95], (pytest.approx(0.05 / 1.05), 1)),
        ([4.0] * 18 + [2.0, 1.0], (1.0, 2)),  # 20 epochs: two epochs back
        ([10.0 - 0.1 * i for i in range(40)], (pytest.approx(4 / 39), 4)),  # a steady crawl
        ([1.0 / (i + 1) for i in range(300)], None),  # a separable classification's 1/t decay
        ([0.0, 0.0], None),  # nothing to fall
        ([1.0, 1.01], None),  # rising is not falling
    ],
)
def test_still_falling(losses, expected):
    assert keras_model.still_falling(losses) == expected


def test_still_falling_at_exactly_the_threshold_is_converged():
    # The last epoch made exactly STILL_FALLING of a fall of 100.
    assert keras_model.still_falling([200.0, 150.0, 110.0, 102.0, 100.0]) is None
    assert keras_model.still_falling([200.0, 150.0, 110.0, 102.5, 100.0]) == (
        pytest.approx(0.025),
        1,
    )
