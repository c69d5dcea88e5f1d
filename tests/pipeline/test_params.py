"""pipeline.params: params.yaml checked into typed, frozen settings; one-line errors for bad
values."""

import json
import re

import pytest
from pydantic import TypeAdapter, ValidationError

from bench.workspace import REPO
from pipeline import settings
from pipeline.errors import SettingsError
from pipeline.files import read_yaml
from pipeline.params import (
    _FULL,
    ClassificationParams,
    RegressionParams,
    TableClassificationParams,
    _experiments_union,
    load_params,
    parse_experiment,
    parse_params,
)
from stages import cli
from tests.notebook_params import notebook_params, params_text, write_params


@pytest.fixture
def params():
    """A private, editable copy of the tests' own params: the notebook's three experiments."""
    return notebook_params()


def set_key(params, dotted, value):
    """Set ``experiments.<...>`` in a params mapping, e.g. ``blobs4.train.epochs``."""
    *parents, last = dotted.split(".")
    node = params["experiments"]
    for key in parents:
        node = node[key]
    node[last] = value
    return params


def parse_error(params):
    """The message of the SettingsError parse_params raises, checked to be one line."""
    with pytest.raises(SettingsError) as caught:
        parse_params(params)
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- valid params ---


def test_params_parse_into_typed_experiments(params):
    experiments = parse_params(params)

    assert list(experiments) == ["blobs4", "blobs2", "regression"]
    blobs4 = experiments["blobs4"]
    assert blobs4 == settings.Experiment(
        name="blobs4",
        task="classification",
        data=settings.BlobsData(
            n_samples=4000, n_features=2, centers=4, cluster_std=2.0, random_state=101
        ),
        split=settings.Split(test_size=0.2, random_state=42),
        model=settings.Model(
            hidden_units=(), hidden_activation="relu", output_activation="softmax"
        ),
        train=settings.Train(optimizer="sgd", learning_rate=0.01, batch_size=4, epochs=10, seed=0),
        plot=settings.Plot(grid_min=-20.0, grid_max=20.0, grid_points=100),
    )
    assert blobs4.data.n_classes == 4
    assert experiments["blobs2"].data.n_classes == 2
    assert experiments["blobs2"].train.batch_size == 128


def test_notebook_values_come_out_typed(params):
    experiments = parse_params(params)

    blobs4 = experiments["blobs4"]
    assert isinstance(blobs4.model.hidden_units, tuple)
    assert isinstance(blobs4.data.cluster_std, float)
    assert isinstance(blobs4.train.learning_rate, float)
    assert type(blobs4.train.epochs) is int
    # YAML's -20 / 20 become floats, the grid resolution stays an integer.
    assert type(blobs4.plot.grid_min) is float and blobs4.plot.grid_min == -20.0
    assert type(blobs4.plot.grid_points) is int

    regression = experiments["regression"]
    assert isinstance(regression.data, settings.CurveData)
    assert regression.data == settings.CurveData(
        n_samples=1000, x_min=-20.0, x_max=20.0, noise_std=0.1, random_state=0
    )
    assert type(regression.data.x_min) is float
    assert regression.model.output_activation == "sigmoid"


def test_hidden_units_and_centers_lists_become_tuples(params):
    set_key(params, "blobs4.model.hidden_units", [16, 8])
    set_key(params, "blobs4.data.centers", [[0, 0], [5, 5.5], [-5, 5]])

    blobs4 = parse_params(params)["blobs4"]

    assert blobs4.model.hidden_units == (16, 8)
    assert blobs4.data.centers == ((0.0, 0.0), (5.0, 5.5), (-5.0, 5.0))
    assert all(type(c) is float for point in blobs4.data.centers for c in point)
    assert blobs4.data.n_classes == 3


def test_every_optimizer_and_activation_is_accepted(params):
    for optimizer in settings.OPTIMIZERS:
        set_key(params, "blobs4.train.optimizer", optimizer)
        assert parse_params(params)["blobs4"].train.optimizer == optimizer
    for activation in settings.ACTIVATIONS:
        if activation == "softmax":  # one output unit: softmax would always give 1
            continue
        set_key(params, "regression.model.output_activation", activation)
        set_key(params, "regression.model.hidden_activation", activation)
        model = parse_params(params)["regression"].model
        assert model.output_activation == activation == model.hidden_activation


