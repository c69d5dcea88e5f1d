"""Validate the experiments in params.yaml into typed, frozen settings (pydantic models).

Every key is checked once, here: its type, its range, its allowed values, and whether
it is known at all. Bad values raise ``SettingsError`` with one line per problem, each
naming the full key path, the value and what is allowed.
"""

import dataclasses
import difflib
import json
import math
from functools import cache
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    Tag,
    TypeAdapter,
    ValidationError,
    WrapValidator,
    create_model,
    model_validator,
)
from pydantic.dataclasses import dataclass
from pydantic_core import PydanticCustomError
from ruamel.yaml import YAMLError

from pipeline import activations
from pipeline.errors import SettingsError
from pipeline.files import read_yaml
from pipeline.tasks import Task

TASKS = tuple(Task)
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam")
ACTIVATIONS = tuple(activations.ACTIVATIONS)  # those the NumPy forward pass implements
SECTIONS = ("data", "split", "model", "train", "plot")
PREPROCESSING = ("none", "standardize")
MISSING = ("error", "drop_rows")
# Bounds on what a setting makes a stage allocate, so a typo fails here and not as a crash.
# Measured: blobs4 at 4,000,000 x 2 values peaks at 1.86 GB in train (bench/results.md).
MAX_VALUES = 20_000_000
BYTES_PER_VALUE = 240
MAX_GRID_VALUES = 4_000_000  # 2000 x 2000 for a decision boundary
# The file each stage reads holds these sections (besides the experiment's name and task).
STAGE_SECTIONS = {
    "generate": ("data",),
    "ingest": ("data",),
    "split": ("split",),
    "train": ("model", "train"),
    "evaluate": (),  # the model's own settings are in its weights file
    "plot": ("plot",),
}


def _expected(text: str, nested: bool = True) -> WrapValidator:
    """Report a bad value as one problem saying what is allowed instead of pydantic's own.

    With ``nested=False`` only the value itself is judged; problems inside it (an
    experiment of the experiments mapping) are reported as they are.
    """

    def check(value, handler):
        try:
            return handler(value)
        except ValidationError as error:
            if not nested and all(problem["loc"] for problem in error.errors()):
                raise
            raise PydanticCustomError("expected", text) from None

    return WrapValidator(check)


_MAX_INT = 2**63  # no setting needs a larger integer


def _integral(value: Any) -> Any:
    """10.0 as 10: DVC takes them for the same param value (it would not rerun a stage for
    the change), so they must mean the same here too."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


Integral = BeforeValidator(_integral)
Count = Annotated[int, Strict(), Field(ge=1, le=_MAX_INT), Integral, _expected("an integer >= 1")]
Seed = Annotated[int, Strict(), Field(ge=0, le=_MAX_INT), Integral, _expected("an integer >= 0")]
Number = Annotated[float, Strict(), Field(allow_inf_nan=False), _expected("a finite number")]
Positive = Annotated[
    float, Strict(), Field(gt=0, allow_inf_nan=False), _expected("a finite number > 0")
]
Fraction = Annotated[
    float, Strict(), Field(gt=0, lt=1), _expected("a number strictly between 0 and 1")
]
Optimizer = Annotated[Literal[OPTIMIZERS], _expected("one of " + ", ".join(OPTIMIZERS))]
Activation = Annotated[Literal[ACTIVATIONS], _expected("one of " + ", ".join(ACTIVATIONS))]
Widths = Annotated[
    tuple[Count, ...],
    _expected("a list of positive integers (the hidden layers' widths; [] for none)"),
]
Centers = Annotated[
    Annotated[int, Strict(), Field(ge=2, le=_MAX_INT)]
    | Annotated[tuple[tuple[Number, ...], ...], Field(min_length=2)],
    _expected("an integer >= 2 (number of classes) or a list of >= 2 centre coordinates"),
]
ColumnName = Annotated[str, Strict(), Field(min_length=1), _expected("a column name")]
Columns = Annotated[tuple[ColumnName, ...], _expected("a list of column names ([] for none)")]
Missing = Annotated[Literal[MISSING], _expected("one of " + ", ".join(MISSING))]
Preprocessing = Annotated[Literal[PREPROCESSING], _expected("one of " + ", ".join(PREPROCESSING))]
Flag = Annotated[bool, Strict(), _expected("true or false")]
ExperimentName = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9_-]+$"),
    BeforeValidator(str),
    _expected("experiment names made of letters, digits, _ and - (they become folder names)"),
]

# Every mapping refuses unknown keys; a field's docstring is its description in the schema.
_STRICT = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


@dataclass(config=_STRICT)
class BlobsData:
    """make_blobs' own arguments."""

    n_samples: Count
    n_features: Count
    centers: Centers
    """a number of classes, or a list of centre coordinates"""
    cluster_std: Positive
    """each blob's standard deviation"""
    random_state: Seed

    @property
    def n_classes(self) -> int:
        """The number of blobs: ``centers`` itself, or the number of centre coordinates."""
        return self.centers if isinstance(self.centers, int) else len(self.centers)


