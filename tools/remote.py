"""A DVC remote on S3, tried before `make pull` and `make share` move any file.

A bucket out of reach, credentials it refuses, or no bucket at all make DVC print a traceback
("unexpected error") or a list of files that failed; this says it in one line, naming the
remote, its URL and what to do. Any other remote is left to DVC.
"""

from botocore.exceptions import BotoCoreError, NoCredentialsError
from dvc.exceptions import DvcException
from dvc.repo import Repo


class RemoteError(DvcException):
    """A remote that cannot be used, with a one-line message naming it and what to do."""


def credentials_refused(name: str, url: str, reason: str) -> str:
    return (
        f"the DVC remote '{name}' ({url}) cannot be read with this machine's credentials "
        f"({reason}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or keep them in the "
        f"untracked .dvc/config.local: dvc remote modify --local {name} access_key_id ID, "
        f"then the same with secret_access_key"
    )


def out_of_reach(name: str, url: str, reason: str) -> str:
    return (
        f"the DVC remote '{name}' ({url}) cannot be reached ({reason}): check the network, and "
        f"the endpoint of a server other than AWS: dvc remote modify --local {name} endpointurl URL"
    )


def no_bucket(name: str, url: str, bucket: str) -> str:
    return (
        f"the DVC remote '{name}' ({url}) names the bucket '{bucket}', which does not exist: "
        f"create it, or point the remote at one that does: "
        f"dvc remote modify --local {name} url s3://BUCKET/PATH"
    )


def try_s3_remote(repo: Repo, name: str | None = None) -> bool | None:
    """Whether the S3 remote ``name`` (None: the default one) holds anything; None for a remote
    not on S3. Raises RemoteError when its bucket is out of reach, refuses this machine's
    credentials, or does not exist."""
    remote = repo.cloud.get_remote(name)
    if remote.fs.protocol != "s3":
        return None
    url, bucket = repo.config["remote"][remote.name]["url"], remote.path.split("/")[0]
    try:
        remote.fs.info(bucket)  # unlike `exists`, says why it failed
        return remote.fs.exists(remote.path)
    except FileNotFoundError as exc:
        raise RemoteError(no_bucket(remote.name, url, bucket)) from exc
    except (NoCredentialsError, PermissionError) as exc:  # none found, or a 403 from the bucket
        raise RemoteError(credentials_refused(remote.name, url, str(exc))) from exc
    except (BotoCoreError, OSError) as exc:  # no connection, a time-out, a server error
        raise RemoteError(out_of_reach(remote.name, url, str(exc))) from exc
