"""The model version `make serve` serves: its weights, read through DVC at the version's commit,
and what /metadata says of it.
"""

import json

from pipeline.inference import checked_weights
from pipeline.predictions import schema_of
from tools.promotion import RegistryError, gate_setup
from tools.registry import artifacts, check_names, commit_of, holder, registrations, scm
from tools.repro_check import read_lock


def model_files(name: str, stage: str | None, rev: str | None) -> tuple[dict, dict]:
    """The checked weights of ``name`` in ``stage`` (or at ``rev``), read through DVC at the
    version's commit, and what the server's /metadata shows of them: version, stage, commit,
    features, classes, the weights' hash in dvc.lock, the metrics of that commit."""
    from dvc.api import DVCFileSystem

    if stage and rev:
        raise RegistryError(f"STAGE={stage} and REV={rev}: give one of them")
    stage = None if rev else stage or "prod"
    check_names(name, stage)
    git = scm()
    if rev:
        commit = commit_of(git, rev)
        version = registrations(git, name).get(commit)
    else:
        current = holder(git, name, stage)
        if current is None:
            raise RegistryError(
                f"no version of {name} in {stage}: make promote NAME={name} first, or REV=HEAD"
            )
        commit, version = current.commit, current.version
    path = artifacts()[name]
    source = f"{path} at {version or commit[:7]}"
    files = DVCFileSystem(".", rev=commit)
    try:
        text = files.read_text(path)
    except Exception as error:  # DVC raises several types for an output it cannot find
        raise RegistryError(
            f"{source}: cannot read it ({type(error).__name__}): `make pull` fetches the "
            "DVC remote's outputs"
        ) from None
    try:
        weights = checked_weights(json.loads(text), source)
    except json.JSONDecodeError as error:
        raise RegistryError(f"{source}: not a weights file ({error})") from None
    schema = schema_of(weights)
    metrics_path = gate_setup(commit)[0].metrics_file.format(experiment=name)
    metadata = {
        "experiment": name,
        "version": version,
        "stage": stage,
        "revision": rev,
        "commit": commit,
        "features": [{"name": feature, "type": "number"} for feature in schema.features],
        "target": schema.target,
        "classes": None if schema.classes is None else list(schema.classes),
        "model": {"path": path, "md5": lock_md5(files.read_text("dvc.lock"), path)},
        "metrics": json.loads(files.read_text(metrics_path))
        if files.exists(metrics_path)
        else None,
    }
    return weights, metadata


def lock_md5(lock_text: str, path: str) -> str | None:
    """An output's hash in a dvc.lock's text."""
    outs = (stage["outs"] for stage in read_lock(lock_text).values())
    return next((found[path] for found in outs if path in found), None)
