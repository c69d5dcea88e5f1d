"""A sweep that cleans up after itself: queue one experiment per value, run them, wait, tidy.

`dvc exp run --run-all` can return with its queue worker still running (treeverse/dvc#10427),
and `dvc queue stop` may then report 0 workers while the process lives on. This runs the
README's two commands, stops the queue, and ends any DVC process of this repository that is
still alive, so nothing is left behind when it returns.

    python -m tools.sweep --set experiments.blobs4.train.learning_rate=0.003,0.01,0.03 --jobs 2
"""

import argparse
import subprocess
import sys
from pathlib import Path

import psutil

GRACE_SECONDS = 10


def dvc(*args: str) -> None:
    """Run a dvc command in the current repository, its output shown; raise if it fails."""
    subprocess.run(["dvc", *args], check=True)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--set",
        action="append",
        required=True,
        metavar="KEY=V1,V2",
        help="a params key and its comma-separated values (dvc exp run -S)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="experiments run at once")
    args = parser.parse_args(argv)
    repo = Path.cwd().resolve()
    dvc("exp", "run", "--queue", *[arg for value in args.set for arg in ("-S", value)])
    try:
        dvc("exp", "run", "--run-all", "-j", str(args.jobs))  # blocks until the queue is done
    finally:
        dvc("queue", "stop")
        ended = end_processes(leftover_dvc_processes(repo, exclude=psutil.Process().pid))
        if ended:
            print(f"sweep: ended DVC processes left running: {ended}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
