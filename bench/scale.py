"""Part 5 and the per-stage budget: each stage's own process, timed and measured directly.

The commands come from dvc.yaml and run without DVC, so the figures are the stages' own
(DVC's hashing and bookkeeping are in parts 2-4); `validate` writes the settings first.
"""

from pathlib import Path

from bench.repo import run_checked
from bench.stats import import_seconds
from bench.workspace import set_params, stage_commands
from pipeline.files import read_yaml

CHAIN = ("generate", "split", "train", "evaluate", "plot")  # one experiment's stages, in order
TENSORFLOW = ("tensorflow", "keras", "tf_keras")
SCALE_EXPERIMENT = "blobs4"
SCALE_BATCH_SIZE = 256


def run_stage(repo, command, importtime=False, native=False):
    """One stage command; with ``importtime``, Python reports every import on stderr."""
    if importtime:
        command = [command[0], "-X", "importtime", *command[1:]]
    return run_checked(command, repo, native=native)


def experiment_names(repo):
    return list(read_yaml(Path(repo) / "params.yaml")["experiments"])


def measure_stage_budget(repo, repeats):
    """Every stage of every experiment at the params' own sizes: wall time and import time.

    Returns ``{stage@experiment: {"seconds": [...], "imports": [...], "tf_imports": [...]}}``.
    """
    results = {}
    for _ in range(repeats):
        names = experiment_names(repo)
        jobs = [("validate", stage_commands(repo, names[0])["validate"])]
        for name in names:
            commands = stage_commands(repo, name)
            jobs += [(f"{stage}@{name}", commands[stage]) for stage in CHAIN]
        for label, command in jobs:
            timed = run_stage(repo, command, importtime=True)
            row = results.setdefault(label, {"seconds": [], "imports": [], "tf_imports": []})
            row["seconds"].append(timed.seconds)
            row["imports"].append(import_seconds(timed.stderr))
            row["tf_imports"].append(import_seconds(timed.stderr, TENSORFLOW))
    return results


def file_sizes(repo, experiment):
    """Every file the experiment's stages wrote under data/ and models/, in bytes."""
    sizes = {}
    for folder in ("data", "models"):
        for path in sorted((Path(repo) / folder / experiment).rglob("*")):
            if path.is_file():
                sizes[str(path.relative_to(repo))] = path.stat().st_size
    return sizes


def measure_scale(repo, sizes, repeats, experiment=SCALE_EXPERIMENT, native=False):
    """The experiment's chain at each n_samples (batch 256): wall time and peak memory per stage.

    ``native`` runs every stage with the CPU's own kernels (``bench_env(native=True)``).
    Returns ``{n: {"stages": {stage: {"seconds": [...], "peak_mb": [...]}}, "files": {...}}}``.
    """
    results = {}
    for n in sizes:
        set_params(
            repo,
            {
                f"experiments.{experiment}.data.n_samples": n,
                f"experiments.{experiment}.train.batch_size": SCALE_BATCH_SIZE,
            },
        )
        commands = stage_commands(repo, experiment)
        stages = {stage: {"seconds": [], "peak_mb": []} for stage in CHAIN}
        for _ in range(repeats):
            run_stage(repo, commands["validate"], native=native)
            for stage in CHAIN:
                timed = run_stage(repo, commands[stage], native=native)
                stages[stage]["seconds"].append(timed.seconds)
                stages[stage]["peak_mb"].append(timed.peak_rss_mb)
        results[n] = {"stages": stages, "files": file_sizes(repo, experiment)}
    return results
