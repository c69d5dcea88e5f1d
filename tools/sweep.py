"""A sweep: queue one experiment per value, run them, wait, tidy, and say which runs failed.

`dvc exp run --run-all` exits 0 when a queued run failed, and can return with its queue worker
still running (treeverse/dvc#10427). This checks the overrides against params.yaml first (one
line per bad one, nothing queued), runs the README's two commands, stops the queue, ends any
DVC process of this repository still alive, then names each failed run with its error line and
exits 1, after the others have finished.

    python -m tools.sweep --set "experiments.blobs4.train.learning_rate=0.003,0.01,0.03" --jobs 2

With ``--shard k/n`` it runs the k-th of n equal shares instead, and pushes each run as it
finishes (tools.shard): one machine's part of a sweep over several. With ``--workers w`` or
``--scheduler ADDRESS`` every run goes to Dask instead, each in its own clone of HEAD
(tools.runner, as `make tune`'s trials).
"""

import argparse
import subprocess
import sys
from pathlib import Path

import psutil

from pipeline.files import read_yaml
from tools.failures import error_line, report_failures

GRACE_SECONDS = 10
PARAMS_FILE = "params.yaml"  # the file `dvc exp run -S key=...` edits when it names none
EXAMPLE = "SET=experiments.blobs4.train.learning_rate=0.003,0.01,0.03"


def dvc(*args: str) -> int:
    """Run a dvc command in the current repository, its output shown; its exit code."""
    return subprocess.run(["dvc", *args]).returncode


def has_key(params, dotted: str) -> bool:
    """Whether ``a.b.0.c`` names a value in nested mappings and lists."""
    node = params
    for part in dotted.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def override_problem(override: str, repo: Path) -> str | None:
    """What is wrong with one ``[file:]key=values`` override, or None.

    Hydra's ``+key=`` (add a key) and ``~key`` (remove it) are passed on unchecked."""
    key, equals, values = override.partition("=")
    if key.startswith(("+", "~")):
        return None
    if not equals or not key or not values:
        return f"'{override}' is not KEY=V1,V2,...; for example {EXAMPLE}"
    file, colon, dotted = key.rpartition(":") if ":" in key else ("", "", key)
    path = repo / (file if colon else PARAMS_FILE)
    if not path.is_file():
        return f"'{override}': {path.name} does not exist"
    if not has_key(read_yaml(path), dotted):
        return f"'{dotted}' is not a key of {path.name} (a misspelling? add a new one with +)"
    return None


def overrides_of(values: list[str]) -> list[str]:
    """The ``KEY=V1,V2`` overrides of ``--set`` values, several to a value, space-separated."""
    return [override for value in values for override in value.split()]


def set_problems(overrides: list[str], repo: Path) -> list[str]:
    """One line per override that DVC would refuse, so that nothing is queued."""
    if not overrides:
        return [f"nothing to sweep: give a params key and its values, for example {EXAMPLE}"]
    return [problem for o in overrides if (problem := override_problem(o, repo)) is not None]


def queued_revs(repo: Path) -> set[str]:
    """The stash revisions of the experiments waiting in this repository's queue."""
    from dvc.repo import Repo

    with Repo(str(repo)) as dvc_repo:
        return {entry.stash_rev for entry in dvc_repo.experiments.celery_queue.iter_queued()}


def failed_runs(repo: Path, revs: set[str]) -> list[tuple[str, str]]:
    """(name, why) of each of ``revs`` that the queue ran and that failed."""
    from dvc.repo import Repo

    failed = []
    with Repo(str(repo)) as dvc_repo:
        queue = dvc_repo.experiments.celery_queue
        for entry, _ in queue.iter_failed():
            if entry.stash_rev in revs:
                info = queue.proc.get(entry.stash_rev)
                log = Path(info.stdout).read_text() if info and info.stdout else ""
                failed.append((entry.name or entry.stash_rev[:7], error_line(log)))
    return failed


