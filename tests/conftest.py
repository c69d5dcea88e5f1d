"""Shared fixtures: small tables for unit tests, and real DVC repositories for end-to-end tests."""

import shutil

import pytest

from bench.workspace import commit_all, copy_tracked_files
from bench.workspace import pipeline_env as dvc_env  # noqa: F401 (tests import it from here)
from tests.commands import run  # the tests import it from here too
from tests.notebook_params import NOTEBOOK_NAMES, use_experiments
from tools import plots_template

# The notebook's experiments shrunk so that a cold `dvc repro` of all three takes seconds.
SMALL = {"data.n_samples": 200, "train.batch_size": 16, "train.epochs": 2, "plot.grid_points": 20}
SMALL_PARAMS = [
    f"experiments.{name}.{key}={value}" for name in NOTEBOOK_NAMES for key, value in SMALL.items()
]


def copy_project(target):
    """A git repo of the project's tracked files, plus the generated offline plots page."""
    copy_tracked_files(target)
    (target / ".dvc" / "plots-template.html").write_text(plots_template.offline_template())
    # What `make` does: the template is named in the untracked local config.
    (target / ".dvc" / "config.local").write_text(
        "[plots]\n    html_template = plots-template.html\n"
    )


@pytest.fixture(scope="session")
def small_pipeline_template(tmp_path_factory):
    """A repo copy with the notebook's experiments (whatever params.yaml holds now), shrunk
    with `dvc exp run -S`, run and committed once; returned with that run's output."""
    repo = tmp_path_factory.mktemp("template") / "repo"
    repo.mkdir()
    copy_project(repo)
    use_experiments(repo)
    commit_all(repo, "the notebook's experiments")
    shrink = run(["dvc", "exp", "run", *[arg for p in SMALL_PARAMS for arg in ("-S", p)]], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "small params"], repo)
    return repo, shrink.stdout + shrink.stderr


@pytest.fixture
def small_pipeline(small_pipeline_template, tmp_path):
    """A private copy (git history and DVC cache included) of the small, reproduced pipeline."""
    template, _ = small_pipeline_template
    repo = tmp_path / "repo"
    shutil.copytree(template, repo, symlinks=True)
    return repo


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on 127.0.0.1 at a free port, for this session (one per xdist worker)."""
    from tests.s3 import running_s3_server  # moto and boto3 load only where a test uses S3

    with running_s3_server() as server:
        yield server


@pytest.fixture
def s3(s3_server, monkeypatch, tmp_path):
    """The S3 server, its credentials in this test's environment (AWS_ACCESS_KEY_ID...)."""
    for name, value in s3_server.env(tmp_path / "home").items():
        monkeypatch.setenv(name, value)
    return s3_server
