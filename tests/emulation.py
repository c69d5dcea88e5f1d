"""Helpers for the cross-CPU tests: a small pipeline run natively, then again under QEMU.

QEMU's user-mode emulator runs one process as if on another CPU model, so NumPy, OpenBLAS and
oneDNN choose their kernels for that CPU. It does not follow exec, so each stage's command
from dvc.lock is started as ``qemu-x86_64 -cpu MODEL python -m stages ...`` directly.
"""

import hashlib
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.workspace import set_params, without_kernel_caps
from pipeline.cpu import is_reference, x86_features
from pipeline.files import parse_yaml
from tests.conftest import SMALL, copy_project, dvc_env, run
from tests.notebook_params import use_experiments
from tools.repro_check import pipeline_order, read_lock

QEMU = shutil.which("qemu-x86_64")
# Small, and with a hidden layer so that the matrix products have more than two terms to add.
EXPERIMENTS = {"blobs4": {**SMALL, "model.hidden_units": [8]}, "regression": SMALL}
# Tables of a user's (scikit-learn's iris and diabetes as CSVs, through make experiment's code):
# the ingest stage, the standardization layer and a regression's target put back in its own
# units (the Rescaling layer, and its float32 arithmetic in NumPy), on every CPU too.
TABLES = {"iris": "species", "diabetes": "progression"}
TABLE_CHANGES = {"train.epochs": 3}


def require_qemu():
    if QEMU is None:
        if os.environ.get("REQUIRE_QEMU"):
            pytest.fail(
                "REQUIRE_QEMU is set but qemu-x86_64 is missing (apt-get install qemu-user)"
            )
        pytest.skip("qemu-x86_64 is missing (Debian package qemu-user)")
    if not is_reference(os.uname().machine, x86_features()):
        pytest.skip("this machine is not x86-64-v3, so its own bytes are not the reference")


@pytest.fixture(scope="module")
def native(tmp_path_factory):
    """A small copy of the pipeline, reproduced natively: the bytes every CPU must match."""
    require_qemu()
    repo = tmp_path_factory.mktemp("native") / "repo"
    repo.mkdir()
    copy_project(repo)
    use_experiments(repo, EXPERIMENTS)  # the notebook's, whatever params.yaml holds now
    for table, target in TABLES.items():
        add_table(repo, tmp_path_factory.mktemp("table") / f"{table}.csv", table, target)
    set_params(
        repo,
        {
            f"experiments.{name}.{key}": value
            for name, changes in {**EXPERIMENTS, **dict.fromkeys(TABLES, TABLE_CHANGES)}.items()
            for key, value in changes.items()
        },
    )
    run(["dvc", "repro"], repo)
    return repo


def add_table(repo, csv_path, table, target):
    """A table experiment, added as make experiment adds one."""
    from stages.example import example_table
    from tools.experiment import add_experiment

    example_table(table).to_csv(csv_path, index=False)
    env = dvc_env()
    old_path = os.environ["PATH"]
    os.environ["PATH"] = env["PATH"]  # add_experiment runs `dvc add`
    try:
        add_experiment(table, csv_path, target, None, repo)
    finally:
        os.environ["PATH"] = old_path


def in_experiments(stage, experiments):
    """Whether a dvc.lock stage belongs to the experiments (validate belongs to all)."""
    return stage == "validate" or stage.split("@")[-1] in experiments


def ran_lock(repo, experiments):
    """The experiments' stages in dvc.lock: their commands, and their deps and outs.

    DVC leaves a removed experiment's entries in dvc.lock, so they are filtered out here.
    """
    text = (repo / "dvc.lock").read_text()
    commands = {name: stage["cmd"] for name, stage in parse_yaml(text)["stages"].items()}
    lock = {
        name: stage for name, stage in read_lock(text).items() if in_experiments(name, experiments)
    }
    return commands, lock


def stage_commands(repo, experiments):
    """The experiments' stage commands, as dvc.lock recorded them, in pipeline order."""
    commands, lock = ran_lock(repo, experiments)
    return [shlex.split(commands[name]) for name in pipeline_order(lock)]


def output_paths(repo, experiments):
    """Every output file of the experiments' stages, walked into directories."""
    outs = [
        Path(path) for stage in ran_lock(repo, experiments)[1].values() for path in stage["outs"]
    ]
    files = []
    for out in outs:
        target = repo / out
        files += sorted(target.rglob("*")) if target.is_dir() else [target]
    return [path.relative_to(repo) for path in files if path.is_file()]


def digests(repo, paths):
    return {str(path): hashlib.md5((repo / path).read_bytes()).hexdigest() for path in paths}


def fresh_env():
    """The pipeline's environment without the caps this process chose for the host's CPU.

    A stage then chooses them for the emulated CPU, as it would when started on that CPU.
    """
    return without_kernel_caps(dvc_env())


def assert_same_bytes(native_repo, tmp_path, model):
    """Every output of every stage, rerun from scratch under ``model``, has the native bytes."""
    repo, paths = run_emulated(native_repo, tmp_path, model)
    expected, got = digests(native_repo, paths), digests(repo, paths)
    differ = [path for path in expected if got[path] != expected[path]]
    assert len(paths) > 20 and differ == [], f"{model}: these outputs differ: {differ}"


def run_emulated(native_repo, tmp_path, model, experiments=(*EXPERIMENTS, *TABLES)):
    """Run the experiments' stages from scratch under ``qemu-x86_64 -cpu model``.

    Returns the copy they ran in and the paths of the files they wrote.
    """
    repo = tmp_path / model
    shutil.copytree(native_repo, repo, symlinks=True)
    paths = output_paths(native_repo, experiments)
    for path in paths:
        (repo / path).unlink()
    for command in stage_commands(repo, experiments):
        assert command[0] == "python3", command
        emulated = [QEMU, "-cpu", model, sys.executable, *command[1:]]
        result = subprocess.run(emulated, cwd=repo, env=fresh_env(), capture_output=True, text=True)
        assert result.returncode == 0, f"{model}: {' '.join(command)}\n{result.stderr[-2000:]}"
    return repo, paths
