"""The tables part: a large table of one's own, from `make experiment` to `make predict`.

A deterministic synthetic CSV (20 float features at scales from 0.01 to 1000, a three-class
text label) is added to a copy of the project with `python -m tools.experiment`; then each
stage of its chain runs on its own, as dvc.yaml has it (validate first), and
`stages.predict` predicts the same file. Every step's wall time and peak memory are
recorded; training is cut to one epoch so that it stays short. The CSV read alone is timed
too: the pipeline's reader against pyarrow's, each in a fresh process.
"""

import math
import resource
import shutil
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from bench.repo import run_checked
from bench.workspace import REPO, get_param, set_params, stage_commands
from pipeline.files import read_json

N_FEATURES = 20
SCALES = np.logspace(-2, 3, N_FEATURES)  # each feature's spread: 0.01, ..., 1000
CLASSES = ("alpha", "beta", "gamma")
TARGET = "label"
NOISE = 0.5  # the Gumbel noise on each class's score: about one label in ten is not the rule's
SEED = 0
CHUNK_ROWS = 100_000  # rows generated and written at a time
EXPERIMENT = "bigtable"
EPOCHS = 1
READ_PAIRS = 5  # paired runs of the two CSV readers
CHAIN = ("validate", "ingest", "split", "train", "evaluate", "plot")
STEPS = ("experiment", *CHAIN, "predict")

# Each reader in a fresh process; pyarrow.csv is imported before the clock starts on both
# sides (pandas' pyarrow engine would otherwise import it inside our timed read).
READ_OURS = (
    "import sys, time; import pyarrow.csv; from pipeline.user_table import read_user_file; "
    "start = time.perf_counter(); frame = read_user_file(sys.argv[1]); "
    "print(time.perf_counter() - start, *frame.shape)"
)
READ_PYARROW = (
    "import sys, time; import pyarrow.csv; "
    "start = time.perf_counter(); table = pyarrow.csv.read_csv(sys.argv[1]); "
    "print(time.perf_counter() - start, table.num_rows, table.num_columns)"
)


def feature_names():
    return [f"f{j:02d}" for j in range(1, N_FEATURES + 1)]


def table_chunks(n_rows, seed=SEED):
    """The table in blocks of CHUNK_ROWS rows: (features, labels) arrays.

    Feature j is ``SCALES[j] * (z_j + offset_j)`` with z standard normal; the label is the
    class whose linear score ``z @ W`` plus Gumbel noise is largest (a softmax model's own
    rule). The features and the noise have streams of their own, so a shorter table is the
    first rows of a longer one.
    """
    rules, features, noise = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
    )
    # Each class's score spreads about 3 (against the noise's 0.5 scale).
    weights = rules.normal(size=(N_FEATURES, len(CLASSES))) * 3 / math.sqrt(N_FEATURES)
    offsets = rules.uniform(-2, 2, size=N_FEATURES)
    names = np.asarray(CLASSES)
    for start in range(0, n_rows, CHUNK_ROWS):
        n = min(CHUNK_ROWS, n_rows - start)
        z = features.standard_normal((n, N_FEATURES))
        scores = z @ weights + noise.gumbel(scale=NOISE, size=(n, len(CLASSES)))
        yield (z + offsets) * SCALES, names[scores.argmax(axis=1)]


def write_table(path, n_rows, seed=SEED):
    """Write the synthetic table as a plain CSV (header, `,`, no quotes); returns its bytes."""
    names = [*feature_names(), TARGET]
    schema = pa.schema(
        [*(pa.field(name, pa.float64()) for name in names[:-1]), (TARGET, pa.string())]
    )
    options = pa_csv.WriteOptions(quoting_style="none", quoting_header="none")
    with pa_csv.CSVWriter(str(path), schema, write_options=options) as writer:
        for X, labels in table_chunks(n_rows, seed):
            columns = [*X.T, labels]
            writer.write_table(pa.table(dict(zip(names, columns, strict=True)), schema=schema))
    return Path(path).stat().st_size