def test_batch_size_equal_to_training_set_is_accepted(params):
    # 4000 samples, test_size 0.2 -> ceil(800) test, 3200 train.
    set_key(params, "blobs4.train.batch_size", 3200)
    assert parse_params(params)["blobs4"].train.batch_size == 3200


# --- one bad value at a time: full key path, value and what is allowed, on one line ---


@pytest.mark.parametrize(
    "key, value, message",
    [
        # wrong type
        (
            "blobs4.train.epochs",
            "10",
            "experiments.blobs4.train.epochs: got '10', expected an integer >= 1",
        ),
        (
            "blobs4.train.epochs",
            True,
            "experiments.blobs4.train.epochs: got True, expected an integer >= 1",
        ),
        (
            "blobs4.train.epochs",
            2.5,
            "experiments.blobs4.train.epochs: got 2.5, expected an integer >= 1",
        ),
        (
            "blobs4.train.learning_rate",
            "0.01",
            "experiments.blobs4.train.learning_rate: got '0.01', expected a finite number > 0",
        ),
        (
            "blobs4.train.learning_rate",
            True,
            "experiments.blobs4.train.learning_rate: got True, expected a finite number > 0",
        ),
        (
            "blobs4.split.test_size",
            False,
            "experiments.blobs4.split.test_size: got False, expected a number strictly between 0 and 1",
        ),
        (
            "blobs4.model.hidden_units",
            16,
            "experiments.blobs4.model.hidden_units: got 16, expected a list of positive integers "
            "(the hidden layers' widths; [] for none)",
        ),
        (
            "blobs4.model.hidden_units",
            [16, 0],
            "experiments.blobs4.model.hidden_units: got [16, 0], expected a list of positive integers",
        ),
        (
            "blobs4.train.seed",
            None,
            "experiments.blobs4.train.seed: got None, expected an integer >= 0",
        ),
        (
            "regression.data.x_min",
            "low",
            "experiments.regression.data.x_min: got 'low', expected a finite number",
        ),
        (
            "blobs4.plot.grid_min",
            float("nan"),
            "experiments.blobs4.plot.grid_min: got nan, expected a finite number",
        ),
        # out of range
        (
            "blobs4.train.epochs",
            -1,
            "experiments.blobs4.train.epochs: got -1, expected an integer >= 1",
        ),
        (
            "blobs4.train.epochs",
            0,
            "experiments.blobs4.train.epochs: got 0, expected an integer >= 1",
        ),
        (
            "blobs4.train.seed",
            -1,
            "experiments.blobs4.train.seed: got -1, expected an integer >= 0",
        ),
        (
            "blobs4.split.test_size",
            0,
            "experiments.blobs4.split.test_size: got 0, expected a number strictly between 0 and 1",
        ),
        (
            "blobs4.split.test_size",
            1,
            "experiments.blobs4.split.test_size: got 1, expected a number strictly between 0 and 1",
        ),
        (
            "blobs4.split.test_size",
            1.5,
            "experiments.blobs4.split.test_size: got 1.5, expected a number strictly between 0 and 1",
        ),
        (
            "blobs4.data.cluster_std",
            0,
            "experiments.blobs4.data.cluster_std: got 0, expected a finite number > 0",
        ),
        (
            "blobs4.data.cluster_std",
            float("inf"),
            "experiments.blobs4.data.cluster_std: got inf, expected a finite number > 0",
        ),
        (
            "blobs4.train.learning_rate",
            0,
            "experiments.blobs4.train.learning_rate: got 0, expected a finite number > 0",
        ),
        (
            "blobs4.train.learning_rate",
            -0.01,
            "experiments.blobs4.train.learning_rate: got -0.01, expected a finite number > 0",
        ),
        (
            "regression.data.noise_std",
            0,
            "experiments.regression.data.noise_std: got 0, expected a finite number > 0",
        ),
        (
            "blobs4.data.centers",
            1,
            "experiments.blobs4.data.centers: got 1, expected an integer >= 2 (number of classes) "
            "or a list of >= 2 centre coordinates",
        ),
        (
            "blobs4.data.centers",
            [[0, 0]],
            "experiments.blobs4.data.centers: got [[0, 0]], expected an integer >= 2",
        ),
        (
            "blobs4.data.centers",
            [1, 2],
            "experiments.blobs4.data.centers: got [1, 2], expected an integer >= 2",
        ),
        (
            "blobs4.data.n_samples",
            0,
            "experiments.blobs4.data.n_samples: got 0, expected an integer >= 1",
        ),
        (
            "blobs4.plot.grid_points",
            0,
            "experiments.blobs4.plot.grid_points: got 0, expected an integer >= 1",
        ),
        # unknown values
        (
            "blobs4.train.optimizer",
            "sgdd",
            "experiments.blobs4.train.optimizer: got 'sgdd', expected one of sgd, adam, adamw, rmsprop, "
            "adagrad, adadelta, adamax, nadam",
        ),
        (
            "blobs4.train.optimizer",
            "SGD",
            "experiments.blobs4.train.optimizer: got 'SGD', expected one of sgd",
        ),
        (
            "blobs4.model.hidden_activation",
            "gelu",
            "experiments.blobs4.model.hidden_activation: got 'gelu', expected one of linear, relu, sigmoid, "
            "tanh, softplus, softmax",
        ),
        (
            "regression.model.output_activation",
            "swish",
            "experiments.regression.model.output_activation: got 'swish', expected one of linear, relu",
        ),
        (
            "blobs4.task",
            "clustering",
            "experiments.blobs4.task: got 'clustering', expected one of classification, regression",
        ),
    ],
)
def test_bad_value_names_key_value_and_allowed(params, key, value, message):
    set_key(params, key, value)
    assert parse_error(params).startswith(message)


