"""The `project:` section of gate.yaml: where a DVC project keeps what the gate reads.

The gate knows DVC, not the project: which params entries are experiments, where each one's
metrics file is, its per-point results and their columns, what makes both sides' test points
the same, and which plots are training curves all come from this section. Any key may be left
out, and what is left out is not read (docs/gate.md has the table):

    project:
      experiments_param: experiments          # params' mapping of experiment -> its params
      metrics_file: metrics/{experiment}.json # each experiment's metrics file (dvc.yaml's)
      points:                                 # per-point results, for the noise tests
        suffix: .points.csv                   # beside it: metrics/<experiment>.points.csv
        metrics: {test_accuracy: correct, test_loss: loss}  # metric -> per-point column
        actual: actual                        # correct: 1 where actual == predicted, else 0
        predicted: predicted
        paired_when: {params: [data, split], columns: [x, actual]}
      curves: {x: epoch, file: history.csv}   # the DVC plots that are training curves

A bad section raises GateError: one line naming the file, the key, the value and what is
allowed.
"""

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from gate.errors import GateError, bad_value, check_keys

KEY = "project"  # the section's key in gate.yaml (so no experiment can be named that)
CORRECT = "correct"  # a metric's per-point values: 1 where actual == predicted, else 0
PLACEHOLDER = "{experiment}"
KEYS = ("experiments_param", "metrics_file", "points", "curves")
COMPARED = ("actual", "predicted")  # the columns a CORRECT metric compares
POINTS_KEYS = ("suffix", "metrics", *COMPARED, "paired_when")


@dataclass(frozen=True)
class Points:
    """Where an experiment's per-point results are and what their columns mean."""

    suffix: str  # appended to the metrics file's path without its extension
    metrics: dict  # metric -> its per-point column, or CORRECT
    actual: str | None = None  # the two columns CORRECT compares
    predicted: str | None = None
    paired_params: tuple = ()  # with paired_when: the experiment's params, and the columns,
    paired_columns: tuple = ()  # that are equal on both sides when the test points are
    paired: bool = False  # whether paired_when is given: without it, never paired


@dataclass(frozen=True)
class Curves:
    """Which of DVC's plots are training curves: x is this column (and a data file, this)."""

    x: str
    file: str | None = None  # a file name or glob, matched against each data file's name

    def match(self, x: object, files: list[str]) -> bool:
        """Whether a plot of x column ``x`` reading ``files`` is a training curve."""
        if x != self.x:
            return False
        return self.file is None or any(
            fnmatch.fnmatchcase(PurePosixPath(path).name, self.file) for path in files
        )


@dataclass(frozen=True)
class Project:
    """What the gate reads of a DVC project; None where the section leaves it out."""

    experiments_param: str | None = None
    metrics_file: str | None = None
    points: Points | None = None
    curves: Curves | None = None

    def experiment_of(self, path: str) -> str | None:
        """The experiment a metrics file is of: its name in metrics_file (None: not such a
        file), or without metrics_file its file name without the extension."""
        if self.metrics_file is None:
            return PurePosixPath(path).stem
        match = metrics_regex(self.metrics_file).fullmatch(PurePosixPath(path).as_posix())
        return match["experiment"] if match else None

    def experiment_names(self, paths: Iterable[str]) -> dict[str, str]:
        """Each metrics file's experiment, of those that are one's: by metrics_file, or without
        it by what tells the files apart (default_names; pass every compared revision's files)."""
        if self.metrics_file is None:
            return default_names(paths)
        named = {path: self.experiment_of(path) for path in paths}
        return {path: name for path, name in named.items() if name is not None}

    def experiments(self, params: dict) -> tuple | None:
        """The experiments a side's params list, in order (None without experiments_param:
        then each metrics file is one)."""
        if self.experiments_param is None:
            return None
        entries = params.get(self.experiments_param)
        return tuple(entries) if isinstance(entries, dict) else ()

    def experiment_params(self, params: dict | None, experiment: str) -> Any:
        """One experiment's params ({} if none); all the params without experiments_param."""
        params = params or {}
        if self.experiments_param is not None:
            params = (params.get(self.experiments_param) or {}).get(experiment)
        return params or {}

    def points_path(self, metrics_path: str) -> str:
        """Where an experiment's per-point results are, from its metrics file's path."""
        return str(PurePosixPath(metrics_path).with_suffix("")) + self.points.suffix


