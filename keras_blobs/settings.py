"""Validate the experiments in params.yaml into typed, frozen settings.

Every key is checked once, here: its type, its range, its allowed values, and
whether it is known at all. A bad value raises ``SettingsError`` with one line
naming the full key path, the value and what is allowed.
"""

import dataclasses
import difflib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML, YAMLError

from keras_blobs.errors import SettingsError

TASKS = ("classification", "regression")
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam")
# Activations that both Keras and the NumPy forward pass (keras_blobs.inference) implement.
ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh", "softplus", "softmax")
# The file each stage reads holds these sections (besides the experiment's name and task).
STAGE_SECTIONS = {
    "generate": ("data",),
    "split": ("split",),
    "train": ("model", "train"),
    "evaluate": (),
    "plot": ("plot",),
}


@dataclass(frozen=True)
class BlobsData:
    """make_blobs' own arguments."""

    n_samples: int
    n_features: int
    centers: int | tuple[tuple[float, ...], ...]
    cluster_std: float
    random_state: int

    @property
    def n_classes(self):
        return self.centers if isinstance(self.centers, int) else len(self.centers)


@dataclass(frozen=True)
class CurveData:
    """A noisy logistic curve y = 1 / (1 + e^x) on evenly spaced x."""

    n_samples: int
    x_min: float
    x_max: float
    noise_std: float
    random_state: int


@dataclass(frozen=True)
class Split:
    test_size: float
    random_state: int


@dataclass(frozen=True)
class Model:
    hidden_units: tuple[int, ...]
    hidden_activation: str
    output_activation: str


@dataclass(frozen=True)
class Train:
    optimizer: str
    learning_rate: float
    batch_size: int
    epochs: int
    seed: int


@dataclass(frozen=True)
class Plot:
    """The square grid (or, for regression, the x range) a model is drawn on."""

    grid_min: float
    grid_max: float
    grid_points: int


@dataclass(frozen=True)
class Experiment:
    """One experiment; a stage's settings file carries only the sections it reads."""

    name: str
    task: str
    data: BlobsData | CurveData | None = None
    split: Split | None = None
    model: Model | None = None
    train: Train | None = None
    plot: Plot | None = None


# --- checks on single values: each returns the clean value or raises _Bad(expected) ---


class _Bad(Exception):
    pass


def _integer(value, minimum=None):
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 2**63:
        raise _Bad("an integer" if minimum is None else f"an integer >= {minimum}")
    if minimum is not None and value < minimum:
        raise _Bad(f"an integer >= {minimum}")
    return value


def _positive_int(value):
    return _integer(value, minimum=1)


def _seed(value):
    return _integer(value, minimum=0)


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not _finite(value):
        raise _Bad("a finite number")
    return float(value)


def _finite(value):
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def _positive(value):
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not _finite(value)
        or value <= 0
    ):
        raise _Bad("a finite number > 0")
    return float(value)


