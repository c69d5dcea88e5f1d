"""Check params.yaml where it enters, into the typed records of pipeline.settings.

Every key is checked once, here: its type, its range, its allowed values, whether it is known
at all, and the checks across keys. Bad values raise ``SettingsError`` with one line per
problem, each naming the full key path, the value and what is allowed.
"""

import dataclasses
import difflib
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
    Tag,
    TypeAdapter,
    ValidationError,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError
from ruamel.yaml import YAMLError

from pipeline.errors import SettingsError
from pipeline.files import read_yaml
from pipeline.settings import (
    BYTES_PER_VALUE,
    MAX_GRID_VALUES,
    MAX_VALUES,
    SECTIONS,
    STRICT,
    BlobsData,
    CurveData,
    Experiment,
    Model,
    Plot,
    Split,
    TableData,
    TablePlot,
    Train,
    expecting,
)
from pipeline.tasks import Task

TASKS = tuple(Task)
ExperimentName = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9_-]+$"),
    BeforeValidator(str),
    expecting("experiment names made of letters, digits, _ and - (they become folder names)"),
]


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

    model_config = STRICT

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
    section has any of a table's keys (or, without one, its "table" key says so)."""
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

    model_config = ConfigDict(**STRICT, title="params.yaml")

    experiments: Annotated[
        dict[ExperimentName, _experiments_union(_FULL)],
        Field(min_length=1, json_schema_extra={"additionalProperties": False}),
        expecting("a mapping of experiment names to experiments", nested=False),
    ]
    """the experiments by name (letters, digits, _ and -: it becomes a folder name)"""


@cache
def _section_models(sections: tuple[str, ...]) -> tuple[dict[str, type], TypeAdapter]:
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
        elif kind != "missing":  # "expected", from expecting or the checks across keys
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
        table: whether the data is a table, for sections without the data section (which
            would say so).
    """
    models, validator = _section_models(tuple(sections))
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
