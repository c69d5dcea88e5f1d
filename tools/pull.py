"""`make pull`: `dvc pull`, but a remote that cannot hold the data is named in one line first.

The default remote is a folder on this machine, filled only by `dvc push`; on a fresh clone
it does not exist, and `dvc pull` answers with a list of missing hashes. An S3 bucket may be
out of reach, refuse this machine's credentials, not exist or hold nothing yet, and DVC answers
with a traceback. This says what `dvc pull` needs instead, then runs it when the remote is there.
"""

import subprocess
import sys
from pathlib import Path

from dvc.config import NoRemoteError
from dvc.exceptions import DvcException
from dvc.repo import Repo

from tools.remote import try_s3_remote


def missing_local_remote(name: str, url: str) -> str | None:
    """The one-line explanation when ``url`` is a local folder that does not exist, else None."""
    if "://" in url:
        return None  # ssh://, gs://... : DVC itself says what is wrong with those
    if Path(url).expanduser().is_dir():
        return None
    return (
        f"error: the DVC remote '{name}' is the folder {url}, which does not exist on this "
        "machine: it holds only what `dvc push` put there. Run `make repro` to compute every "
        "output (about a minute), or point the remote at a copy that has the data: "
        f"dvc remote modify --local {name} url PATH"
    )


def empty_s3_remote(name: str, url: str) -> str:
    return (
        f"error: the DVC remote '{name}' ({url}) holds no data yet: nothing was pushed to that "
        "folder. Run `make share` in a clone that has the outputs, or `make repro` to compute "
        "every output (about a minute)"
    )


def remote_problem(repo: Repo) -> str | None:
    """The one-line explanation when the default remote cannot give `dvc pull` its data: an S3
    bucket out of reach, refusing, missing or empty, or a local folder that does not exist."""
    try:
        remote = repo.cloud.get_remote()
        holds_data = try_s3_remote(repo, remote.name)
    except NoRemoteError:
        return "error: this clone has no default DVC remote: name one with dvc remote default NAME"
    except DvcException as exc:  # tools.remote's RemoteError: one line naming what to do
        return f"error: {exc}"
    url = repo.config["remote"][remote.name]["url"]
    if holds_data is None:
        return missing_local_remote(remote.name, url)
    return None if holds_data else empty_s3_remote(remote.name, url)


def main() -> int:
    with Repo() as repo:
        problem = remote_problem(repo)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    return subprocess.run(["dvc", "pull"]).returncode


if __name__ == "__main__":
    sys.exit(main())
