"""The zoo: public tables that ship inside installed packages, each run as a user would run
their own (``make zoo``, or ``python -m bench.zoo [--tables iris,randhie]``).

In one temporary copy of the project, each table is written as a CSV and added with
``python -m tools.experiment`` (what ``make experiment`` runs) with its TARGET, TASK, DROP and
MISSING; ``dvc repro validate`` then checks all of them once, and ``dvc repro plot@<name>``
runs each table's chain, timed. Its metrics/<name>.json holds the model's test scores beside
scikit-learn's linear model and the naive baseline on the same split. Writes bench/zoo.md and
exits 1 naming each table that misses its target.
"""

import argparse
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from bench.repo import run_checked, run_timed
from bench.run import describe_machine, log
from bench.stats import markdown_table
from bench.workspace import REPO, copy_tracked_files, get_param, set_params
from pipeline import datasets
from pipeline.files import read_json, write_text

ACCURACY_MARGIN = 0.02  # a classifier's test accuracy may be this far below logistic regression's
MSE_RATIO = 1.05  # a regression's test MSE may be this many times linear regression's
SAMPLE_SEED = 0  # which rows a shrunk table keeps (``rows=`` below; the tests use it)
PREFIX = "zoo_"  # of each table's experiment name, apart from the project's own (its diabetes)


def scikit_learn(name: str) -> pd.DataFrame:
    """One of scikit-learn's bundled tables, as stages/example.py writes it (text classes)."""
    from stages.example import example_table

    return example_table(name)


def digits() -> pd.DataFrame:
    """scikit-learn's 8x8 handwritten digits: 64 pixel columns, then ``digit`` (0-9)."""
    from sklearn.datasets import load_digits

    return load_digits(as_frame=True).frame.rename(columns={"target": "digit"})


def statsmodels(name: str) -> pd.DataFrame:
    """A table of statsmodels.datasets (a CSV inside the package), all its columns."""
    import importlib

    return importlib.import_module(f"statsmodels.datasets.{name}").load_pandas().data


def penguins() -> pd.DataFrame:
    """palmerpenguins' table: 344 penguins, text columns and missing values as shipped."""
    import palmerpenguins

    return palmerpenguins.load_penguins()


@dataclass(frozen=True)
class ZooTable:
    """A table of the zoo and what a user would type for it: make experiment's arguments."""

    name: str  # NAME=, the experiment's name
    source: str  # the package it ships in
    load: Callable[[], pd.DataFrame]
    target: str  # TARGET=
    task: str  # TASK=: classification | regression
    drop: tuple[str, ...] = ()  # DROP=
    missing: str = "error"  # MISSING=


C, R = "classification", "regression"
TABLES = (
    ZooTable("iris", "scikit-learn", partial(scikit_learn, "iris"), "species", C),
    ZooTable("wine", "scikit-learn", partial(scikit_learn, "wine"), "cultivar", C),
    ZooTable(
        "breast_cancer", "scikit-learn", partial(scikit_learn, "breast_cancer"), "diagnosis", C
    ),
    ZooTable("digits", "scikit-learn", digits, "digit", C),
    ZooTable("penguins", "palmerpenguins", penguins, "species", C, ("island", "sex"), "drop_rows"),
    ZooTable("anes96", "statsmodels", partial(statsmodels, "anes96"), "vote", C),
    ZooTable("diabetes", "scikit-learn", partial(scikit_learn, "diabetes"), "progression", R),
    ZooTable("engel", "statsmodels", partial(statsmodels, "engel"), "foodexp", R),
    ZooTable("grunfeld", "statsmodels", partial(statsmodels, "grunfeld"), "invest", R, ("firm",)),
    ZooTable(
        "penguins_mass",
        "palmerpenguins",
        penguins,
        "body_mass_g",
        R,
        ("species", "island", "sex"),
        "drop_rows",
    ),
    ZooTable("star98", "statsmodels", partial(statsmodels, "star98"), "NABOVE", R, ("NBELOW",)),
    ZooTable("fair", "statsmodels", partial(statsmodels, "fair"), "affairs", R),
    ZooTable("randhie", "statsmodels", partial(statsmodels, "randhie"), "mdvis", R),
)


def experiment(table: "ZooTable") -> str:
    """The table's experiment name in the copy: NAME=."""
    return PREFIX + table.name


def write_csv(table: ZooTable, path: Path, rows: int | None = None) -> pd.DataFrame:
    """The table as a person's CSV (header, no index); ``rows``: a seeded sample of that many."""
    frame = table.load()
    if rows is not None and rows < len(frame):
        frame = frame.sample(n=rows, random_state=SAMPLE_SEED).sort_index()
    frame.to_csv(path, index=False)
    return frame


def add_table(repo: Path, table: ZooTable, csv: Path) -> None:
    """``make experiment NAME= DATA= TARGET= TASK= DROP= MISSING=`` in ``repo``."""
    run_checked(
        [sys.executable, "-m", "tools.experiment", "--name", experiment(table), "--data", str(csv)]
        + ["--target", table.target, "--task", table.task, "--drop", ",".join(table.drop)]
        + ["--missing", table.missing],
        repo,
    )