def leftover_dvc_processes(repo: Path, exclude: int) -> list[psutil.Process]:
    """DVC processes (queue workers included) working in ``repo`` or under it."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline", "cwd"]):
        cmdline, cwd = process.info["cmdline"] or [], process.info["cwd"] or ""
        if process.info["pid"] == exclude or not any(Path(a).name == "dvc" for a in cmdline[:2]):
            continue
        if Path(cwd) == repo or repo in Path(cwd).parents:
            found.append(process)
    return found


def end_processes(processes: list[psutil.Process]) -> list[int]:
    """Terminate, then kill what is still alive after the grace time; returns their pids."""
    for process in processes:
        process.terminate()
    _, alive = psutil.wait_procs(processes, timeout=GRACE_SECONDS)
    for process in alive:
        process.kill()
    psutil.wait_procs(alive, timeout=GRACE_SECONDS)
    return [process.pid for process in processes]


def run_queue(repo: Path, jobs: int) -> None:
    """Run every queued experiment, ``jobs`` at a time, and leave no DVC process behind."""
    try:
        dvc("exp", "run", "--run-all", "-j", str(jobs))  # blocks until the queue is done
    finally:
        dvc("queue", "stop")
        ended = end_processes(leftover_dvc_processes(repo, exclude=psutil.Process().pid))
        if ended:
            print(f"sweep: ended DVC processes left running: {ended}", file=sys.stderr)


def run_sharded(overrides: list[str], shard: str, git_remote: str) -> int:
    """``--shard k/n``: this machine's share, each run pushed as it finishes."""
    from tools.grid import ShardError, parse_shard  # DVC loads only on this path
    from tools.shard import run_shard

    try:
        share, shards = parse_shard(shard)
    except ShardError as error:
        print(f"sweep: {error}", file=sys.stderr)
        return 2
    return run_shard(overrides, share, shards, git_remote)


def run_on_dask(overrides: list[str], workers: int, scheduler: str, git_remote: str) -> int:
    """``--workers``/``--scheduler``: every run on Dask, each in its own clone of HEAD and
    pushed as it finishes (tools.runner, as `make tune`'s trials); the exit code."""
    from tools.grid import plan  # DVC loads only on this path
    from tools.runner import dask_client, origin_of, run_all, uncommitted_problem
    from tools.shard import ShareError

    if (problem := uncommitted_problem("the runs start")) is not None:
        print(f"sweep: {problem}", file=sys.stderr)
        return 2
    runs = plan(overrides, 1)
    try:
        origin = origin_of(scheduler, git_remote, Path.cwd().resolve())
        with dask_client(workers, scheduler) as client:
            errors = run_all(client, [(run.name, run.overrides) for run in runs], origin)
    except (ShareError, OSError) as error:
        print(f"sweep: {error}", file=sys.stderr)
        return 2
    if scheduler:
        print(f"sweep: the runs are on '{git_remote}': make gather SET=... SHARDS=1 pulls them")
    failed = [(run.describe(), why) for run, why in zip(runs, errors, strict=True) if why]
    return report_failures(failed, len(runs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="params keys and their comma-separated values (dvc exp run -S), space-separated",
    )
    parser.add_argument("--jobs", type=int, default=2, help="experiments run at once")
    parser.add_argument(
        "--shard", metavar="K/N", help="run the k-th of n shares, pushing each run (tools.shard)"
    )
    parser.add_argument(
        "--remote", default="origin", help="with --shard, the git remote to push to (origin)"
    )
    parser.add_argument("--workers", type=int, help="run on a Dask LocalCluster of this many")
    parser.add_argument("--scheduler", default="", help="run on the Dask cluster at this address")
    args = parser.parse_args(argv)
    repo = Path.cwd().resolve()
    overrides = overrides_of(args.set)
    problems = set_problems(overrides, repo)
    for problem in problems:
        print(f"sweep: {problem}", file=sys.stderr)
    if problems:
        return 2
    if args.shard:
        return run_sharded(overrides, args.shard, args.remote)
    if args.workers is not None and args.workers < 1:
        print(f"sweep: WORKERS={args.workers}: expected a whole number >= 1", file=sys.stderr)
        return 2
    if args.workers or args.scheduler:
        return run_on_dask(overrides, args.workers or 1, args.scheduler, args.remote)
    already = queued_revs(repo)
    if dvc("exp", "run", "--queue", *[arg for o in overrides for arg in ("-S", o)]):
        print("sweep: DVC refused the sweep (its error is above); nothing was run", file=sys.stderr)
        return 2
    ours = queued_revs(repo) - already
    run_queue(repo, args.jobs)
    return report_failures(failed_runs(repo, ours | already), len(ours | already))


if __name__ == "__main__":
    sys.exit(main())
