"""`make tune` measured (``python -m bench.tune``, about 30 minutes on 2 cores): writes
bench/tune.md.

In one temporary copy of the project, after `dvc repro`:

- **Search against a grid.** For blobs4 and the cancer table, a 27-point grid (3 learning
  rates x 3 batch sizes x 3 epoch counts, `make sweep WORKERS=2`) and a search of 16 trials
  over the same space (`make tune WORKERS=2 BATCH=4`, the learning rate on a log scale between
  the grid's ends): after how many trials the search's best came within 0.005 of the grid's.
- **Scale.** One study of 8 trials (BATCH=4) with 1 and with 2 local workers, each from
  nothing (the experiments and DVC's run records removed before each, so that every trial
  trains), timed as a whole process; the efficiency is the one-worker time over twice the
  two-worker time.
"""

import argparse
import csv
import os
import sys
import tempfile
from pathlib import Path

from bench.repo import clear_run_cache, run_checked
from bench.run import describe_machine, log
from bench.stats import markdown_table
from bench.workspace import REPO, copy_tracked_files
from pipeline.files import write_text

WITHIN = 0.005
CASES = {  # experiment: {key: (the search's SPEC, the grid's values)}: wide, so that most of
    # the grid is poor (too few steps, too small or too large a rate) and finding the good
    # corner is the search's work
    name: {
        f"experiments.{name}.train.learning_rate": (
            "tag(log,interval(1e-4,1.0))",
            "0.0001,0.01,1.0",
        ),
        f"experiments.{name}.train.batch_size": ("choice(4,64,512)", "4,64,512"),
        f"experiments.{name}.train.epochs": (epochs, epochs.removeprefix("choice(")[:-1]),
    }
    for name, epochs in (("blobs4", "choice(1,5,20)"), ("cancer", "choice(1,10,50)"))
}
SEARCH_TRIALS, SCALE_TRIALS, BATCH = 16, 8, 4


def tune(repo: Path, case: dict, trials: int, workers: int):
    space = " ".join(f"{key}={spec}" for key, (spec, _) in case.items())
    args = ["--space", space, "--trials", str(trials), "--batch", str(BATCH)]
    return run_checked([sys.executable, "-m", "tools.tune", *args, "--workers", str(workers)], repo)


def study_rows(repo: Path) -> list[dict]:
    (path,) = (repo / "reports" / "tune").glob("*.csv")
    rows = list(csv.DictReader(path.read_text().splitlines()))
    path.unlink()
    return rows


def grid_best(repo: Path, name: str, case: dict) -> tuple[float, int]:
    """The best test accuracy of the 27-point grid, and how many runs had one."""
    from tools.gather import shown_runs
    from tools.grid import plan

    overrides = [f"{key}={values}" for key, (_, values) in case.items()]
    run_checked(
        [sys.executable, "-m", "tools.sweep", "--set", " ".join(overrides), "--workers", "2"], repo
    )
    names = [run.name for run in plan(overrides, 1)]
    here = os.getcwd()
    os.chdir(repo)
    try:
        found = shown_runs(names)[1]
    finally:
        os.chdir(here)
    values = [v[("metrics", name, "test_accuracy")] for v in found.values()]
    return max(values), len(values)


def trials_to_reach(rows: list[dict], metric: str, target: float) -> int | None:
    """The number of trials (from 1) after which the best so far is within WITHIN of target."""
    best = None
    for count, row in enumerate(rows, 1):
        if row[metric]:
            best = max(best or 0.0, float(row[metric]))
        if best is not None and best >= target - WITHIN:
            return count
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "bench" / "tune.md"))
    args = parser.parse_args(argv)
    machine = describe_machine()
    machine = (
        f"{machine['date']}, {machine['cpu']}, {machine['cores']} cores, "
        f"load {machine['load']:.2f} at the start, commit {machine['commit']}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        copy_tracked_files(repo)
        run_checked(
            ["dvc", "remote", "modify", "--local", "storage", "url", f"{tmp}/storage"], repo
        )
        log("dvc repro of the copy")
        run_checked(["dvc", "repro"], repo)
        run_checked(["git", "commit", "-qam", "dvc repro", "--allow-empty"], repo)
        search = []
        for name, case in CASES.items():
            log(f"{name}: the 27-point grid")
            best, count = grid_best(repo, name, case)
            log(f"{name}: a search of {SEARCH_TRIALS} trials")
            tune(repo, case, SEARCH_TRIALS, 2)
            rows = study_rows(repo)
            metric = f"{name}.test_accuracy"
            found = max(float(row[metric]) for row in rows if row[metric])
            reached = trials_to_reach(rows, metric, best)
            search.append(
                [
                    name,
                    f"{best:.4f} ({count} runs)",
                    f"{found:.4f}",
                    str(reached) if reached else f"not in {SEARCH_TRIALS}",
                ]
            )
        scale = []
        for workers in (1, 2):  # the same study from nothing: no experiment, no run record
            run_checked(["dvc", "exp", "remove", "--all-commits"], repo)
            clear_run_cache(repo)
            log(f"8 trials with {workers} workers")
            load = os.getloadavg()[0]
            timed = tune(repo, CASES["blobs4"], SCALE_TRIALS, workers)
            study_rows(repo)
            scale.append((timed.seconds, load))
    efficiency = scale[0][0] / (2 * scale[1][0])
    text = "\n".join(
        [
            "# `make tune`, measured",
            "",
            f"Written by `python -m bench.tune` ({machine}). Method: the module's docstring.",
            "",
            "## A search against a 27-point grid",
            "",
            markdown_table(
                [
                    "experiment",
                    "grid's best test accuracy",
                    f"search's best ({SEARCH_TRIALS} trials)",
                    f"trials to come within {WITHIN} of the grid's best",
                ],
                search,
            ),
            "",
            "## Scale: 8 trials (BATCH=4), one run each",
            "",
            markdown_table(
                ["workers", "seconds", "efficiency", "load average before"],
                [
                    ["1", f"{scale[0][0]:.1f}", "", f"{scale[0][1]:.2f}"],
                    ["2", f"{scale[1][0]:.1f}", f"{efficiency:.0%}", f"{scale[1][1]:.2f}"],
                ],
            ),
            "",
        ]
    )
    write_text(args.out, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