@dataclass(config=_STRICT)
class CurveData:
    """A noisy logistic curve y = 1 / (1 + e^x) on x evenly spaced on [x_min, x_max]."""

    n_samples: Count
    x_min: Number
    x_max: Number
    noise_std: Positive
    """the standard deviation of the Gaussian noise added to y"""
    random_state: Seed


@dataclass(config=_STRICT)
class TableData:
    """A table of your own (the file is named in dvc.yaml's `tables`; make experiment adds it)."""

    target: ColumnName
    """the column to predict; every other column not in drop_columns is a feature"""
    drop_columns: Columns
    """columns left out, such as text ids or dates ([] for none)"""
    missing: Missing
    """error: a missing value stops the pipeline, naming its row and column; drop_rows: rows
    with a missing value are left out"""


@dataclass(config=_STRICT)
class Split:
    """The train / test split (scikit-learn's train_test_split)."""

    test_size: Fraction
    """the fraction of the samples held out for testing"""
    random_state: Seed
    stratify: Flag = False
    """true: each class keeps its share on both sides (classification only); default false"""


@dataclass(config=_STRICT)
class Model:
    """Hidden Dense layers, then the output layer's scores and activation."""

    hidden_units: Widths
    """[] is a linear softmax classifier; [16, 16] adds two layers"""
    hidden_activation: Activation
    output_activation: Activation
    """softmax for classification; for regression (one output unit) anything but softmax"""
    preprocessing: Preprocessing = "none"
    """standardize: a Keras Normalization layer adapted on the train split comes first (part
    of the model, so evaluate, plot and predict apply it too); none (the default): the
    features as they are"""
    standardize_target: Flag = False
    """regression with a linear output only. true: the model learns the target standardized by
    the train split's mean and spread and a Keras Rescaling layer puts them back, so it predicts
    in the target's own units whatever their scale; false (the default): it learns the target
    as it is"""


@dataclass(config=_STRICT)
class Train:
    """The optimizer and the training loop."""

    optimizer: Optimizer
    learning_rate: Positive
    """the optimizer's step size (Keras' default for SGD is 0.01)"""
    batch_size: Count
    """at most the training set size"""
    epochs: Count
    seed: Seed


@dataclass(config=_STRICT)
class Plot:
    """The square grid (or, for regression, the x range) a model is drawn on."""

    grid_min: Number
    grid_max: Number
    grid_points: Count


@dataclass(config=_STRICT)
class TablePlot:
    """A table's pictures: its range comes from the data."""

    grid_points: Count
    """the decision-boundary grid's points per side (two features; more are projected)"""


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One experiment; a stage's settings file carries only the sections it reads."""

    name: str
    task: Task
    table: bool = False  # data from a file of the user's (TableData), not generated
    data: BlobsData | CurveData | TableData | None = None
    split: Split | None = None
    model: Model | None = None
    train: Train | None = None
    plot: Plot | TablePlot | None = None


