"""`make sweep SET=... SHARD=k/n`: run this machine's share of a sweep, and share each run as
soon as it finishes, so that a shard killed part-way keeps what it finished.

The runs and their names come from tools.grid, the same on every machine. Each run of the
share, one at a time:

- its name is on the git remote already: skipped (a rerun of a shard redoes nothing);
- it is an experiment here already (its push failed before): not rerun, only pushed;
- otherwise `dvc exp run --temp -n NAME -S ...` (in a temporary copy: the workspace is left
  as it is), then pushed.

Pushing puts the run's outputs and DVC's run records on the DVC remote first, then its
experiment on the git remote (`dvc exp push --no-cache`): a name on the git remote thus means
its files are on the DVC remote too. `dvc exp push` alone does the git ref first, and a DVC
remote that fails half-way would leave a name that points at missing files.
"""

import subprocess
import sys

from dvc.exceptions import DvcException
from dvc.repo import Repo

from tools.failures import error_line, report_failures
from tools.grid import plan
from tools.remote import RemoteError, try_s3_remote


class ShareError(DvcException):
    """A run that could not be pushed, with the one line saying why."""


def remote_names(git_remote: str, cwd: str | None = None) -> set[str]:
    """The names of the experiments on the git remote of this commit (`dvc exp list REMOTE`,
    in ``cwd``); raises ShareError with git's or DVC's line when the remote cannot be read."""
    listed = subprocess.run(
        ["dvc", "exp", "list", git_remote, "--name-only"], capture_output=True, text=True, cwd=cwd
    )
    if listed.returncode:
        raise ShareError(
            f"cannot list the experiments on the git remote '{git_remote}': "
            f"{error_line(listed.stderr + listed.stdout)}"
        )
    return {line.strip() for line in listed.stdout.splitlines() if line.strip()}


def local_names(repo: Repo) -> dict[str, str]:
    """{name: commit} of this clone's experiments of this commit."""
    listed = repo.experiments.ls()
    return {name: rev for entries in listed.values() for name, rev in entries if rev}


def run_one(
    name: str, overrides: tuple[str, ...], *flags: str, cwd: str | None = None
) -> str | None:
    """`dvc exp run -n NAME -S ...` (with ``flags``, such as ``--temp``) in ``cwd``, its output
    shown as it comes; None, or why it failed."""
    args = ["dvc", "exp", "run", *flags, "-n", name]
    args += [arg for value in overrides for arg in ("-S", value)]
    with subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd
    ) as process:
        lines = []
        for line in process.stdout:
            sys.stdout.write(line)
            lines.append(line)
    return error_line("".join(lines)) if process.returncode else None


def push_run(name: str, commit: str, git_remote: str, root: str | None = None) -> int:
    """The run's files and run records to the DVC remote, then its experiment to the git
    remote (from the repository at ``root``, else here); returns the number of files
    uploaded. Raises ShareError on any failure."""
    try:
        with Repo(root) as repo:
            uploaded = repo.push(revs=[commit], workspace=False, run_cache=True)
            repo.experiments.push(git_remote, [name], push_cache=False)
    except DvcException as exc:
        cause = f" ({exc.__cause__})" if exc.__cause__ else ""
        raise ShareError(f"{exc}{cause}") from exc
    return uploaded


def run_shard(overrides: list[str], share: int, shards: int, git_remote: str) -> int:
    """Run and push this shard's runs; the exit code (1: a run failed or was not pushed)."""
    runs = [run for run in plan(overrides, shards) if run.shard == share]
    print(f"sweep: shard {share}/{shards}: {len(runs)} runs: {', '.join(r.name for r in runs)}")
    try:
        with Repo() as repo:
            try_s3_remote(repo)  # a bucket out of reach: one line before any training
        shared = remote_names(git_remote)
    except (RemoteError, ShareError) as exc:
        print(f"sweep: {exc}", file=sys.stderr)
        return 2
    failed = []
    for run in runs:
        if run.name in shared:
            print(f"sweep: {run.describe()} is on '{git_remote}' already: not rerun")
            continue
        with Repo() as repo:
            commit = local_names(repo).get(run.name)
        if commit is None:
            why = run_one(run.name, run.overrides, "--temp")
            if why is not None:
                failed.append((run, why))
                continue
            with Repo() as repo:
                commit = local_names(repo)[run.name]
        try:
            uploaded = push_run(run.name, commit, git_remote)
        except ShareError as exc:
            print(
                f"sweep: run '{run.name}' finished but could not be shared: {exc}. It is kept "
                f"here (dvc exp list); run the same command again to push it without rerunning",
                file=sys.stderr,
            )
            return 1
        print(f"sweep: {run.describe()} shared ({uploaded} files uploaded)")
    return report_failures([(run.describe(), why) for run, why in failed], len(runs))
