"""The settings a stage reads: typed, frozen records, one per params.yaml section.

Each field's type says what it allows, checked when a record is made, with one problem
saying what is allowed (``expecting``). pipeline.params checks params.yaml into these records;
the validate stage writes each stage its sections (``stage_settings``), which the stage reads
back (``read_stage_settings``).
"""

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, Strict, ValidationError, WrapValidator
from pydantic.dataclasses import dataclass
from pydantic_core import PydanticCustomError

from pipeline import activations
from pipeline.errors import SettingsError
from pipeline.tasks import Task

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


def expecting(text: str, nested: bool = True) -> WrapValidator:
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
Count = Annotated[int, Strict(), Field(ge=1, le=_MAX_INT), Integral, expecting("an integer >= 1")]
Seed = Annotated[int, Strict(), Field(ge=0, le=_MAX_INT), Integral, expecting("an integer >= 0")]
Number = Annotated[float, Strict(), Field(allow_inf_nan=False), expecting("a finite number")]
Positive = Annotated[
    float, Strict(), Field(gt=0, allow_inf_nan=False), expecting("a finite number > 0")
]
Fraction = Annotated[
    float, Strict(), Field(gt=0, lt=1), expecting("a number strictly between 0 and 1")
]
Optimizer = Annotated[Literal[OPTIMIZERS], expecting("one of " + ", ".join(OPTIMIZERS))]
Activation = Annotated[Literal[ACTIVATIONS], expecting("one of " + ", ".join(ACTIVATIONS))]
Widths = Annotated[
    tuple[Count, ...],
    expecting("a list of positive integers (the hidden layers' widths; [] for none)"),
]
Centers = Annotated[
    Annotated[int, Strict(), Field(ge=2, le=_MAX_INT)]
    | Annotated[tuple[tuple[Number, ...], ...], Field(min_length=2)],
    expecting("an integer >= 2 (number of classes) or a list of >= 2 centre coordinates"),
]
ColumnName = Annotated[str, Strict(), Field(min_length=1), expecting("a column name")]
Columns = Annotated[tuple[ColumnName, ...], expecting("a list of column names ([] for none)")]
Missing = Annotated[Literal[MISSING], expecting("one of " + ", ".join(MISSING))]
Preprocessing = Annotated[Literal[PREPROCESSING], expecting("one of " + ", ".join(PREPROCESSING))]
Flag = Annotated[bool, Strict(), expecting("true or false")]

# Every mapping refuses unknown keys; a field's docstring is its description in the schema.
STRICT = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


@dataclass(config=STRICT)
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


@dataclass(config=STRICT)
class CurveData:
    """A noisy logistic curve y = 1 / (1 + e^x) on x evenly spaced on [x_min, x_max]."""

    n_samples: Count
    x_min: Number
    x_max: Number
    noise_std: Positive
    """the standard deviation of the Gaussian noise added to y"""
    random_state: Seed


@dataclass(config=STRICT)
class TableData:
    """A table of your own (the file is named in dvc.yaml's `tables`; make experiment adds it)."""

    target: ColumnName
    """the column to predict; every other column not in drop_columns is a feature"""
    drop_columns: Columns
    """columns left out, such as text ids or dates ([] for none)"""
    missing: Missing
    """error: a missing value stops the pipeline, naming its row and column; drop_rows: rows
    with a missing value are left out"""


@dataclass(config=STRICT)
class Split:
    """The train / test split (scikit-learn's train_test_split)."""

    test_size: Fraction
    """the fraction of the samples held out for testing"""
    random_state: Seed
    stratify: Flag = False
    """true: each class keeps its share on both sides (classification only); default false"""


@dataclass(config=STRICT)
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


@dataclass(config=STRICT)
class Train:
    """The optimizer and the training loop."""

    optimizer: Optimizer
    learning_rate: Positive
    """the optimizer's step size (Keras' default for SGD is 0.01)"""
    batch_size: Count
    """at most the training set size"""
    epochs: Count
    seed: Seed


@dataclass(config=STRICT)
class Plot:
    """The square grid (or, for regression, the x range) a model is drawn on."""

    grid_min: Number
    grid_max: Number
    grid_points: Count


@dataclass(config=STRICT)
class TablePlot:
    """A table's pictures: its range comes from the data."""

    grid_points: Count
    """the decision-boundary grid's points per side (two features; more are projected)"""


@dataclass(config=STRICT)
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


def stage_settings(experiment: Experiment, stage: str) -> dict[str, Any]:
    """The JSON-ready mapping a stage reads: name, task and that stage's sections."""
    settings = {"name": experiment.name, "task": experiment.task}
    if experiment.table:
        settings["table"] = True
    for section in STAGE_SECTIONS[stage]:
        settings[section] = dataclasses.asdict(getattr(experiment, section))
    return settings


def _reason(error: Exception) -> str:
    """An error on one line: pydantic's first problem (its own message has several lines)."""
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        return f"{'.'.join(map(str, first['loc']))}: {first['msg']}"
    return str(error)


def read_stage_settings(path: str | Path, stage: str) -> Experiment:
    """Read a stage's settings file (the validate stage wrote it from checked params)."""
    try:
        experiment = Experiment(**json.loads(Path(path).read_text()))
        held = tuple(s for s in SECTIONS if getattr(experiment, s) is not None)
        if held != STAGE_SECTIONS[stage]:
            raise ValueError(f"sections {held}, expected {STAGE_SECTIONS[stage]}")
    except (OSError, ValueError, TypeError) as error:  # a ValidationError is a ValueError
        raise SettingsError(
            f"{path}: not a settings file written by the validate stage ({_reason(error)})"
        ) from None
    return experiment