@pytest.mark.parametrize(
    "key, typo, suggestion",
    [
        ("blobs4.train", "epoch", "epochs"),
        ("blobs2.model", "hidden_unit", "hidden_units"),
        ("regression.data", "noise", "noise_std"),
        ("blobs4.split", "testsize", "test_size"),
    ],
)
def test_unknown_key_suggests_the_closest_one(params, key, typo, suggestion):
    section = params["experiments"]
    for part in key.split("."):
        section = section[part]
    section[typo] = section.pop(suggestion)

    # The misspelt key and the missing one are one mistake: one line.
    assert parse_error(params) == (
        f"experiments.{key}.{typo}: unknown key; did you mean {suggestion!r} (missing)?"
    )


def test_every_unknown_and_missing_key_is_reported_at_once(params):
    train = params["experiments"]["blobs4"]["train"]
    train["epoch"] = train.pop("epochs")  # misspelt: one line
    train["path"] = "x"  # unknown
    train["target"] = "y"  # unknown
    del train["seed"]  # missing
    assert parse_errors(params) == [
        "experiments.blobs4.train.seed: missing; every experiment needs it",
        "experiments.blobs4.train.epoch: unknown key; did you mean 'epochs' (missing)?",
        "experiments.blobs4.train.path: unknown key; "
        "allowed: optimizer, learning_rate, batch_size, epochs, seed",
        "experiments.blobs4.train.target: unknown key; "
        "allowed: optimizer, learning_rate, batch_size, epochs, seed",
    ]


def test_an_unknown_key_close_to_a_present_one_lists_the_allowed_keys(params):
    params["experiments"]["blobs4"]["train"]["epochz"] = 3
    assert parse_error(params) == (
        "experiments.blobs4.train.epochz: unknown key; did you mean 'epochs'? "
        "allowed: optimizer, learning_rate, batch_size, epochs, seed"
    )


def test_an_integral_float_is_the_integer_as_dvc_takes_it(params):
    set_key(params, "blobs4.train.epochs", 10.0)
    set_key(params, "blobs4.train.batch_size", 8.0)
    train = parse_params(params)["blobs4"].train
    assert (train.epochs, train.batch_size) == (10, 8)
    assert type(train.epochs) is int
    set_key(params, "blobs4.train.epochs", 10.5)
    assert parse_error(params) == (
        "experiments.blobs4.train.epochs: got 10.5, expected an integer >= 1"
    )


