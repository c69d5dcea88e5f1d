"""Runs on Dask: `make tune`'s trials and `make sweep`'s runs, on this machine or a cluster.

Each run works in its own clone of the study's commit, so that runs never share a workspace
or take one another's DVC repository lock, and a worker needs no disk in common with the
machine that started it:

- a run whose name the git remote has already is not run again (a worker lost after it
  pushed, a resumed study);
- otherwise ``git clone`` of the git remote at the commit, `dvc exp run -n NAME -S ...` in the
  clone, and the same push as a shard's run (tools.shard.push_run): its outputs to the DVC
  remote, then its experiment to the git remote.

Each clone gets this repository's untracked .dvc/config.local (the DVC remote's settings, as
`dvc remote modify --local` wrote them). On this machine (``WORKERS=w``), a Dask
``LocalCluster`` of ``w`` worker processes, and each clone uses this repository's DVC cache
(no download). On a cluster (``SCHEDULER=tcp://host:8786``), each clone pulls what it needs
from the DVC remote (`dvc exp run --pull`); keep credentials out of config.local there, in the
workers' environment (AWS_ACCESS_KEY_ID...) or their machine's role. A worker that dies during a
run: Dask gives the run to another worker, which starts it again in a new clone.
"""

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dvc.repo import Repo

from tools.failures import error_line
from tools.shard import ShareError, local_names, push_run, remote_names, run_one

CONNECT_SECONDS = 10


@dataclass(frozen=True)
class Origin:
    """Where every run starts from: the git remote, the commit, and for a machine's own
    workers, its DVC cache and the text of its .dvc/config.local."""

    git_url: str
    commit: str
    cache_dir: str | None = None
    local_config: str | None = None


def uncommitted_problem(subject: str) -> str | None:
    """The line naming the tracked files that differ from HEAD, which runs started at HEAD
    would not see (``subject``: "the trials run"); None when there are none."""
    listed = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
    )
    changed = [line[3:] for line in listed.stdout.splitlines()]
    if not changed:
        return None
    files = ", ".join(changed)
    return f"{subject} at HEAD, without your changes to {files}: commit them (or stash them) first"


def origin_of(scheduler: str, git_remote: str, repo_root: Path) -> Origin:
    """The runs' origin: this repository and its cache for local workers; the git remote (the
    commit pushed there) for a cluster. Raises ShareError when a cluster could not get it."""
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    config = repo_root / ".dvc" / "config.local"
    text = config.read_text() if config.is_file() else None
    if not scheduler:
        with Repo(str(repo_root)) as repo:
            cache = repo.cache.local_cache_dir
        return Origin(str(repo_root), commit, cache, text)
    with Repo(str(repo_root)) as repo:
        remote = repo.cloud.get_remote()
        if remote.fs.protocol == "local":
            raise ShareError(
                f"the DVC remote '{remote.name}' is a folder of this machine, which a cluster's "
                f"workers cannot reach: point it at shared storage (dvc remote modify --local "
                f"{remote.name} url s3://BUCKET/PATH)"
            )
    url = subprocess.run(
        ["git", "remote", "get-url", git_remote], capture_output=True, text=True
    ).stdout.strip()
    subprocess.run(["git", "fetch", "--quiet", git_remote], capture_output=True)
    contains = subprocess.run(
        ["git", "branch", "-r", "--contains", commit, "--list", f"{git_remote}/*"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not url or not contains:
        raise ShareError(
            f"the cluster's workers clone the git remote '{git_remote}', which does not have "
            f"this commit ({commit[:7]}): git push {git_remote} first"
        )
    return Origin(url, commit, local_config=text)


def git(*args: str, cwd: str | Path) -> None:
    """A git command that must succeed; a ShareError with git's line otherwise."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        raise ShareError(f"git {args[0]} failed: {error_line(done.stderr + done.stdout)}")


def clone(origin: Origin, into: Path) -> None:
    """A clone of the git remote at the commit, set up to use ``origin``'s cache and config."""
    git("clone", "--quiet", "--no-checkout", origin.git_url, str(into), cwd=into.parent)
    git("checkout", "--quiet", origin.commit, cwd=into)
    if origin.local_config is not None:
        (into / ".dvc" / "config.local").write_text(origin.local_config)
    if origin.cache_dir is not None:
        with Repo(str(into)) as repo, repo.config.edit("local") as config:
            config["cache"]["dir"] = origin.cache_dir


def run_in_clone(name: str, overrides: tuple[str, ...], origin: Origin) -> str | None:
    """Run ``name`` with ``overrides`` in a new clone and push it (see the module's text);
    None, or the line saying why it failed. What each Dask task runs."""
    with tempfile.TemporaryDirectory(prefix=f"{name}-") as tmp:
        here = Path(tmp) / "repo"
        try:
            clone(origin, here)
            if name in remote_names("origin", cwd=str(here)):
                return None  # finished and pushed already
        except ShareError as error:
            return str(error)
        flags = () if origin.cache_dir else ("--pull",)
        why = run_one(name, overrides, *flags, cwd=str(here))
        if why is not None:
            return why
        with Repo(str(here)) as repo:
            commit = local_names(repo)[name]
        try:
            push_run(name, commit, "origin", root=str(here))
        except ShareError as error:
            if name in remote_names("origin", cwd=str(here)):
                return None  # another run of the same name pushed it first: the same bytes
            return f"finished but could not be shared: {error}"
    return None


@contextmanager
def dask_client(workers: int, scheduler: str | None) -> Iterator:
    """A Dask client of the cluster at ``scheduler``, else of a new LocalCluster of
    ``workers`` single-threaded processes (stopped on leaving)."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler, timeout=CONNECT_SECONDS) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def run_all(client, runs: list[tuple[str, tuple[str, ...]]], origin, task=run_in_clone) -> list:
    """``task(name, overrides, origin)`` of each run on the cluster, one per worker at a time;
    their results (None, or why it failed) in the order given, whatever order they finish in.
    A run that raised, or whose workers kept dying (Dask's KilledWorker), is a failed run."""
    from dask.distributed import wait

    futures = [
        client.submit(task, name, overrides, origin, key=name, pure=False)
        for name, overrides in runs
    ]
    wait(futures)
    return [
        future.result() if future.status == "finished" else failure(future.exception())
        for future in futures
    ]


def failure(error: BaseException) -> str:
    """A run's exception as its error line."""
    return f"{type(error).__name__}: {' '.join(str(error).split())}"