def _inconsistencies(experiment: Any) -> list[tuple[str, Any, str]]:
    """The problems involving several keys, as (section.key, value, what is allowed)."""
    problems = []
    data, split, model, train, plot = (getattr(experiment, s, None) for s in SECTIONS)
    blobs = isinstance(data, BlobsData)
    points = data.centers if blobs and not isinstance(data.centers, int) else ()
    if any(len(point) != data.n_features for point in points):
        expected = f"points with n_features={data.n_features} coordinates each"
        problems.append(("data.centers", [list(point) for point in points], expected))
    too_few = blobs and data.n_samples < data.n_classes
    if too_few:
        expected = f"at least one sample per class (centers gives {data.n_classes} classes)"
        problems.append(("data.n_samples", data.n_samples, expected))
    if isinstance(data, CurveData) and not data.x_min < data.x_max:
        problems.append(("data.x_max", data.x_max, f"a number above x_min={data.x_min}"))
    if split and split.stratify and experiment.task == Task.REGRESSION:
        problems.append(("split.stratify", True, "false for a regression (it has no classes)"))
    if data and split and hasattr(data, "n_samples") and not too_few:  # judged once
        n_test = math.ceil(split.test_size * data.n_samples)  # scikit-learn's rounding
        n_train = data.n_samples - n_test
        if n_train < 1 or n_test < 1:
            expected = f"a fraction leaving both sides of n_samples={data.n_samples} non-empty"
            problems.append(("split.test_size", split.test_size, expected))
        elif train and train.batch_size > n_train:
            expected = f"at most the training set size ({n_train})"
            problems.append(("train.batch_size", train.batch_size, expected))
    if model and experiment.task == Task.CLASSIFICATION and model.output_activation != "softmax":
        expected = "softmax for a classification experiment"
        problems.append(("model.output_activation", model.output_activation, expected))
    if model and model.standardize_target and model.output_activation != "linear":
        expected = (
            "false for a classification (its targets are classes)"
            if experiment.task == Task.CLASSIFICATION
            else f"false with output_activation {model.output_activation} (a standardized "
            "target lies on both sides of its mean, without bound: linear)"
        )
        problems.append(("model.standardize_target", True, expected))
    if model and experiment.task == Task.REGRESSION and model.output_activation == "softmax":
        expected = "an activation other than softmax (one output unit)"
        problems.append(("model.output_activation", model.output_activation, expected))
    if hasattr(data, "n_samples") and data.n_samples * getattr(data, "n_features", 1) > MAX_VALUES:
        expected = (
            f"at most {MAX_VALUES:,} values (n_samples x n_features): the train stage "
            f"needs about {BYTES_PER_VALUE} bytes per value, so "
            f"{BYTES_PER_VALUE * MAX_VALUES / 1e9:.1f} GB at the limit"
        )
        problems.append(("data.n_samples", data.n_samples, expected))
    classification = experiment.task == Task.CLASSIFICATION
    limit = math.isqrt(MAX_GRID_VALUES) if classification else MAX_GRID_VALUES
    if plot and plot.grid_points > limit:
        expected = (
            f"at most {limit:,} (the plot stage predicts all grid_points² points of the "
            f"boundary grid: {limit:,} makes {MAX_GRID_VALUES:,})"
            if classification
            else f"at most {limit:,} (the plot stage predicts every point of the curve)"
        )
        problems.append(("plot.grid_points", plot.grid_points, expected))
    if isinstance(plot, Plot) and not plot.grid_min < plot.grid_max:
        expected = f"a number above grid_min={plot.grid_min}"
        problems.append(("plot.grid_max", plot.grid_max, expected))
    return sorted(problems, key=lambda problem: SECTIONS.index(problem[0].split(".")[0]))


class _ExperimentParams(BaseModel):
    """An experiment's entry under ``experiments``, checked as a whole once its keys are."""

    model_config = _STRICT

    @model_validator(mode="after")
    def _consistent(self):
        problems = [
            {
                "type": PydanticCustomError("expected", expected),
                "loc": tuple(key.split(".")),
                "input": value,
            }
            for key, value, expected in _inconsistencies(self)
        ]
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self


class ClassificationParams(_ExperimentParams):
    """A softmax classifier of make_blobs' points."""

    table: ClassVar[bool] = False

    task: Literal[Task.CLASSIFICATION]
    """classification (data: make_blobs' arguments) | regression (data: a curve)"""
    data: BlobsData
    split: Split
    model: Model
    train: Train
    plot: Plot
    """the decision-boundary grid on the first two features"""


class RegressionParams(_ExperimentParams):
    """A regression of the noisy curve y = 1 / (1 + e^x)."""

    table: ClassVar[bool] = False

    task: Literal[Task.REGRESSION]
    """classification (data: make_blobs' arguments) | regression (data: a curve)"""
    data: CurveData
    split: Split
    model: Model
    train: Train
    plot: Plot
    """the x range and resolution of the fitted curve"""


class _TableParams(_ExperimentParams):
    """The sections of an experiment whose data is a table of the user's."""

    table: ClassVar[bool] = True
    task: Task
    """classification | regression"""
    data: TableData
    split: Split
    model: Model
    train: Train
    plot: TablePlot


class TableClassificationParams(_TableParams):
    """A classifier of a table of your own (a class column of text or integers)."""

    task: Literal[Task.CLASSIFICATION]
    """classification | regression"""