def test_unknown_key_without_close_match_lists_the_allowed_keys(params):
    params["experiments"]["blobs4"]["train"]["zzz"] = 1
    assert parse_error(params) == (
        "experiments.blobs4.train.zzz: unknown key; "
        "allowed: optimizer, learning_rate, batch_size, epochs, seed"
    )


def test_unknown_section_and_top_level_key(params):
    params["experiments"]["blobs4"]["plots"] = params["experiments"]["blobs4"]["plot"]
    assert parse_error(params).startswith(
        "experiments.blobs4.plots: unknown key; did you mean 'plot'?"
    )

    params = {"experiment": params["experiments"]}
    assert parse_error(params) == (
        "params.experiment: unknown key; did you mean 'experiments' (missing)?"
    )


@pytest.mark.parametrize(
    "key",
    [
        "blobs4.train.epochs",
        "blobs4.data.centers",
        "regression.data.x_max",
        "blobs2.split.test_size",
        "blobs4.plot",
        "blobs4.task",
    ],
)
def test_missing_key(params, key):
    *parents, last = key.split(".")
    node = params["experiments"]
    for part in parents:
        node = node[part]
    del node[last]

    assert parse_error(params) == f"experiments.{key}: missing; every experiment needs it"


def test_section_that_is_not_a_mapping(params):
    set_key(params, "blobs4.train", None)
    assert parse_error(params) == (
        "experiments.blobs4.train: got None, expected a mapping with keys "
        "optimizer, learning_rate, batch_size, epochs, seed"
    )


def test_a_regression_section_that_is_not_a_mapping_lists_the_regression_keys(params):
    set_key(params, "regression.data", 5)
    assert parse_error(params) == (
        "experiments.regression.data: got 5, expected a mapping with keys "
        "n_samples, x_min, x_max, noise_std, random_state"
    )


@pytest.mark.parametrize("raw", [None, {}, []])
def test_experiments_must_be_a_non_empty_mapping(raw):
    with pytest.raises(
        SettingsError, match=r"^experiments: got .*, expected a mapping of experiment names"
    ):
        parse_params({"experiments": raw})


def test_params_without_experiments():
    assert parse_error({}) == "params.experiments: missing; every experiment needs it"


def test_params_that_are_not_a_mapping():
    with pytest.raises(
        SettingsError, match=r"^params: got None, expected a mapping with keys experiments$"
    ):
        parse_params(None)


# --- checks involving more than one key ---


def test_batch_size_larger_than_training_set(params):
    set_key(params, "blobs4.train.batch_size", 3201)
    assert parse_error(params) == (
        "experiments.blobs4.train.batch_size: got 3201, "
        "expected at most the training set size (3200)"
    )


def test_batch_size_uses_the_ceil_rule_for_the_test_side(params):
    # 10 samples, test_size 0.25 -> ceil(2.5) = 3 test, 7 train.
    set_key(params, "blobs2.data.n_samples", 10)
    set_key(params, "blobs2.split.test_size", 0.25)
    set_key(params, "blobs2.train.batch_size", 7)
    assert parse_params(params)["blobs2"].train.batch_size == 7

    set_key(params, "blobs2.train.batch_size", 8)
    assert "at most the training set size (7)" in parse_error(params)


def test_one_sample_per_class_and_one_per_side_are_enough(params):
    # 4 samples of 4 classes, test_size 0.25: ceil(1.0) = 1 test, 3 train.
    set_key(params, "blobs4.data.n_samples", 4)
    set_key(params, "blobs4.split.test_size", 0.25)
    set_key(params, "blobs4.train.batch_size", 3)
    # 2 samples, test_size 0.5: 1 test, 1 train.
    set_key(params, "blobs2.data.n_samples", 2)
    set_key(params, "blobs2.split.test_size", 0.5)
    set_key(params, "blobs2.train.batch_size", 1)
    parsed = parse_params(params)
    assert (parsed["blobs4"].data.n_samples, parsed["blobs4"].data.n_classes) == (4, 4)
    assert parsed["blobs2"].data.n_samples == 2