def _fraction(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise _Bad("a number strictly between 0 and 1")
    return float(value)


def _one_of(*allowed):
    def check(value):
        if value not in allowed:
            raise _Bad("one of " + ", ".join(allowed))
        return value

    return check


def _widths(value):
    expected = "a list of positive integers (the hidden layers' widths; [] for none)"
    if not isinstance(value, list):
        raise _Bad(expected)
    try:
        return tuple(_positive_int(width) for width in value)
    except _Bad:
        raise _Bad(expected) from None


def _centers(value):
    expected = "an integer >= 2 (number of classes) or a list of >= 2 centre coordinates"
    if isinstance(value, list):
        try:
            points = tuple(tuple(_number(c) for c in point) for point in value)
        except (_Bad, TypeError):
            raise _Bad(expected) from None
        if len(points) < 2:
            raise _Bad(expected)
        return points
    try:
        return _integer(value, minimum=2)
    except _Bad:
        raise _Bad(expected) from None


_SCHEMAS = {
    "blobs": (
        BlobsData,
        {
            "n_samples": _positive_int,
            "n_features": _positive_int,
            "centers": _centers,
            "cluster_std": _positive,
            "random_state": _seed,
        },
    ),
    "curve": (
        CurveData,
        {
            "n_samples": _positive_int,
            "x_min": _number,
            "x_max": _number,
            "noise_std": _positive,
            "random_state": _seed,
        },
    ),
    "split": (Split, {"test_size": _fraction, "random_state": _seed}),
    "model": (
        Model,
        {
            "hidden_units": _widths,
            "hidden_activation": _one_of(*ACTIVATIONS),
            "output_activation": _one_of(*ACTIVATIONS),
        },
    ),
    "train": (
        Train,
        {
            "optimizer": _one_of(*OPTIMIZERS),
            "learning_rate": _positive,
            "batch_size": _positive_int,
            "epochs": _positive_int,
            "seed": _seed,
        },
    ),
    "plot": (Plot, {"grid_min": _number, "grid_max": _number, "grid_points": _positive_int}),
}


def _fail(path, value, expected):
    raise SettingsError(f"{path}: got {value!r}, expected {expected}")


def _check_keys(path, raw, allowed):
    """Reject a non-mapping, unknown keys (with a suggestion) and missing keys."""
    if not isinstance(raw, dict):
        _fail(path, raw, "a mapping with keys " + ", ".join(allowed))
    for key in raw:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise SettingsError(f"{path}.{key}: unknown key; {hint}allowed: {', '.join(allowed)}")
    for key in allowed:
        if key not in raw:
            raise SettingsError(f"{path}.{key}: missing; every experiment needs it")


def _parse_section(path, raw, schema):
    cls, checks = _SCHEMAS[schema]
    _check_keys(path, raw, list(checks))
    values = {}
    for key, check in checks.items():
        try:
            values[key] = check(raw[key])
        except _Bad as bad:
            _fail(f"{path}.{key}", raw[key], bad)
    return cls(**values)


def _check_consistency(path, experiment):
    """Checks that involve more than one key."""
    data, split, train, plot = experiment.data, experiment.split, experiment.train, experiment.plot
    if isinstance(data, BlobsData) and not isinstance(data.centers, int):
        for point in data.centers:
            if len(point) != data.n_features:
                _fail(
                    f"{path}.data.centers",
                    [list(p) for p in data.centers],
                    f"points with n_features={data.n_features} coordinates each",
                )
    if isinstance(data, CurveData) and not data.x_min < data.x_max:
        _fail(f"{path}.data.x_max", data.x_max, f"a number above x_min={data.x_min}")
    if plot and not plot.grid_min < plot.grid_max:
        _fail(f"{path}.plot.grid_max", plot.grid_max, f"a number above grid_min={plot.grid_min}")
    model = experiment.model
    if model and experiment.task == "classification" and model.output_activation != "softmax":
        _fail(
            f"{path}.model.output_activation",
            model.output_activation,
            "softmax for a classification experiment",
        )
    if model and experiment.task == "regression" and model.output_activation == "softmax":
        _fail(
            f"{path}.model.output_activation",
            model.output_activation,
            "an activation other than softmax (one output unit)",
        )
    if isinstance(data, BlobsData) and data.n_samples < data.n_classes:
        _fail(
            f"{path}.data.n_samples",
            data.n_samples,
            f"at least one sample per class (centers gives {data.n_classes} classes)",
        )
    if data and split:
        n_test = math.ceil(split.test_size * data.n_samples)  # scikit-learn's rounding
        n_train = data.n_samples - n_test
        if n_train < 1 or n_test < 1:
            _fail(
                f"{path}.split.test_size",
                split.test_size,
                f"a fraction leaving both sides of n_samples={data.n_samples} non-empty",
            )
        if train and train.batch_size > n_train:
            _fail(
                f"{path}.train.batch_size",
                train.batch_size,
                f"at most the training set size ({n_train})",
            )


def parse_experiment(name, raw, sections=("data", "split", "model", "train", "plot")):
    """Validate one experiment's raw mapping into an Experiment.

    Args:
        name: the experiment's key under ``experiments``.
        raw: its mapping, as read from YAML or JSON.
        sections: the sections that must be present (all of them for params.yaml).
    """
    path = f"experiments.{name}"
    _check_keys(path, raw, ["task", *sections])
    task = raw["task"]
    if task not in TASKS:
        _fail(f"{path}.task", task, "one of " + ", ".join(TASKS))
    schemas = {"data": "blobs" if task == "classification" else "curve"}
    parsed = {
        section: _parse_section(f"{path}.{section}", raw[section], schemas.get(section, section))
        for section in sections
    }
    experiment = Experiment(name=name, task=task, **parsed)
    _check_consistency(path, experiment)
    return experiment


def parse_params(params):
    """Validate the whole params mapping; returns {name: Experiment}."""
    _check_keys("params", params, ["experiments"])
    experiments = params["experiments"]
    if not isinstance(experiments, dict) or not experiments:
        _fail("experiments", experiments, "a mapping of experiment names to experiments")
    for name in experiments:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", str(name)):
            _fail(
                "experiments",
                name,
                "experiment names made of letters, digits, _ and - (they become folder names)",
            )
    return {str(name): parse_experiment(str(name), raw) for name, raw in experiments.items()}


def load_params(path):
    """Read and validate a params.yaml file.

    It is read the way DVC reads it (ruamel.yaml, YAML 1.2, safe: plain data only), so a
    value set with ``dvc exp run -S`` such as ``1e-05`` is the number DVC meant.
    """
    try:
        params = YAML(typ="safe", pure=True).load(Path(path).read_text())
    except (OSError, YAMLError) as error:
        raise SettingsError(f"{path}: cannot read params: {error}") from None
    return parse_params(params)


def stage_settings(experiment, stage):
    """The JSON-ready mapping a stage reads: name, task and that stage's sections."""
    settings = {"name": experiment.name, "task": experiment.task}
    for section in STAGE_SECTIONS[stage]:
        settings[section] = dataclasses.asdict(getattr(experiment, section))
    return settings


def read_stage_settings(path, stage):
    """Read a stage's settings file (written by the validate stage) into an Experiment."""
    try:
        raw = json.loads(Path(path).read_text())
        name = raw.pop("name")
        return parse_experiment(name, raw, STAGE_SECTIONS[stage])
    except (OSError, ValueError, KeyError, AttributeError, TypeError) as error:
        raise SettingsError(
            f"{path}: not a settings file written by the validate stage ({error})"
        ) from None
