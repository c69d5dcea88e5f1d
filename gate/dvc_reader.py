"""Reading both sides through DVC, never through git directly: the metrics files that each
side's dvc.yaml declares (DVC's metrics API, the one behind `dvc metrics show/diff`, asked to
return each file's read error instead of dropping the file), the params (`dvc.api.params_show`),
the per-point results (DVC's file system, so a DVC-tracked file is read too) and the plots
(`dvc plots diff --json`). The base is any git revision or DVC experiment name; the new side is
the workspace, or for tools.gather another revision. gate.revision_metrics turns DVC's answers
into Sides.
"""

import json
import subprocess
import sys
import tempfile
from typing import Any

from gate.errors import GateError
from gate.messages import one_line
from gate.project import Project
from gate.revision_metrics import (
    WORKSPACE,
    Side,
    describe_read_error,
    metrics_files,
    side_from_dvc,
)


def show_metrics(revs: list[str]) -> dict[str, Any]:
    """`dvc metrics show` of ``revs`` and the workspace, each file's read error kept."""
    from dvc.repo import Repo

    with Repo() as repo:
        return repo.metrics.show(revs=revs, hide_workspace=False, on_error="return")


def _params(rev):
    """``dvc.api.params_show`` for ``rev`` (None: the workspace) -> (params, error)."""
    import dvc.api
    from dvc.scm import RevError

    try:
        return dvc.api.params_show(rev=rev), None
    except RevError:
        raise
    except Exception as error:
        return None, error


def read_sides(base: str, project: Project, new: str | None = None) -> tuple[Side, Side]:
    """Read the base revision and the new side (None: the workspace; else a revision or DVC
    experiment, as tools.gather judges each run of a sweep) through DVC -> (base, new Side)."""
    from dvc.exceptions import NotDvcRepoError
    from dvc.scm import RevError

    try:
        shown = show_metrics([base] if new is None else [base, new])
        base_params, base_error = _params(base)
        new_params, new_error = _params(new)
    except RevError as error:
        raise GateError(
            f"--base: {base!r} is neither a git revision nor a DVC experiment ({one_line(error)})"
        ) from None
    except NotDvcRepoError as error:
        raise GateError(f"not inside a DVC project ({one_line(error)})") from None
    new_name = WORKSPACE if new is None else new
    names = project.experiment_names(metrics_files([shown.get(base), shown.get(new_name)]))
    sides = (
        side_from_dvc(base, shown.get(base), base_params, base_error, project=project, names=names),
        side_from_dvc(
            new_name, shown.get(new_name), new_params, new_error, project=project, names=names
        ),
    )
    if project.points is not None:
        for side, rev in zip(sides, (base, new), strict=True):
            read_points(side, rev, project)
    return sides


def read_points(side: Side, rev: str | None, project: Project) -> None:
    """Read each experiment's per-point results on one side through DVC (rev None: workspace)."""
    import pandas as pd
    from dvc.api import DVCFileSystem

    files = DVCFileSystem(rev=rev)  # one view of the revision for all its files
    for experiment in side.metrics:
        path = project.points_path(side.paths[experiment])
        try:
            with files.open(path) as handle:
                side.points[experiment] = pd.read_csv(handle)
        except Exception as error:
            side.point_errors[experiment] = f"{path} {describe_read_error(error)}"


def plots_diff(base: str) -> tuple[dict[str, Any] | None, str | None]:
    """`dvc plots diff BASE --json` (both sides' plot data) -> (parsed output, or None and why)."""
    with tempfile.TemporaryDirectory() as scratch:  # DVC copies image plots here; unused
        result = subprocess.run(
            [sys.executable, "-m", "dvc", "plots", "diff", base, "--json", "-o", scratch],
            capture_output=True,
            text=True,
        )
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines() or ["no output"]
        return None, f"dvc plots diff failed: {lines[-1]}"
    try:
        return json.loads(result.stdout), None
    except ValueError as error:
        return None, f"unexpected dvc plots diff output ({error!r})"


def plot_sources() -> dict[str, list[str]]:
    """Each plot the workspace's dvc.yaml files define -> the data files it reads, as DVC
    infers them from its definition (not its data: nothing is read but the definitions)."""
    from dvc.repo import Repo
    from dvc.repo.plots import infer_data_sources

    sources = {}
    with Repo() as repo:
        for result in repo.plots.collect():
            definitions = result.get(WORKSPACE, {}).get("definitions", {})
            for config in (definitions.get("data") or {}).values():
                for plot_id, plot in (config.get("data") or {}).items():
                    sources[plot_id] = infer_data_sources(plot_id, plot)
    return sources