def _record(steps, step, timed):
    steps[step]["seconds"].append(timed.seconds)
    steps[step]["peak_mb"].append(timed.peak_rss_mb)


def run_chain(repo, table, out, steps):
    """Add the table as an experiment in ``repo`` and run its chain and a prediction once."""
    _record(
        steps,
        "experiment",
        run_checked(
            [sys.executable, "-m", "tools.experiment", "--name", EXPERIMENT]
            + ["--data", str(table), "--target", TARGET],
            repo,
        ),
    )
    set_params(repo, {f"experiments.{EXPERIMENT}.train.epochs": EPOCHS})
    commands = stage_commands(repo, EXPERIMENT)
    for stage in CHAIN:
        _record(steps, stage, run_checked(commands[stage], repo))
    weights = f"models/{EXPERIMENT}/weights.json"
    predict = [sys.executable, "-m", "stages", "predict", "--weights", weights]
    _record(
        steps, "predict", run_checked(predict + ["--rows", str(table), "--out", str(out)], repo)
    )


def measure_reads(table, pairs, n_rows):
    """The CSV read alone, ours and pyarrow's, in alternating order: seconds, peak MB, ratios."""
    reads = {side: {"seconds": [], "peak_mb": []} for side in ("ours", "pyarrow")}
    for i in range(pairs):
        order = ("ours", "pyarrow") if i % 2 == 0 else ("pyarrow", "ours")
        for side in order:
            code = READ_OURS if side == "ours" else READ_PYARROW
            timed = run_checked([sys.executable, "-c", code, str(table)], REPO)
            seconds, rows, columns = timed.stdout.split()
            if (int(rows), int(columns)) != (n_rows, N_FEATURES + 1):
                raise RuntimeError(f"{side} read {rows} x {columns} from {table}")
            reads[side]["seconds"].append(float(seconds))
            reads[side]["peak_mb"].append(timed.peak_rss_mb)
    reads["ratios"] = [
        ours / theirs
        for ours, theirs in zip(reads["ours"]["seconds"], reads["pyarrow"]["seconds"], strict=True)
    ]
    return reads


def measure_tables(workdir, n_rows, repeats, copy_project, read_pairs=READ_PAIRS):
    """The whole part at ``n_rows``; ``copy_project(repo)`` fills an empty folder with a
    committed copy of the project (each repeat gets a fresh one, deleted after it).

    Returns the table's shape, the training params used, ``steps`` (``{step: {"seconds":
    [...], "peak_mb": [...]}}``), the test accuracies, ``reads`` and ``floor_mb``: this
    process's own peak, below which a child's peak cannot be told (Linux starts a child's
    peak at its parent's: it carries through fork and exec).
    """
    workdir = Path(workdir)
    table = workdir / f"table-{n_rows}.csv"
    file_bytes = write_table(table, n_rows)
    steps = {step: {"seconds": [], "peak_mb": []} for step in STEPS}
    accuracies = []
    for i in range(repeats):
        repo = workdir / f"tables-{i}"
        repo.mkdir()
        copy_project(repo)
        run_chain(repo, table, workdir / "predictions.csv", steps)
        train = get_param(repo, f"experiments.{EXPERIMENT}.train")
        accuracies.append(read_json(repo / "metrics" / f"{EXPERIMENT}.json")["test_accuracy"])
        shutil.rmtree(repo)
    return {
        "name": EXPERIMENT,
        "rows": n_rows,
        "features": N_FEATURES,
        "classes": len(CLASSES),
        "file_bytes": file_bytes,
        "epochs": train["epochs"],
        "batch_size": train["batch_size"],
        "steps": steps,
        "test_accuracy": accuracies,
        "reads": measure_reads(table, read_pairs, n_rows),
        "floor_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