def target_misses(task: str, metrics: dict) -> list[str]:
    """Why a table misses its target, one line each (none: within it): accuracy more than
    ACCURACY_MARGIN below logistic regression's, or a test MSE more than MSE_RATIO times linear
    regression's, on the same split; or no better than the naive baseline (the most common
    class, the train mean), which a poor linear reference alone would not catch."""
    if task == C:
        accuracy, logreg = metrics["test_accuracy"], metrics["logreg_accuracy"]
        majority = metrics["majority_accuracy"]
        return [
            *(
                [f"test_accuracy {accuracy:.4f} < logreg_accuracy {logreg:.4f} - {ACCURACY_MARGIN}"]
                if accuracy < logreg - ACCURACY_MARGIN
                else []
            ),
            *(
                [f"test_accuracy {accuracy:.4f} <= majority_accuracy {majority:.4f}"]
                if accuracy <= majority
                else []
            ),
        ]
    mse, linreg, mean = metrics["test_mse"], metrics["linreg_mse"], metrics["mean_mse"]
    return [
        *(
            [f"test_mse {number(mse)} > {MSE_RATIO} x linreg_mse {number(linreg)}"]
            if mse > MSE_RATIO * linreg
            else []
        ),
        *([f"test_mse {number(mse)} >= mean_mse {number(mean)}"] if mse >= mean else []),
    ]


def failure_line(output: str) -> str:
    """What a failed `dvc repro` says went wrong: the stage's own line (its one-line
    ``error:``, or a traceback's last line) rather than DVC's "failed to reproduce"."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    own = [line for line in lines if not line.startswith("ERROR:")]
    errors = [line for line in own if line.startswith("error:")]
    return (errors or own or lines or ["no output"])[-1]


def run_table(repo: Path, table: ZooTable, frame: pd.DataFrame) -> dict:
    """Reproduce one added table's chain (``dvc repro plot@<name>``), timed; its result."""
    timed = run_timed(["dvc", "repro", f"plot@{experiment(table)}"], repo)
    target = frame[table.target]
    result = {
        "table": table,
        "file_rows": len(frame),
        "target_range": (target.min(), target.max()) if table.task == R else None,
        "seconds": timed.seconds,
        "train": get_param(repo, f"experiments.{experiment(table)}.train"),
    }
    if timed.returncode != 0:
        return {**result, "error": failure_line(timed.stdout + timed.stderr)}
    raw_path = repo / "data" / experiment(table) / "raw.parquet"
    raw = pd.read_parquet(raw_path)
    metrics = read_json(repo / "metrics" / f"{experiment(table)}.json")
    return {
        **result,
        "rows": len(raw),
        "features": datasets.features(raw).shape[1],
        "classes": len(datasets.read_schema(raw_path, raw).classes) if table.task == C else None,
        "metrics": metrics,
        "within": not target_misses(table.task, metrics),
        # train's one line when the loss was still falling (stages/train.py's not_converged)
        "converged": "not converged" not in timed.stdout + timed.stderr,
    }


def run_zoo(repo: Path, zoo, workdir: Path, rows=None, params=None) -> dict:
    """Add every table of ``zoo`` to ``repo`` (a committed copy of the project), then check
    them all (``dvc repro validate``) and run each. ``rows``: shrink each table to that many;
    ``params``: {dotted key under experiments.<name>.: value} set for each (e.g. epochs)."""
    frames = {}
    for table in zoo:
        log(f"zoo: make experiment NAME={experiment(table)}")
        frames[table.name] = write_csv(table, workdir / f"{table.name}.csv", rows)
        add_table(repo, table, workdir / f"{table.name}.csv")
    if params:
        set_params(
            repo,
            {
                f"experiments.{experiment(t)}.{key}": value
                for t in zoo
                for key, value in params.items()
            },
        )
    log("zoo: dvc repro validate (the code fingerprints and every table's params, once)")
    validate = run_checked(["dvc", "repro", "validate"], repo)
    results = []
    for table in zoo:
        log(f"zoo: dvc repro plot@{experiment(table)}")
        results.append(run_table(repo, table, frames[table.name]))
    return {"validate_seconds": validate.seconds, "results": results}


def number(value) -> str:
    """Four significant digits, never in exponent notation (an MSE may be 100,000)."""
    return np.format_float_positional(
        float(value), precision=4, unique=False, fractional=False, trim="-"
    )


def verdict(result: dict) -> str:
    """The 'within target' cell: yes, a bold no, or why the chain failed."""
    if "error" in result:
        return f"**failed**: {result['error']}"
    return "yes" if result["within"] else "**no**"


def _common(result: dict) -> list[str]:
    table = result["table"]
    rows = result.get("rows")
    shown = "-" if rows is None else f"{rows:,}"
    if rows is not None and rows != result["file_rows"]:
        shown += f" of {result['file_rows']:,}"
    options = [f"DROP={','.join(table.drop)}"] if table.drop else []
    options += [f"MISSING={table.missing}"] if table.missing != "error" else []
    return [
        f"`{table.name}`",
        table.source,
        shown,
        str(result.get("features", "-")),
        " ".join(options) or "-",
    ]


