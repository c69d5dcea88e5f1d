"""Stage: validate params.yaml once, before any other stage runs.

Writes one settings file per experiment and stage; a stage whose settings did not
change keeps a byte-identical file, so DVC leaves it cached. A bad value fails
here, before DVC has removed any other stage's outputs.
"""

import shutil
from pathlib import Path

from pipeline.errors import SettingsError
from pipeline.files import StrPath, read_yaml, write_json
from pipeline.params import load_params
from pipeline.settings import STAGE_SECTIONS, Experiment, stage_settings
from stages import cli


def stages_of(experiment: Experiment) -> list[str]:
    """The stages an experiment runs: ingest for a table, generate for synthetic data."""
    skipped = "generate" if experiment.table else "ingest"
    return [stage for stage in STAGE_SECTIONS if stage != skipped]


def source_problems(
    experiments: dict[str, Experiment], synthetic: list[str], tables: dict[str, str]
) -> list[str]:
    """Each experiment needs its data stage in dvc.yaml: its name in the vars `synthetic` (data
    made by generate) or `tables` (a file read by ingest), by the kind of its data section."""
    problems = []
    for name, experiment in experiments.items():
        listed = "tables" if name in tables else "synthetic" if name in synthetic else None
        wanted = "tables" if experiment.table else "synthetic"
        if listed is None:
            how = "make experiment adds one" if experiment.table else "the data make_blobs makes"
            problems.append(
                f"experiments.{name}: not in dvc.yaml's vars; expected its name under "
                f"`{wanted}` ({how})"
            )
        elif listed != wanted:
            expected = (
                "target, drop_columns and missing (a table's keys)"
                if listed == "tables"
                else "the keys of generated data (copy blobs4's or regression's)"
            )
            problems.append(
                f"experiments.{name}.data: dvc.yaml lists {name} under `{listed}`, "
                f"so its data section needs {expected}"
            )
    for name in [*synthetic, *tables]:
        if name not in experiments:
            problems.append(f"dvc.yaml vars: {name} is not an experiment in params.yaml")
    return problems


def pipeline_vars(dvc_yaml: StrPath) -> tuple[list[str], dict[str, str]]:
    """dvc.yaml's vars `synthetic` (names) and `tables` (name -> file)."""
    found = {}
    for entry in read_yaml(dvc_yaml).get("vars", []):
        if isinstance(entry, dict):
            found.update(entry)
    return list(found.get("synthetic") or []), dict(found.get("tables") or {})


def write_settings(experiments: dict[str, Experiment], out_dir: StrPath) -> None:
    """Write ``<out_dir>/<experiment>/<stage>.json`` and drop removed experiments."""
    out_dir = Path(out_dir)
    for name, experiment in experiments.items():
        stages = stages_of(experiment)
        for stage in stages:
            write_json(out_dir / name / f"{stage}.json", stage_settings(experiment, stage))
        for stale in (out_dir / name).glob("*.json"):
            if stale.stem not in stages:
                stale.unlink()
    if out_dir.is_dir():
        for stale in out_dir.iterdir():
            if stale.is_dir() and stale.name not in experiments:
                shutil.rmtree(stale)


def main() -> None:
    args = cli.parse_paths(__doc__, "params", "pipeline", "out")
    experiments = load_params(args.params)
    problems = source_problems(experiments, *pipeline_vars(args.pipeline))
    if problems:
        raise SettingsError("\n".join(problems))
    write_settings(experiments, args.out)
    print(f"params valid: {', '.join(experiments)}")