class TableRegressionParams(_TableParams):
    """A regression of a numeric column of a table of your own."""

    task: Literal[Task.REGRESSION]
    """classification | regression"""


# Each kind of experiment by its tag: the task, and whether its data is a table of the user's.
_FULL = {
    Task.CLASSIFICATION.value: ClassificationParams,
    Task.REGRESSION.value: RegressionParams,
    f"table {Task.CLASSIFICATION}": TableClassificationParams,
    f"table {Task.REGRESSION}": TableRegressionParams,
}


def _kind(raw: Any) -> str | None:
    """An experiment mapping's tag in _FULL: its task, prefixed by "table " when its data
    section has any of a table's keys (or a stage's settings file says it is a table)."""
    if not isinstance(raw, dict):
        return Task.CLASSIFICATION.value  # whose model then says a mapping is expected
    task = raw.get("task")
    if task is None:
        return None
    data = raw.get("data")
    table_keys = {field.name for field in dataclasses.fields(TableData)}
    table = raw.get("table") is True or isinstance(data, dict) and bool(table_keys & set(data))
    return f"table {task}" if table and task in TASKS else str(task)


def _experiments_union(models: dict[str, type]) -> Any:
    """An experiment of any kind, chosen by its tag (so errors are those of its own kind)."""
    tagged = tuple(Annotated[model, Tag(tag)] for tag, model in models.items())
    return Annotated[Union[tagged], Discriminator(_kind)]  # noqa: UP007


class Params(BaseModel):
    """Every hyperparameter of the pipeline: one entry per experiment under `experiments`,
    each section named after the stage that reads it. Change a value with
    `dvc exp run -S experiments.blobs4.train.epochs=20`."""

    model_config = ConfigDict(**_STRICT, title="params.yaml")

    experiments: Annotated[
        dict[ExperimentName, _experiments_union(_FULL)],
        Field(min_length=1, json_schema_extra={"additionalProperties": False}),
        _expected("a mapping of experiment names to experiments", nested=False),
    ]
    """the experiments by name (letters, digits, _ and -: it becomes a folder name)"""


@cache
def _stage_models(sections: tuple[str, ...]) -> tuple[dict[str, type], TypeAdapter]:
    """Per task, the model of an experiment with only these sections; a validator of both."""
    models = {
        tag: create_model(
            full.__name__,
            __base__=_ExperimentParams,
            table=(ClassVar[bool], full.table),
            **{
                key: (field.annotation, field)
                for key, field in full.model_fields.items()
                if key == "task" or key in sections
            },
        )
        for tag, full in _FULL.items()
    }
    return models, TypeAdapter(_experiments_union(models))


def _keys(loc: tuple, models: dict[str, type[_ExperimentParams]], task: str | None) -> list:
    """The keys allowed in the mapping at ``loc``: params, an experiment or its section."""
    if not loc:
        return list(Params.model_fields)
    model = models.get(task) or models[Task.CLASSIFICATION.value]
    if len(loc) == 2:
        return list(model.model_fields)
    return [field.name for field in dataclasses.fields(model.model_fields[loc[2]].annotation)]


_UNKNOWN = ("extra_forbidden", "unexpected_keyword_argument")
_NOT_A_MAPPING = ("model_type", "model_attributes_type", "dataclass_type")


def _path(loc: tuple) -> str:
    return ".".join(loc) or "params"


def _locate(problem: dict, prefix: tuple) -> tuple[str, tuple, str | None, dict]:
    """A pydantic problem's kind, its key path without pydantic's tags, the task and itself."""
    loc, task = prefix + tuple(str(part) for part in problem["loc"]), None
    if loc[-1:] == ("[key]",):  # a bad experiment name: the experiments mapping is at fault
        loc = loc[:-2]
    elif len(loc) > 2 and loc[0] == "experiments":  # experiments.<name>.<task>.<section>...
        task, loc = loc[2], loc[:2] + loc[3:]
    return problem["type"], loc, task, problem


