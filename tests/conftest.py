"""Shared fixtures: small tables for unit tests, and real DVC repositories for end-to-end tests."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools import plots_template

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

# The notebook's experiments shrunk so that a cold `dvc repro` of all three takes seconds.
SMALL_PARAMS = [
    f"experiments.{name}.{key}={value}"
    for name in ("blobs4", "blobs2", "regression")
    for key, value in [("data.n_samples", 200), ("train.batch_size", 16), ("train.epochs", 2),
                       ("plot.grid_points", 20)]
]


def dvc_env():
    """The environment `make` gives the pipeline: the venv first on PATH, TensorFlow quiet."""
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}")
    env.update(TF_CPP_MIN_LOG_LEVEL="2", TF_ENABLE_ONEDNN_OPTS="0", DVC_NO_ANALYTICS="1")
    return env


def run(args, cwd, check=True):
    """Run a command (``dvc ...``, ``git ...``) in ``cwd``; returns the CompletedProcess."""
    result = subprocess.run(args, cwd=cwd, env=dvc_env(), capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def ran_stages(output):
    """The stages a `dvc repro` / `dvc exp run` output says it ran."""
    return sorted(line.split("'")[1] for line in output.splitlines()
                  if line.startswith("Running stage '"))


def copy_tracked_files(target):
    """Copy the files git tracks (as they are in the working tree) into a new git repo."""
    files = run(["git", "ls-files", "-z"], REPO).stdout.split("\0")
    for name in filter(None, files):
        source = REPO / name
        if source.exists():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    # Generated at set-up, not tracked: the offline page for `dvc plots show`.
    (target / ".dvc" / "plots-template.html").write_text(plots_template.offline_template())
    run(["git", "init", "-q", "-b", "main"], target)
    run(["git", "config", "user.email", "tests@example.invalid"], target)
    run(["git", "config", "user.name", "tests"], target)
    run(["git", "add", "-A"], target)
    run(["git", "commit", "-qm", "copy of the project"], target)


@pytest.fixture(scope="session")
def small_pipeline_template(tmp_path_factory):
    """A repo copy whose params were shrunk with `dvc exp run -S`, run and committed once."""
    repo = tmp_path_factory.mktemp("template") / "repo"
    repo.mkdir()
    copy_tracked_files(repo)
    shrink = run(["dvc", "exp", "run", *[arg for p in SMALL_PARAMS for arg in ("-S", p)]], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "small params"], repo)
    return repo, shrink.stdout


@pytest.fixture
def small_pipeline(small_pipeline_template, tmp_path):
    """A private copy (git history and DVC cache included) of the small, reproduced pipeline."""
    template, _ = small_pipeline_template
    repo = tmp_path / "repo"
    shutil.copytree(template, repo, symlinks=True)
    return repo
