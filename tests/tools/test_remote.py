"""tools.remote and `make pull`'s S3 checks, against moto's S3 server (tests/s3.py)."""

import pytest
from dvc.repo import Repo

from tests.s3 import closed_port
from tools import pull, remote


def dvc_repo(path, url, endpoint=None):
    """A DVC repository (no git) whose default remote 'storage' is ``url``."""
    Repo.init(str(path), no_scm=True).close()
    with Repo(str(path)) as repo, repo.config.edit("repo") as config:
        config["core"]["remote"] = "storage"
        config["remote"]["storage"] = {"url": url}
        if endpoint:
            config["remote"]["storage"]["endpointurl"] = endpoint
    return Repo(str(path))


def test_an_empty_folder_then_one_with_a_file(s3, tmp_path):
    bucket = s3.new_bucket()
    with dvc_repo(tmp_path, f"s3://{bucket}/project", s3.endpoint) as repo:
        assert remote.try_s3_remote(repo) is False
        s3.client().put_object(Bucket=bucket, Key="project/files/md5/00/11", Body=b"x")
        assert remote.try_s3_remote(repo) is True
        assert remote.try_s3_remote(repo, "storage") is True


def test_a_remote_not_on_s3_is_left_to_dvc(tmp_path):
    with dvc_repo(tmp_path, str(tmp_path / "nowhere")) as repo:
        assert remote.try_s3_remote(repo) is None


def test_a_missing_bucket_is_named_with_what_to_do(s3, tmp_path):
    with (
        dvc_repo(tmp_path, "s3://no-such-bucket/project", s3.endpoint) as repo,
        pytest.raises(remote.RemoteError) as raised,
    ):
        remote.try_s3_remote(repo)
    assert str(raised.value) == (
        "the DVC remote 'storage' (s3://no-such-bucket/project) names the bucket "
        "'no-such-bucket', which does not exist: create it, or point the remote at one that "
        "does: dvc remote modify --local storage url s3://BUCKET/PATH"
    )


def test_a_closed_port_is_out_of_reach(s3, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # retries: the same error, seconds later
    endpoint = f"http://127.0.0.1:{closed_port()}"
    with (
        dvc_repo(tmp_path, "s3://team/project", endpoint) as repo,
        pytest.raises(remote.RemoteError) as raised,
    ):
        remote.try_s3_remote(repo)
    assert str(raised.value) == (
        "the DVC remote 'storage' (s3://team/project) cannot be reached (Could not connect to "
        f'the endpoint URL: "{endpoint}/team"): check the network, and the endpoint of a '
        "server other than AWS: dvc remote modify --local storage endpointurl URL"
    )


def test_refused_credentials_say_where_credentials_go(s3, tmp_path):
    bucket = s3.new_bucket()
    with (
        dvc_repo(tmp_path, f"s3://{bucket}/project", s3.endpoint) as repo,
        s3.refusing_credentials(),
        pytest.raises(remote.RemoteError) as raised,
    ):
        remote.try_s3_remote(repo)
    assert str(raised.value) == (
        f"the DVC remote 'storage' (s3://{bucket}/project) cannot be read with this machine's "
        "credentials (Forbidden): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or keep "
        "them in the untracked .dvc/config.local: dvc remote modify --local storage "
        "access_key_id ID, then the same with secret_access_key"
    )


def test_no_credentials_at_all_say_where_they_go(s3, tmp_path, monkeypatch):
    for name in s3.credentials:
        monkeypatch.delenv(name)
    bucket = s3.new_bucket()
    with (
        dvc_repo(tmp_path, f"s3://{bucket}/project", s3.endpoint) as repo,
        pytest.raises(remote.RemoteError, match=r"credentials \(Unable to locate credentials\)"),
    ):
        remote.try_s3_remote(repo)


def test_make_pull_names_an_empty_s3_remote(s3, tmp_path):
    bucket = s3.new_bucket()
    with dvc_repo(tmp_path, f"s3://{bucket}/project", s3.endpoint) as repo:
        assert pull.remote_problem(repo) == (
            f"error: the DVC remote 'storage' (s3://{bucket}/project) holds no data yet: "
            "nothing was pushed to that folder. Run `make share` in a clone that has the "
            "outputs, or `make repro` to compute every output (about a minute)"
        )
        s3.client().put_object(Bucket=bucket, Key="project/files/md5/00/11", Body=b"x")
        assert pull.remote_problem(repo) is None
