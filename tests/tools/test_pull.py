"""tools.pull: what `dvc pull` needs, said in one line before it fails with a list of hashes."""

import subprocess
import sys

from dvc.repo import Repo

from tests.conftest import copy_project, dvc_env
from tools import pull


def test_a_missing_local_folder_is_named_with_what_to_do(tmp_path):
    message = pull.missing_local_remote("storage", str(tmp_path / "absent"))
    assert message == (
        f"error: the DVC remote 'storage' is the folder {tmp_path / 'absent'}, which does not "
        "exist on this machine: it holds only what `dvc push` put there. Run `make repro` to "
        "compute every output (about a minute), or point the remote at a copy that has the "
        "data: dvc remote modify --local storage url PATH"
    )


def test_an_existing_folder_or_a_cloud_remote_is_left_to_dvc(tmp_path):
    assert pull.missing_local_remote("storage", str(tmp_path)) is None
    assert pull.missing_local_remote("storage", "s3://bucket/path") is None


def test_no_default_remote_is_one_line(tmp_path):
    Repo.init(str(tmp_path), no_scm=True).close()
    with Repo(str(tmp_path)) as repo:
        assert pull.remote_problem(repo) == (
            "error: this clone has no default DVC remote: name one with dvc remote default NAME"
        )


def test_make_pull_on_a_fresh_clone_says_what_dvc_pull_needs(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    copy_project(repo)
    remote = tmp_path / "nowhere"
    subprocess.run(
        ["dvc", "remote", "modify", "--local", "storage", "url", str(remote)],
        cwd=repo,
        env=dvc_env(),
        check=True,
    )
    result = subprocess.run(
        [sys.executable, "-m", "tools.pull"],
        cwd=repo,
        env=dvc_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr == pull.missing_local_remote("storage", str(remote)) + "\n"
