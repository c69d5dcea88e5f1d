"""Each side of the gate, the metrics of one revision (or the workspace) as DVC returned them:
each experiment's metrics, its metrics file and read errors, and the params, built by pure
functions from DVC's answers (gate/dvc_reader.py asks).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from gate.messages import one_line
from gate.project import Project

WORKSPACE = "workspace"  # DVC's name for the working tree, the gate's new side
MISSING_FILE = "is missing"  # how a metrics file that DVC could not find is described


@dataclass
class Side:
    """What DVC read from one side: its experiments (from params), metrics and read errors."""

    name: str  # the base revision as given, or "workspace"
    # In params order; None when the params could not be read or the project names no
    # experiments param (then each metrics file is an experiment).
    experiments: tuple | None = None
    params: dict | None = None
    metrics: dict = field(default_factory=dict)  # experiment -> {metric: value}
    paths: dict = field(default_factory=dict)  # experiment -> metrics file
    errors: dict = field(default_factory=dict)  # experiment -> why its file could not be read
    problems: list = field(default_factory=list)  # side-wide problems, each one line
    points: dict = field(default_factory=dict)  # experiment -> per-point results (DataFrame)
    point_errors: dict = field(default_factory=dict)  # experiment -> why they cannot be read

    def expects(self, experiment: str) -> bool:
        """Whether this side should have a metrics file for ``experiment``."""
        if self.experiments is None:
            return experiment in self.paths
        return experiment in self.experiments


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested metric dicts as {"a.b": value}, the way DVC names nested metrics."""
    if not isinstance(value, dict):
        return {prefix: value}
    flat = {}
    for key, item in value.items():
        flat.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def where(side: str) -> str:
    """``in the workspace`` or ``on <revision>``."""
    return "in the workspace" if side == WORKSPACE else f"on {side}"


def describe_read_error(error: BaseException) -> str:
    """A metrics file's read error, as DVC reported it, in words."""
    from dvc.exceptions import PathMissingError

    if isinstance(error, (FileNotFoundError, PathMissingError)):
        return MISSING_FILE
    # DVC's parse errors start "unable to read: '<path relative to somewhere>', "; the path is
    # already in the failure line.
    message = re.sub(r"^unable to read: '[^']*',\s*", "", one_line(error))
    return f"is unreadable ({type(error).__name__}: {message})"


def metrics_files(results: Iterable[dict[str, Any] | None]) -> set[str]:
    """The metrics files DVC listed in some revisions' results (entries as side_from_dvc's)."""
    return {path for result in results for path in (result or {}).get("data") or {}}


def side_from_dvc(
    name: str,
    result: dict[str, Any] | None,
    params: dict[str, Any] | None,
    params_error: BaseException | None = None,
    *,
    project: Project,
    names: dict[str, str] | None = None,
) -> Side:
    """Build a Side from DVC's metrics result for one revision and its params (pure).

    ``result`` is one revision's entry of ``Repo.metrics.show(...)``: ``{"data": {path:
    {"data": metrics} or {"error": exception}}}``, ``{"error": exception}``, or None. ``names``
    is each metrics file's experiment, project.experiment_names of the files of every revision
    compared (None: of this one's); a metrics file that is no experiment's is left out.
    """
    side = Side(name)
    if result is None:
        side.problems.append("DVC found no metrics there (is it a revision of this DVC project?)")
    elif "error" in result:
        side.problems.append(f"DVC could not collect its metrics: {one_line(result['error'])}")
    files = ((result or {}).get("data") or {}).items()
    names = project.experiment_names(metrics_files([result])) if names is None else names
    for path, file_result in sorted(files):
        experiment = names.get(path)
        if experiment is None:
            continue
        if experiment in side.paths:
            side.problems.append(
                f"{side.paths[experiment]} and {path} both map to experiment {experiment}"
            )
            continue
        side.paths[experiment] = path
        if "error" in file_result:
            side.errors[experiment] = describe_read_error(file_result["error"])
        else:
            side.metrics[experiment] = flatten(file_result.get("data") or {})
    if params_error is not None:
        side.problems.append(f"cannot read its params: {one_line(params_error)}")
    else:
        side.params = params or {}
        side.experiments = project.experiments(side.params)
    return side