def _describe(error: ValidationError, models: dict, prefix: tuple = ()) -> str:
    """One line per problem pydantic found, in its order: every unknown key and every missing
    key at once. An unknown key that is close to a missing one is one mistake, one line."""
    problems = [_locate(problem, prefix) for problem in error.errors()]
    missing = {loc for kind, loc, _, _ in problems if kind == "missing"}
    guesses = {}  # an unknown key's loc -> the key it is close to
    for kind, loc, task, _ in problems:
        if kind in _UNKNOWN:
            close = difflib.get_close_matches(loc[-1], _keys(loc[:-1], models, task), n=1)
            guesses[loc] = close[0] if close else None
    explained = {loc[:-1] + (guess,) for loc, guess in guesses.items() if guess}
    lines = []
    for kind, loc, task, problem in problems:
        value = problem["input"]
        key = f"{_path(loc[:-1])}.{loc[-1]}" if kind in (*_UNKNOWN, "missing") else _path(loc)
        if kind == "missing" and loc not in explained:
            lines.append(f"{key}: missing; every experiment needs it")
        elif kind in _UNKNOWN:
            guess = guesses[loc]
            allowed = ", ".join(_keys(loc[:-1], models, task))
            if guess and loc[:-1] + (guess,) in missing:
                lines.append(f"{key}: unknown key; did you mean {guess!r} (missing)?")
            elif guess:
                lines.append(f"{key}: unknown key; did you mean {guess!r}? allowed: {allowed}")
            else:
                lines.append(f"{key}: unknown key; allowed: {allowed}")
        elif kind == "union_tag_not_found":
            lines.append(f"{key}.task: missing; every experiment needs it")
        elif kind == "union_tag_invalid":
            expected = "one of " + ", ".join(TASKS)
            lines.append(f"{key}.task: got {value['task']!r}, expected {expected}")
        elif kind in _NOT_A_MAPPING:
            expected = "a mapping with keys " + ", ".join(_keys(loc, models, task))
            lines.append(f"{key}: got {value!r}, expected {expected}")
        elif kind != "missing":  # "expected", from _expected or the checks across keys
            lines.append(f"{key}: got {value!r}, expected {problem['msg']}")
    return "\n".join(lines)


def _experiment(name: str, validated: _ExperimentParams) -> Experiment:
    return Experiment(name=name, table=validated.table, **dict(validated))


def parse_experiment(
    name: str, raw: Any, sections: tuple[str, ...] = SECTIONS, *, table: bool = False
) -> Experiment:
    """Validate one experiment's raw mapping into an Experiment.

    Args:
        name: the experiment's key under ``experiments``.
        raw: its mapping, as read from YAML or JSON.
        sections: the sections that must be present (all of them for params.yaml).
        table: a stage's settings file says whether the data is a table (its data section,
            which would say so, is not in every stage's file).
    """
    models, validator = _stage_models(tuple(sections))
    tag = _kind({**raw, "table": table} if isinstance(raw, dict) else raw)
    try:
        if tag in models:  # validated as its own kind: the key paths carry no union tag
            validated = models[tag].model_validate(raw)
        else:
            validated = validator.validate_python(raw)
    except ValidationError as error:
        prefix = ("experiments", name, tag) if tag in models else ("experiments", name)
        raise SettingsError(_describe(error, models, prefix)) from None
    return _experiment(name, validated)


def parse_params(params: Any) -> dict[str, Experiment]:
    """Validate the whole params mapping; returns {name: Experiment}."""
    try:
        validated = Params.model_validate(params)
    except ValidationError as error:
        raise SettingsError(_describe(error, _FULL)) from None
    return {name: _experiment(name, raw) for name, raw in validated.experiments.items()}


def load_params(path: str | Path) -> dict[str, Experiment]:
    """Read and validate a params.yaml file (read as DVC reads it, see read_yaml)."""
    try:
        params = read_yaml(path)
    except (OSError, YAMLError) as error:
        raise SettingsError(f"{path}: cannot read params: {error}") from None
    return parse_params(params)


def stage_settings(experiment: Experiment, stage: str) -> dict[str, Any]:
    """The JSON-ready mapping a stage reads: name, task and that stage's sections."""
    settings = {"name": experiment.name, "task": experiment.task}
    if experiment.table:
        settings["table"] = True
    for section in STAGE_SECTIONS[stage]:
        settings[section] = dataclasses.asdict(getattr(experiment, section))
    return settings


def read_stage_settings(path: str | Path, stage: str) -> Experiment:
    """Read a stage's settings file (written by the validate stage) into an Experiment."""
    try:
        raw = json.loads(Path(path).read_text())
        name = raw.pop("name")
        table = raw.pop("table", False) is True
        return parse_experiment(name, raw, STAGE_SECTIONS[stage], table=table)
    except (OSError, ValueError, KeyError, AttributeError, TypeError) as error:
        raise SettingsError(
            f"{path}: not a settings file written by the validate stage ({error})"
        ) from None
