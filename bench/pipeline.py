"""Parts 2-4: a cold `dvc repro -f`, a no-op `dvc repro` and the edit-rerun loop.

Each is a whole command in a fresh process, timed from start to end, in a repository
copy whose DVC cache was filled by one first run; the notebook script is its baseline.
"""

import sys
import tempfile
from datetime import datetime
from pathlib import Path

from bench.repo import clear_run_cache, file_changed, read_or_none, run_checked
from bench.workspace import commit_all, get_param, ran_stages, set_params

NOTEBOOK_SCRIPT = Path(__file__).with_name("notebook.py")

# What a person edits, the two values it alternates between (each run takes the one that
# differs from the current value) and the file whose new content ends the wait.
EDITS = {
    "epochs": ("experiments.blobs4.train.epochs", (10, 11), "metrics/blobs4.json"),
    "grid": (
        "experiments.blobs4.plot.grid_points",
        (100, 101),
        "plots/blobs4/decision_boundary.png",
    ),
}
VIAS = ("repro", "exp")


def first_run(repo):
    """The first `dvc repro` of a fresh copy: fills the DVC cache; its result is committed."""
    timed = run_checked(["dvc", "repro"], repo)
    commit_all(repo, "first run")
    return {"seconds": timed.seconds, "stages": ran_stages(timed.stdout)}


def time_notebook_script(workdir, repeats):
    """The notebook script as one process, start to end, its pictures in a new folder each run."""
    seconds = []
    for _ in range(repeats):
        out = tempfile.mkdtemp(dir=workdir, prefix="notebook-")
        timed = run_checked([sys.executable, str(NOTEBOOK_SCRIPT), "--out", out], workdir)
        seconds.append(timed.seconds)
    return {"seconds": seconds, "printed": timed.stdout.strip().splitlines()}


def time_forced_repro(repo, repeats):
    """`dvc repro -f`: every stage runs again, each in its own process."""
    seconds, stages = [], None
    for _ in range(repeats):
        timed = run_checked(["dvc", "repro", "-f"], repo)
        seconds.append(timed.seconds)
        stages = ran_stages(timed.stdout)
    return {"seconds": seconds, "stages": stages}


def time_noop_repro(repo, repeats):
    """`dvc repro` with everything up to date; checks that nothing ran."""
    seconds = []
    for _ in range(repeats):
        timed = run_checked(["dvc", "repro"], repo)
        if ran_stages(timed.stdout):
            raise RuntimeError(f"a no-op dvc repro ran {ran_stages(timed.stdout)}")
        seconds.append(timed.seconds)
    return {"seconds": seconds}


def edit_command(repo, key, value, via):
    """The command after an edit: params.yaml changed then `dvc repro`, or `dvc exp run -S`;
    verbose, so that DVC's own log times each stage (``stage_seconds``)."""
    if via == "repro":
        set_params(repo, {key: value})
        return ["dvc", "repro", "-v"]
    return ["dvc", "exp", "run", "-v", "-S", f"{key}={value}"]


DVC_LOG_TIME = "%Y-%m-%d %H:%M:%S,%f"  # how `dvc -v` starts each of its own log lines


def stage_seconds(output):
    """Each stage's seconds inside a verbose DVC run, from its log: from DVC's last line before
    "Running stage" to its "Computed stage" line (the command, and hashing what it wrote)."""
    seconds, last_time, started = {}, None, {}
    for line in output.splitlines():
        if line.startswith("Running stage '"):
            started[line.split("'")[1]] = last_time
            continue
        try:
            last_time = datetime.strptime(line[:23], DVC_LOG_TIME)
        except ValueError:
            continue
        if "DEBUG: Computed stage: '" in line:
            stage = line.split("'")[1]
            seconds[stage] = (last_time - started[stage]).total_seconds()
    return seconds


def time_edit(repo, edit, via, repeats):
    """Time from the command's start until the watched output is new, and until it ends.

    ``stage_seconds`` holds each run's stages as DVC timed them in that run.
    Each run starts from a committed workspace (`dvc exp run` resets outputs to the commit
    before it runs, which must not count as new) and an empty DVC run cache, so every value
    is computed, as a new value would be.
    """
    key, values, watched = EDITS[edit]
    until_output, until_done, in_run, stages = [], [], [], None
    for _ in range(repeats):
        commit_all(repo, "before an edit")
        clear_run_cache(repo)
        old = read_or_none(Path(repo) / watched)
        value = values[1] if get_param(repo, key) == values[0] else values[0]
        command = edit_command(repo, key, value, via)
        timed = run_checked(command, repo, watch=file_changed(Path(repo) / watched, old))
        if timed.watched_seconds is None:
            raise RuntimeError(f"{' '.join(command)} left {watched} unchanged")
        until_output.append(timed.watched_seconds)
        until_done.append(timed.seconds)
        in_run.append(stage_seconds(timed.stdout))
        stages = ran_stages(timed.stdout)
    return {
        "seconds": until_output,
        "done_seconds": until_done,
        "stage_seconds": in_run,
        "stages": stages,
        "watched": watched,
    }
