"""`make pull`: `dvc pull`, but a remote that cannot hold the data is named in one line first.

The default remote is a folder on this machine, filled only by `dvc push`; on a fresh clone
it does not exist, and `dvc pull` answers with a list of missing hashes. An S3 bucket may be
out of reach, refuse this machine's credentials, not exist or hold nothing yet, and DVC answers
with a traceback. This says what `dvc pull` needs instead, then runs it when the remote is there.
"""

import subprocess
import sys
from pathlib import Path

from dvc.repo import Repo

from tools.remote import RemoteError, try_s3_remote


def dvc_output(*args: str) -> str:
    return subprocess.run(["dvc", *args], capture_output=True, text=True, check=True).stdout.strip()


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


def s3_remote_problem(name: str, url: str) -> str | None:
    """The one-line explanation when the S3 remote ``url`` cannot be read or holds nothing."""
    try:
        with Repo() as repo:
            if try_s3_remote(repo, name):
                return None
    except RemoteError as exc:
        return f"error: {exc}"
    return (
        f"error: the DVC remote '{name}' ({url}) holds no data yet: nothing was pushed to that "
        "folder. Run `make share` in a clone that has the outputs, or `make repro` to compute "
        "every output (about a minute)"
    )


def main() -> int:
    name = dvc_output("remote", "default")
    url = dvc_output("config", f"remote.{name}.url")
    if url.startswith("s3://"):
        problem = s3_remote_problem(name, url)
    else:
        problem = missing_local_remote(name, url)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    return subprocess.run(["dvc", "pull"]).returncode


if __name__ == "__main__":
    sys.exit(main())