def default_names(paths: Iterable[str]) -> dict[str, str]:
    """Each metrics file's experiment when the project names no metrics_file: the part of its
    path that tells the files apart, their shared leading folders and shared trailing parts left
    out (never all of a path), and a file name's extension (DVCLive's results/train/metrics.json
    and results/evaluate/metrics.json: train and evaluate; metrics/a.json and metrics/b.json: a
    and b). One file alone is the experiment of its file name without the extension."""
    parts = {path: PurePosixPath(path).parts for path in paths}
    if not parts:
        return {}
    keep = min(map(len, parts.values())) - 1  # the shortest path keeps one part at least
    lead = trail = 0
    while lead < keep and len({each[lead] for each in parts.values()}) == 1:
        lead += 1
    while lead + trail < keep and len({each[-1 - trail] for each in parts.values()}) == 1:
        trail += 1
    names = {path: PurePosixPath(*each[lead : len(each) - trail]) for path, each in parts.items()}
    return {path: str(name if trail else name.with_suffix("")) for path, name in names.items()}


def metrics_regex(metrics_file: str) -> re.Pattern:
    """The paths a metrics_file pattern names; the experiment is a name without a slash."""
    before, after = metrics_file.split(PLACEHOLDER)
    return re.compile(f"{re.escape(before)}(?P<experiment>[^/]+){re.escape(after)}")


def lookup(params: Any, dotted: str) -> Any:
    """A param by its dotted key (``data.seed``); None where there is none."""
    for key in dotted.split("."):
        if not isinstance(params, dict):
            return None
        params = params.get(key)
    return params


# --- parsing -------------------------------------------------------------------------------


def _mapping(source, path, raw, keys, required=()):
    """``raw``, checked to be a mapping of some of ``keys`` holding every ``required`` one."""
    if not isinstance(raw, dict):
        bad_value(source, path, raw, "a mapping of " + ", ".join(keys))
    check_keys(source, path, raw, keys)
    for key in required:
        if key not in raw:
            raise GateError(f"{source}: {path}.{key}: missing")
    return raw


def _name(source, path, value):
    """A params key, column or file name: a string with something in it."""
    if not isinstance(value, str) or not value.strip():
        bad_value(source, path, value, "a non-empty string")
    return value


def _names(source, path, value):
    if not isinstance(value, list):
        bad_value(source, path, value, "a list of names")
    return tuple(_name(source, f"{path}[{i}]", item) for i, item in enumerate(value))


def _metrics_file(source, value):
    path = f"{KEY}.metrics_file"
    before, found, after = _name(source, path, value).partition(PLACEHOLDER)
    if not found or "{" in before + after or "}" in before + after:
        bad_value(source, path, value, f"a path with {PLACEHOLDER} in it once")
    return value


def _points(source, raw):
    path = f"{KEY}.points"
    raw = _mapping(source, path, raw, POINTS_KEYS, required=("suffix", "metrics"))
    suffix = _name(source, f"{path}.suffix", raw["suffix"])
    if "/" in suffix:
        bad_value(source, f"{path}.suffix", suffix, "a file name's ending, such as .points.csv")
    if not isinstance(raw["metrics"], dict) or not raw["metrics"]:
        bad_value(source, f"{path}.metrics", raw["metrics"], "a mapping of metric -> column")
    metrics = {
        str(metric): _name(source, f"{path}.metrics.{metric}", column)
        for metric, column in raw["metrics"].items()
    }
    named = {key: _name(source, f"{path}.{key}", raw[key]) for key in COMPARED if key in raw}
    for key in COMPARED:
        if key not in named and CORRECT in metrics.values():
            raise GateError(
                f"{source}: {path}.{key}: missing; a metric whose column is {CORRECT} "
                "compares the actual and predicted columns"
            )
    paired = {}
    if "paired_when" in raw:
        when = _mapping(source, f"{path}.paired_when", raw["paired_when"], ("params", "columns"))
        paired = {key: _names(source, f"{path}.paired_when.{key}", when[key]) for key in when}
        if not any(paired.values()):
            bad_value(source, f"{path}.paired_when", when, "a list of params or columns")
    return Points(
        suffix,
        metrics,
        named.get("actual"),
        named.get("predicted"),
        paired.get("params", ()),
        paired.get("columns", ()),
        "paired_when" in raw,
    )


def _curves(source, raw):
    path = f"{KEY}.curves"
    raw = _mapping(source, path, raw, ("x", "file"), required=("x",))
    file = _name(source, f"{path}.file", raw["file"]) if "file" in raw else None
    return Curves(_name(source, f"{path}.x", raw["x"]), file)


def parse_project(raw: Any, source: str = "gate.yaml") -> Project:
    """Check gate.yaml's `project:` section (None: left out, nothing read) -> Project."""
    if raw is None:
        return Project()
    raw = _mapping(source, KEY, raw, KEYS)
    experiments_param = raw.get("experiments_param")
    if experiments_param is not None:
        _name(source, f"{KEY}.experiments_param", experiments_param)
    metrics_file = raw.get("metrics_file")
    if metrics_file is not None:
        _metrics_file(source, metrics_file)
    return Project(
        experiments_param,
        metrics_file,
        _points(source, raw["points"]) if raw.get("points") is not None else None,
        _curves(source, raw["curves"]) if raw.get("curves") is not None else None,
    )
