"""End to end on S3 (docs/sharing.md): `make share` to a bucket of a real S3-protocol server,
moto's, and `dvc repro --pull` in another clone restores the training; `make pull` and
`make share` say in one line when the bucket cannot be used, and leave the clone as it was."""

import hashlib
import re
import sys

import pytest

from tests.conftest import run
from tests.s3 import closed_port, on_s3, use_s3
from tests.sharing import MODEL, assert_repro_pull_restores, outputs, run_and_undo
from tools import remote

pytestmark = pytest.mark.e2e

SHARED = r"share: (\d+) run records and (\d+) new files pushed\n"
TOOLS = ["tools.pull", "tools.share"]  # what `make pull` and `make share` run


@pytest.fixture
def bucket_url(s3):
    """A new bucket's URL; the test's commands get the credentials in environment variables,
    as CI gets its secrets."""
    return f"s3://{s3.new_bucket()}/dvc-keras-pipeline"


def clone_files(repo):
    """Every file of the clone and its bytes' hash, DVC's cache included (git's folder and
    DVC's lock and state files in .dvc/tmp aside)."""
    return {
        str(path.relative_to(repo)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in repo.rglob("*")
        if path.is_file() and ".git" not in path.parts and ".dvc/tmp" not in path.as_posix()
    }


def test_make_share_to_s3_then_repro_pull_restores_the_training(
    small_pipeline, s3, bucket_url, tmp_path
):
    here = small_pipeline
    use_s3(here, bucket_url, s3.endpoint)
    committed = outputs(here)
    made = run_and_undo(here)

    shared = run([sys.executable, "-m", "tools.share"], here)  # what `make share` runs
    records, pushed = map(int, re.fullmatch(SHARED, shared.stdout).groups())
    assert records > 0 and pushed > 0, shared.stdout
    assert on_s3(s3, bucket_url, made[MODEL])  # the run's model, no longer in the workspace
    assert on_s3(s3, bucket_url, committed[MODEL])

    there = tmp_path / "clone"
    run(["git", "clone", "-q", str(here), str(there)], tmp_path)
    use_s3(there, bucket_url, s3.endpoint)
    run([sys.executable, "-m", "tools.pull"], there)  # what `make pull` runs
    assert outputs(there) == committed
    assert_repro_pull_restores(there, made)


@pytest.mark.parametrize("tool", TOOLS)
def test_a_bucket_out_of_reach_is_one_line_and_nothing_is_lost(
    small_pipeline, bucket_url, tool, monkeypatch
):
    endpoint = f"http://127.0.0.1:{closed_port()}"
    use_s3(small_pipeline, bucket_url, endpoint)
    # botocore retries a refused connection for seconds: the same message, later.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    before = clone_files(small_pipeline)

    result = run([sys.executable, "-m", tool], small_pipeline, check=False)

    bucket = bucket_url.removeprefix("s3://").split("/")[0]
    reason = f'Could not connect to the endpoint URL: "{endpoint}/{bucket}"'
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == f"error: {remote.out_of_reach('storage', bucket_url, reason)}\n"
    assert result.stdout == ""
    assert clone_files(small_pipeline) == before


@pytest.mark.parametrize("tool", TOOLS)
def test_refused_credentials_are_one_line_and_nothing_is_lost(small_pipeline, s3, bucket_url, tool):
    use_s3(small_pipeline, bucket_url, s3.endpoint)
    before = clone_files(small_pipeline)

    with s3.refusing_credentials():
        result = run([sys.executable, "-m", tool], small_pipeline, check=False)

    assert result.returncode == 2, result.stdout + result.stderr
    message = remote.credentials_refused("storage", bucket_url, "Forbidden")
    assert result.stderr == f"error: {message}\n"
    assert result.stdout == ""
    assert clone_files(small_pipeline) == before
