"""Repository copies and timed processes: what every part of the benchmark runs things with.

Nothing here touches the project's own working tree except to read it: every `dvc`
command runs in a temporary copy of the files git tracks.
"""

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.workspace import pipeline_env, without_kernel_caps
from pipeline.cpu import NATIVE_SWITCH, pin_kernels

POLL_SECONDS = 0.005  # how often a watched file is checked while a command runs


def bench_env(native=False):
    """The pipeline's environment with the kernels pinned as a stage pins them, or ``native``.

    ``native`` uncaps them: it drops any cap this process inherited and sets the switch.
    """
    env = pipeline_env()
    if native:
        without_kernel_caps(env)
        env[NATIVE_SWITCH] = "1"
    else:
        pin_kernels(env)
    return env


@dataclass(frozen=True)
class Timed:
    """A finished process: wall time, peak resident memory, exit code and output."""

    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str
    watched_seconds: float | None = None  # when ``watch()`` first held, from the start


def run_timed(args, cwd, watch=None, native=False):
    """Run a command to its end; ``watch``, a function of no arguments, is polled meanwhile.

    The peak memory is the largest resident set of the process and any of its children
    (``wait4``'s rusage), so a `dvc` command's figure covers the stages it ran. ``native``
    runs it in ``bench_env(native=True)``.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(args, cwd=cwd, env=bench_env(native), stdout=out, stderr=err)
        watched = None
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG if watch else 0)
            now = time.perf_counter()
            if watch is not None and watched is None and watch():
                watched = now - start
            if pid:
                break
            time.sleep(POLL_SECONDS)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Timed(
            seconds=now - start,
            peak_rss_mb=usage.ru_maxrss / 1024,
            returncode=process.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
            watched_seconds=watched,
        )


def run_checked(args, cwd, watch=None, native=False):
    """``run_timed``, raising with the command's output if it fails."""
    timed = run_timed(args, cwd, watch, native)
    if timed.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, args))} exited {timed.returncode} in {cwd}:\n"
            f"{timed.stdout[-3000:]}\n{timed.stderr[-3000:]}"
        )
    return timed


def clear_run_cache(repo):
    """Forget DVC's run records, so a value seen before is computed again, like a new one."""
    shutil.rmtree(Path(repo) / ".dvc" / "cache" / "runs", ignore_errors=True)


def file_changed(path, old_content):
    """A watch: true once ``path`` exists with content other than ``old_content``."""
    path = Path(path)

    def changed():
        try:
            return path.read_bytes() != old_content
        except FileNotFoundError:
            return False

    return changed


def read_or_none(path):
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        return None