def test_test_size_leaving_an_empty_training_side(params):
    set_key(params, "blobs4.split.test_size", 0.99999)  # ceil(3999.96) = 4000 test, 0 train
    assert parse_error(params) == (
        "experiments.blobs4.split.test_size: got 0.99999, "
        "expected a fraction leaving both sides of n_samples=4000 non-empty"
    )


def test_tiny_dataset_leaves_an_empty_side(params):
    set_key(params, "regression.data.n_samples", 1)
    set_key(params, "regression.train.batch_size", 1)
    assert parse_error(params).startswith(
        "experiments.regression.split.test_size: got 0.2, "
        "expected a fraction leaving both sides of n_samples=1 non-empty"
    )


def test_centers_list_with_wrong_dimension(params):
    set_key(params, "blobs4.data.centers", [[0, 0, 0], [1, 1, 1]])
    assert parse_error(params) == (
        "experiments.blobs4.data.centers: got [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], "
        "expected points with n_features=2 coordinates each"
    )


def test_centers_list_with_ragged_points(params):
    set_key(params, "blobs4.data.centers", [[0, 0], [1, 1, 1]])
    assert parse_error(params).startswith(
        "experiments.blobs4.data.centers: got [[0.0, 0.0], "
        "[1.0, 1.0, 1.0]], expected points with n_features=2"
    )


@pytest.mark.parametrize("grid_max", [20, -30])
def test_grid_min_must_be_below_grid_max(params, grid_max):
    set_key(params, "blobs4.plot.grid_min", 20)
    set_key(params, "blobs4.plot.grid_max", grid_max)
    assert parse_error(params) == (
        f"experiments.blobs4.plot.grid_max: got {float(grid_max)!r}, "
        "expected a number above grid_min=20.0"
    )


def test_x_min_must_be_below_x_max(params):
    set_key(params, "regression.data.x_max", -20)
    assert parse_error(params) == (
        "experiments.regression.data.x_max: got -20.0, expected a number above x_min=-20.0"
    )


@pytest.mark.parametrize("activation", ["sigmoid", "linear", "relu"])
def test_classification_needs_softmax_output(params, activation):
    set_key(params, "blobs2.model.output_activation", activation)
    assert parse_error(params) == (
        f"experiments.blobs2.model.output_activation: got {activation!r}, "
        "expected softmax for a classification experiment"
    )


def test_regression_may_use_any_output_activation(params):
    set_key(params, "regression.model.output_activation", "linear")
    assert parse_params(params)["regression"].model.output_activation == "linear"


def test_regression_data_section_uses_the_curve_schema(params):
    # A regression experiment given make_blobs' arguments fails on the curve keys.
    params["experiments"]["regression"]["data"] = params["experiments"]["blobs4"]["data"]
    allowed = "allowed: n_samples, x_min, x_max, noise_std, random_state"
    assert parse_errors(params) == [
        "experiments.regression.data.x_min: missing; every experiment needs it",
        "experiments.regression.data.x_max: missing; every experiment needs it",
        f"experiments.regression.data.n_features: unknown key; {allowed}",
        f"experiments.regression.data.centers: unknown key; {allowed}",
        "experiments.regression.data.cluster_std: unknown key; did you mean 'noise_std' (missing)?",
    ]


# --- load_params ---


def test_load_params_reads_a_file_into_the_experiments_it_lists(params, tmp_path):
    path = write_params(tmp_path / "params.yaml", params)
    experiments = load_params(path)
    assert list(experiments) == ["blobs4", "blobs2", "regression"]
    assert experiments == parse_params(params)


def test_the_committed_params_are_valid():
    # Whatever experiments and values a user gives it, params.yaml must load: one typed
    # experiment per entry, in the file's order, each named after its key.
    listed = list(read_yaml(REPO / "params.yaml")["experiments"])
    experiments = load_params(REPO / "params.yaml")
    assert listed and list(experiments) == listed
    assert all(experiment.name == name for name, experiment in experiments.items())


