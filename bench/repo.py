"""Repository copies and timed processes: what every part of the benchmark runs things with.

Nothing here touches the project's own working tree except to read it: every `dvc`
command runs in a temporary copy of the files git tracks.
"""

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

# Importing stages sets the caps in os.environ, so every process started here inherits them.
from stages.cpu import NATIVE_SWITCH, kernel_caps

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
POLL_SECONDS = 0.005  # how often a watched file is checked while a command runs


def bench_env(native=False):
    """The environment `make` gives the pipeline, kernels pinned; ``native`` uncaps them."""
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}")
    env.update(TF_CPP_MIN_LOG_LEVEL="2", TF_ENABLE_ONEDNN_OPTS="0", DVC_NO_ANALYTICS="1")
    if native:
        # Importing stages set the caps in os.environ; the switch alone would not undo them.
        for name in kernel_caps("x86_64", {"avx2", "fma"}):
            env.pop(name, None)
        env[NATIVE_SWITCH] = "1"
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
        return Timed(seconds=now - start, peak_rss_mb=usage.ru_maxrss / 1024,
                     returncode=process.returncode, stdout=out.read().decode(errors="replace"),
                     stderr=err.read().decode(errors="replace"), watched_seconds=watched)


def run_checked(args, cwd, watch=None, native=False):
    """``run_timed``, raising with the command's output if it fails."""
    timed = run_timed(args, cwd, watch, native)
    if timed.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} exited {timed.returncode} in {cwd}:\n"
                           f"{timed.stdout[-3000:]}\n{timed.stderr[-3000:]}")
    return timed


def git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, env=bench_env(), check=True, capture_output=True)


def copy_tracked_files(target):
    """Copy the files git tracks (as they are in the working tree) into a new git repo."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True,
                           capture_output=True, text=True).stdout.split("\0")
    for name in filter(None, names):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git(target, "init", "-q", "-b", "main")
    git(target, "config", "user.email", "bench@example.invalid")
    git(target, "config", "user.name", "bench")
    commit_all(target, "copy of the project")


def commit_all(repo, message):
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message, "--allow-empty")


def get_param(repo, dotted):
    """A value of params.yaml by its dotted key, e.g. ``experiments.blobs4.train.epochs``."""
    value = yaml.safe_load((Path(repo) / "params.yaml").read_text())
    for key in dotted.split("."):
        value = value[key]
    return value


def set_params(repo, changes):
    """Change params.yaml in place, e.g. ``{"experiments.blobs4.train.epochs": 11}``."""
    path = Path(repo) / "params.yaml"
    params = yaml.safe_load(path.read_text())
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        section = params
        for key in parents:
            section = section[key]
        if last not in section:
            raise KeyError(f"params.yaml has no {dotted}")
        section[last] = value
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def clear_run_cache(repo):
    """Forget DVC's run records, so a value seen before is computed again, like a new one."""
    shutil.rmtree(Path(repo) / ".dvc" / "cache" / "runs", ignore_errors=True)


def stage_commands(repo, experiment):
    """Each stage's command for one experiment, from dvc.yaml (``${key}`` filled in)."""
    stages = yaml.safe_load((Path(repo) / "dvc.yaml").read_text())["stages"]
    commands = {}
    for name, stage in stages.items():
        cmd = stage["do"]["cmd"] if "foreach" in stage else stage["cmd"]
        cmd = cmd.replace("${key}", experiment)
        if "${" in cmd:
            raise ValueError(f"dvc.yaml stage {name}: cannot fill in {cmd!r}")
        commands[name] = shlex.split(cmd)
    return commands


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


def ran_stages(output):
    """The stages a `dvc repro` / `dvc exp run` output says it ran."""
    return sorted(line.split("'")[1] for line in output.splitlines()
                  if line.startswith("Running stage '"))