def _converged(result: dict) -> str:
    """Whether train ended without saying its loss was still falling ("-" for a failed chain)."""
    if "converged" not in result:
        return "-"
    return "yes" if result["converged"] else "**no**"


def _training(result: dict) -> str:
    train = result["train"]
    return f"{train['epochs']} x {train['batch_size']}"


# The metrics shown, per task: the model's, scikit-learn's linear model's, the naive baseline's.
METRICS = {
    C: (
        "test_accuracy",
        "test_balanced_accuracy",
        "logreg_accuracy",
        "logreg_balanced_accuracy",
        "majority_accuracy",
    ),
    R: ("test_mse", "test_r2", "linreg_mse", "linreg_r2", "mean_mse", "mean_r2"),
}


def _metric(key: str, value) -> str:
    """An MSE to four significant digits, an accuracy or R² to four decimals; - if absent."""
    if value is None:
        return "-"
    return number(value) if key.endswith("_mse") else f"{value:.4f}"


def _target(result: dict) -> str:
    """The target's name, and its classes' count or its range."""
    name = f"`{result['table'].target}`"
    if result["table"].task == C:
        return f"{name}, {result.get('classes', '?')} classes"
    low, high = result["target_range"]
    return f"{name}, {number(low)} to {number(high)}"


def table_rows(results: list[dict], task: str) -> list[list[str]]:
    """The Markdown table's rows for one task's results."""
    return [
        _common(result)
        + [_target(result)]
        + [_metric(key, result.get("metrics", {}).get(key)) for key in METRICS[task]]
        + [verdict(result), _converged(result), _training(result), f"{result['seconds']:.1f}"]
        for result in results
    ]


COMMON = ["table", "source", "rows", "features", "options", "target"]
AFTER = ["within target", "converged", "epochs x batch", "seconds"]


def misses(results: list[dict]) -> list[str]:
    """One line per table that failed, and per target a table missed."""
    lines = []
    for result in results:
        name = result["table"].name
        if "error" in result:
            lines.append(f"{name}: its chain failed: {result['error']}")
        else:
            missed = target_misses(result["table"].task, result["metrics"])
            lines += [f"{name}: {line}" for line in missed]
    return lines


def report(zoo_run: dict, machine: dict) -> str:
    """The Markdown report: the machine, a table per task, and the misses."""
    results = zoo_run["results"]
    by_task = {task: [r for r in results if r["table"].task == task] for task in (C, R)}
    text = [
        "# The zoo: public tables through make experiment and dvc repro\n",
        f"{machine['date']}, {machine['cpu']}, {machine['cores']} cores, load "
        f"{machine['load']:.2f} at the start, commit {machine['commit']}. Each table's seconds "
        f"are its `dvc repro plot@<name>` (ingest, split, train, evaluate, plot and DVC's own "
        f"work); `dvc repro validate` for all of them took {zoo_run['validate_seconds']:.1f} s "
        f"before. Within target: test accuracy >= `logreg_accuracy` - {ACCURACY_MARGIN} and "
        f"above `majority_accuracy`, or `test_mse` <= {MSE_RATIO} x `linreg_mse` and below "
        f"`mean_mse`. `python -m bench.zoo` (`make zoo`) writes "
        "this file; docs/zoo.md says what each column means.\n",
    ]
    for task, title in ((C, "Classification"), (R, "Regression")):
        if by_task[task]:
            headers = [*COMMON, *METRICS[task], *AFTER]
            text += [f"## {title}\n", markdown_table(headers, table_rows(by_task[task], task))]
    missed = misses(results)
    text.append(
        "## Misses\n\n" + "".join(f"- {line}\n" for line in missed)
        if missed
        else "Every table is within its target.\n"
    )
    return "\n".join(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [table.name for table in TABLES]
    parser.add_argument("--tables", default=",".join(names), help="a comma-separated subset")
    parser.add_argument(
        "--out", help="where the report goes (default bench/zoo.md; none for a subset)"
    )
    args = parser.parse_args()
    chosen = args.tables.split(",")
    if not set(chosen) <= set(names):
        parser.error(f"--tables: unknown {', '.join(sorted(set(chosen) - set(names)))}")
    # A subset's report does not replace the committed one of every table.
    out = args.out or (str(REPO / "bench" / "zoo.md") if set(chosen) == set(names) else None)
    machine = describe_machine()
    with tempfile.TemporaryDirectory(prefix="zoo-") as workdir:
        repo = Path(workdir) / "repo"
        repo.mkdir()
        copy_tracked_files(repo, untracked=True)
        zoo_run = run_zoo(repo, [t for t in TABLES if t.name in chosen], Path(workdir))
    text = report(zoo_run, machine)
    print(text)
    if out:
        write_text(out, text)
    missed = misses(zoo_run["results"])
    for line in missed:
        print(f"zoo: {line}", file=sys.stderr)
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