def test_load_params_names_a_missing_or_malformed_file(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(SettingsError, match=rf"^{re.escape(str(missing))}: cannot read params"):
        load_params(missing)

    broken = tmp_path / "broken.yaml"
    broken.write_text("experiments: [unclosed\n")
    with pytest.raises(SettingsError, match=rf"^{re.escape(str(broken))}: cannot read params"):
        load_params(broken)


@pytest.mark.parametrize(
    "dotted, value, message",
    [
        (
            "blobs4.data.n_samples",
            3,
            "experiments.blobs4.data.n_samples: got 3, expected at least one sample per class "
            "(centers gives 4 classes)",
        ),
        (
            "regression.model.output_activation",
            "softmax",
            "experiments.regression.model.output_activation: got 'softmax', expected an activation "
            "other than softmax (one output unit)",
        ),
        (
            "blobs4.model.standardize_target",
            True,
            "experiments.blobs4.model.standardize_target: got True, expected false for a "
            "classification (its targets are classes)",
        ),
        (
            "regression.model.standardize_target",
            True,
            "experiments.regression.model.standardize_target: got True, expected false with "
            "output_activation sigmoid (a standardized target lies on both sides of its mean, "
            "without bound: linear)",
        ),
        (
            "blobs4.model.standardize_target",
            "yes",
            "experiments.blobs4.model.standardize_target: got 'yes', expected true or false",
        ),
        (
            "regression.split.stratify",
            True,
            "experiments.regression.split.stratify: got True, expected false for a regression "
            "(it has no classes)",
        ),
        ("blobs4.train.epochs", 10**400, None),
        ("blobs4.data.cluster_std", 10**400, None),
    ],
)
def test_cross_checks_and_huge_numbers(params, dotted, value, message):
    set_key(params, dotted, value)
    with pytest.raises(SettingsError) as error:
        parse_params(params)
    if message:
        assert str(error.value) == message
    assert str(error.value).startswith(f"experiments.{dotted}: got ")


@pytest.mark.parametrize("name", ["nested/exp", "../x", "with space"])
def test_experiment_names_must_be_safe_folder_names(params, name):
    params["experiments"][name] = params["experiments"]["blobs4"]
    with pytest.raises(SettingsError, match=r"^experiments: got .*letters, digits, _ and -"):
        parse_params(params)


def test_params_are_read_as_dvc_writes_them(params, tmp_path):
    # `dvc exp run -S ...learning_rate=0.00001` writes 1e-05, a string to a YAML 1.1 reader.
    set_key(params, "blobs4.train.learning_rate", "LEARNING_RATE")
    text = params_text(params).replace("learning_rate: LEARNING_RATE\n", "learning_rate: 1e-05\n")
    assert "learning_rate: 1e-05\n" in text
    path = tmp_path / "params.yaml"
    path.write_text(text)
    assert load_params(path)["blobs4"].train.learning_rate == 1e-05


def test_unreadable_params_file_names_the_file(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("experiments: [unclosed")
    with pytest.raises(SettingsError, match=rf"^{re.escape(str(path))}: cannot read params"):
        load_params(path)


# --- several mistakes at once: every one reported, one line each ---


def parse_errors(params):
    """The lines of the SettingsError parse_params raises."""
    with pytest.raises(SettingsError) as caught:
        parse_params(params)
    return str(caught.value).split("\n")


def test_two_mistakes_are_reported_together(params):
    set_key(params, "blobs4.train.epochs", -5)
    set_key(params, "blobs2.split.test_size", 1.5)

    assert parse_errors(params) == [
        "experiments.blobs4.train.epochs: got -5, expected an integer >= 1",
        "experiments.blobs2.split.test_size: got 1.5, expected a number strictly between 0 and 1",
    ]


def test_three_mistakes_are_reported_together(params):
    train = params["experiments"]["blobs4"]["train"]
    train["epoch"] = train.pop("epochs")
    set_key(params, "blobs4.train.optimizer", "sgdd")
    set_key(params, "regression.data.noise_std", 0)

    assert parse_errors(params) == [
        "experiments.blobs4.train.optimizer: got 'sgdd', expected one of sgd, adam, adamw, "
        "rmsprop, adagrad, adadelta, adamax, nadam",
        "experiments.blobs4.train.epoch: unknown key; did you mean 'epochs' (missing)?",
        "experiments.regression.data.noise_std: got 0, expected a finite number > 0",
    ]


def test_mistakes_across_keys_are_reported_together(params):
    set_key(params, "blobs4.model.output_activation", "sigmoid")
    set_key(params, "blobs4.train.batch_size", 5000)
    set_key(params, "blobs4.plot.grid_max", -30)
    set_key(params, "regression.data.x_max", -20)

    assert parse_errors(params) == [
        "experiments.blobs4.model.output_activation: got 'sigmoid', "
        "expected softmax for a classification experiment",
        "experiments.blobs4.train.batch_size: got 5000, "
        "expected at most the training set size (3200)",
        "experiments.blobs4.plot.grid_max: got -30.0, expected a number above grid_min=-20.0",
        "experiments.regression.data.x_max: got -20.0, expected a number above x_min=-20.0",
    ]


def test_a_bad_experiment_does_not_hide_the_others(params):
    set_key(params, "blobs4.task", "clustering")
    set_key(params, "blobs2", None)
    set_key(params, "regression.model.hidden_units", [16, 0])

    assert parse_errors(params) == [
        "experiments.blobs4.task: got 'clustering', expected one of classification, regression",
        "experiments.blobs2: got None, expected a mapping with keys "
        "task, data, split, model, train, plot",
        "experiments.regression.model.hidden_units: got [16, 0], expected a list of positive "
        "integers (the hidden layers' widths; [] for none)",
    ]


def test_each_mistake_is_printed_as_its_own_error_line(params, tmp_path, capsys):
    set_key(params, "blobs4.train.epochs", 0)
    set_key(params, "blobs2.train.optimizer", "SGD")
    path = tmp_path / "params.yaml"
    path.write_text(json.dumps(params))  # JSON is YAML

    with pytest.raises(SystemExit) as exit_:
        cli.run(lambda: load_params(path))

    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: experiments.blobs4.train.epochs: got 0, expected an integer >= 1",
        "error: experiments.blobs2.train.optimizer: got 'SGD', expected one of sgd, adam, adamw, "
        "rmsprop, adagrad, adadelta, adamax, nadam",
    ]


@pytest.mark.parametrize(
    "name, section, key, value, message",
    [
        (
            "blobs4",
            "plot",
            "grid_points",
            2001,
            "experiments.blobs4.plot.grid_points: got 2001, expected at most 2,000 (the plot stage predicts all grid_points² points of the boundary grid: 2,000 makes 4,000,000)",
        ),
        (
            "regression",
            "plot",
            "grid_points",
            4_000_001,
            "experiments.regression.plot.grid_points: got 4000001, expected at most 4,000,000 (the plot stage predicts every point of the curve)",
        ),
        (
            "blobs2",
            "data",
            "n_samples",
            10_000_001,
            "experiments.blobs2.data.n_samples: got 10000001, expected at most 20,000,000 values (n_samples x n_features): the train stage needs about 240 bytes per value, so 4.8 GB at the limit",
        ),
    ],
)
def test_settings_that_would_allocate_too_much_are_refused_with_the_limit(
    params, name, section, key, value, message
):
    params["experiments"][name][section][key] = value
    with pytest.raises(SettingsError) as error:
        parse_params(params)
    assert str(error.value) == message


def test_the_largest_allowed_grid_and_data_pass(params):
    params["experiments"]["blobs4"]["plot"]["grid_points"] = 2000
    params["experiments"]["regression"]["plot"]["grid_points"] = 4_000_000
    params["experiments"]["blobs2"]["data"]["n_samples"] = 10_000_000  # x 2 features
    params["experiments"]["regression"]["data"]["n_samples"] = 20_000_000  # a curve: 1 feature
    parsed = parse_params(params)
    assert parsed["blobs2"].data.n_samples == 10_000_000
    assert parsed["regression"].data.n_samples == 20_000_000


# --- an experiment on a table of the user's ---

SPLIT = {"test_size": 0.25, "random_state": 1}
TABLE_EXPERIMENT = {
    "task": "classification",
    "data": {"target": "kind", "drop_columns": ["id"], "missing": "error"},
    "split": SPLIT,
    "model": {"hidden_units": [], "hidden_activation": "relu", "output_activation": "softmax"},
    "train": {"optimizer": "adam", "learning_rate": 0.01, "batch_size": 8, "epochs": 3, "seed": 0},
    "plot": {"grid_points": 50},
}


@pytest.fixture(scope="module")
def iris():
    return parse_params({"experiments": {"iris": TABLE_EXPERIMENT}})["iris"]


def test_a_table_experiment_is_tagged_by_its_data_keys(iris):
    assert iris == settings.Experiment(
        name="iris",
        task="classification",
        table=True,
        data=settings.TableData(target="kind", drop_columns=("id",), missing="error"),
        split=settings.Split(test_size=0.25, random_state=1),
        model=settings.Model(
            hidden_units=(), hidden_activation="relu", output_activation="softmax"
        ),
        train=settings.Train(optimizer="adam", learning_rate=0.01, batch_size=8, epochs=3, seed=0),
        plot=settings.TablePlot(grid_points=50),
    )
    assert parse_experiment("iris", TABLE_EXPERIMENT) == iris


def test_parse_experiment_is_told_that_the_data_is_a_table():
    split_only = {"task": "regression", "split": SPLIT}
    synthetic = parse_experiment("curve", split_only, ("split",))
    assert synthetic == settings.Experiment("curve", "regression", split=settings.Split(0.25, 1))
    table = parse_experiment("curve", split_only, ("split",), table=True)
    assert table == settings.Experiment(
        "curve", "regression", table=True, split=settings.Split(0.25, 1)
    )


def test_parse_experiment_of_all_sections_defaults_to_generated_data(params):
    blobs4 = params["experiments"]["blobs4"]
    assert parse_experiment("blobs4", blobs4) == parse_params(params)["blobs4"]


@pytest.mark.parametrize("table", [False, True])
def test_parse_experiment_names_a_bad_keys_whole_path(table):
    # Validated as its own kind, the problem's path has no union tag: the section stays in it.
    unknown = {"task": "regression", "split": {**SPLIT, "seeed": 2}}
    with pytest.raises(SettingsError) as caught:
        parse_experiment("curve", unknown, ("split",), table=table)
    assert str(caught.value) == (
        "experiments.curve.split.seeed: unknown key; allowed: test_size, random_state, stratify"
    )
    out_of_range = {"task": "regression", "split": {**SPLIT, "test_size": 2}}
    with pytest.raises(SettingsError) as caught:
        parse_experiment("curve", out_of_range, ("split",), table=table)
    assert str(caught.value) == (
        "experiments.curve.split.test_size: got 2, expected a number strictly between 0 and 1"
    )


@pytest.mark.parametrize(
    "raw, message",
    [
        (
            {"task": "clustering", "split": SPLIT},
            "experiments.x.task: got 'clustering', expected one of classification, regression",
        ),
        ({"split": SPLIT}, "experiments.x.task: missing; every experiment needs it"),
        ([1, 2], "experiments.x: got [1, 2], expected a mapping with keys task, split"),
    ],
)
def test_parse_experiment_without_a_known_task(raw, message):
    for table in (False, True):
        with pytest.raises(SettingsError) as caught:
            parse_experiment("x", raw, ("split",), table=table)
        assert str(caught.value) == message


def test_the_experiments_union_picks_each_experiments_model_by_its_tag(params):
    # Built once at import for params.yaml and once per stage (cached): called here directly.
    union = TypeAdapter(_experiments_union(_FULL))
    experiments = params["experiments"]
    assert type(union.validate_python(experiments["blobs4"])) is ClassificationParams
    assert type(union.validate_python(experiments["regression"])) is RegressionParams
    assert type(union.validate_python(TABLE_EXPERIMENT)) is TableClassificationParams
    for raw, kind in [({"task": "clustering"}, "union_tag_invalid"), ({}, "union_tag_not_found")]:
        with pytest.raises(ValidationError) as caught:
            union.validate_python(raw)
        assert [(e["type"], e["loc"]) for e in caught.value.errors()] == [(kind, ())]
