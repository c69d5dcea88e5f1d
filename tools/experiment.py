"""make experiment: add an experiment whose data is a table of your own (CSV or Parquet).

    make experiment NAME=<name> DATA=<file.csv|file.parquet> TARGET=<column> [TASK=...]
                    [DROP=<column>,<column>] [MISSING=error|drop_rows]

Checks the file first (one line per problem, nothing changed), copies it to data/tables/ and
puts it under DVC (`dvc add`), adds the experiment to params.yaml with a table's defaults,
names its file in dvc.yaml's `tables` and adds its charts and its model (`artifacts`, for the
registry), adds its gate rules to gate.yaml (the model must beat the naive baseline and stay
near scikit-learn's linear model), then prints the next commands.
"""

import argparse
import math
import re
import shutil
import subprocess
import sys
from copy import copy as shallow_copy
from pathlib import Path

from gate.project import KEY as GATE_PROJECT
from pipeline import user_table
from pipeline.errors import InputError
from pipeline.settings import MISSING
from pipeline.tasks import Task
from tools.project_files import REPO, round_trip_yaml

TABLES_DIR = "data/tables"
# A folder name, and a DVC artifact name (GTO: a letter or digit at each end).
NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?$")


# About this many optimizer steps in all, whatever the table's size, with Adam at 0.01 (a
# regression's target standardized), in batches of at least 64 rows: with 16, Adam's last steps
# stayed too noisy for a regression to reach linear regression's error. How close the defaults
# come to scikit-learn's linear models on each table of the zoo is measured in bench/zoo.md
# (make zoo), and nowhere else. A large table gets larger batches, so that an epoch stays at
# most TRAINING_STEPS steps.
TRAINING_STEPS = 1000
SMALL_BATCH, LARGE_BATCH = 64, 1024


def training_size(n_rows: int, test_size: float = 0.2) -> tuple[int, int]:
    """(batch_size, epochs) that make about TRAINING_STEPS steps on n_rows rows."""
    n_train = n_rows - math.ceil(test_size * n_rows)
    batch = SMALL_BATCH
    while batch < LARGE_BATCH and n_train / batch > TRAINING_STEPS:
        batch *= 2
    batch = min(batch, max(1, n_train))
    steps_per_epoch = math.ceil(n_train / batch)
    return batch, max(1, min(500, math.ceil(TRAINING_STEPS / steps_per_epoch)))


def experiment_params(
    task: Task,
    target: str,
    drop: tuple[str, ...] = (),
    missing: str = "error",
    n_rows: int = 1000,
) -> dict:
    """A table experiment's defaults: standardized features into a linear model (softmax for
    classes, a linear output for a regression, whose target is standardized too), trained by
    Adam for about TRAINING_STEPS."""
    classification = task == Task.CLASSIFICATION
    batch_size, epochs = training_size(n_rows)
    scaling = {} if classification else {"standardize_target": True}
    return {
        "task": task.value,
        "data": {"target": target, "drop_columns": list(drop), "missing": missing},
        "split": {"test_size": 0.2, "random_state": 42, "stratify": classification},
        "model": {
            "preprocessing": "standardize",
            "hidden_units": [],
            "hidden_activation": "relu",
            "output_activation": "softmax" if classification else "linear",
            **scaling,
        },
        "train": {
            "optimizer": "adam",
            "learning_rate": 0.01,
            "batch_size": batch_size,
            "epochs": epochs,
            "seed": 0,
        },
        "plot": {"grid_points": 100},
    }


# How far below scikit-learn's linear model (same split, standardized features) the gate lets
# a table's model be: a few test points on a small table, and a default to tune per table.
LINEAR_MARGIN = 0.05
NAIVE = {Task.CLASSIFICATION: "the most common class", Task.REGRESSION: "the train mean"}


def gate_rules(task: Task) -> dict:
    """The gate's rules for a new table experiment: the model must beat the naive baseline
    (always the most common class, or the train mean) and stay within LINEAR_MARGIN of the
    linear reference, with or without a base to compare with; against a base, a significant
    worsening fails."""
    if task == Task.CLASSIFICATION:
        return {
            "test_accuracy": {
                "better": "higher",
                "beats": "majority_accuracy",
                "within": {"logreg_accuracy": LINEAR_MARGIN},
                "significant_at": 0.05,
            },
            "test_balanced_accuracy": {"better": "higher", "beats": "majority_balanced_accuracy"},
        }
    return {
        "test_r2": {
            "better": "higher",
            "beats": "mean_r2",
            "within": {"linreg_r2": LINEAR_MARGIN},
        },
        "test_mse": {"better": "lower", "significant_at": 0.05},
    }


def charts(name: str, task: Task) -> list[dict]:
    """The experiment's charts for dvc.yaml's plots (as the notebook's experiments have)."""
    history, points = f"models/{name}/history.csv", f"metrics/{name}.points.csv"

    def curve(title, label, columns):
        return {
            title: {
                "template": "linear_points",
                "x": "epoch",
                "x_label": "epoch",
                "y_label": label,
                "y": {history: columns},
            }
        }

    if task == Task.CLASSIFICATION:
        return [
            curve(f"{name} loss", "loss", ["loss", "val_loss"]),
            curve(f"{name} accuracy", "accuracy", ["accuracy", "val_accuracy"]),
            {
                f"{name} confusion": {
                    "template": "confusion",
                    "x": "actual",
                    "x_label": "actual class",
                    "y_label": "predicted class",
                    "y": {points: "predicted"},
                }
            },
        ]
    return [
        # The target is standardized: the loss is the MSE in its variances (1: the train mean).
        curve(f"{name} loss (MSE)", "MSE / target variance", ["loss", "val_loss"]),
        {
            f"{name} predicted vs actual": {
                "template": "scatter",
                "x": "actual",
                "x_label": "actual",
                "y_label": "predicted",
                "y": {points: "predicted"},
            }
        },
    ]


def artifact(name: str, task: Task) -> dict:
    """The experiment's model in dvc.yaml's artifacts: its weights file (the registry's)."""
    return {
        "path": f"models/{name}/weights.json",
        "type": "model",
        "desc": f"{name}: a {task.value} model's weights (make promote, make serve)",
    }


def check(
    name: str,
    data: Path,
    target: str,
    task: str | None,
    params: dict,
    drop: tuple[str, ...] = (),
    missing: str = "error",
    gate: dict | None = None,
) -> tuple:
    """The problems with the request and the file, one line each, and the task chosen."""
    if not NAME.match(name):
        return [
            f"NAME: got {name!r}, expected letters, digits, _ and -, a letter or digit first "
            "and last (a folder and a model's name)"
        ], None
    if name in params.get("experiments", {}):
        return [f"NAME: an experiment {name!r} exists already in params.yaml"], None
    if name == GATE_PROJECT:
        return [f"NAME: {name!r} is gate.yaml's section of the project's layout"], None
    if name in (gate or {}):
        return [f"NAME: gate.yaml has rules for {name!r} already; remove them first"], None
    if task is not None and task not in tuple(Task):
        return [f"TASK: got {task!r}, expected one of {', '.join(Task)}"], None
    if missing not in MISSING:
        return [f"MISSING: got {missing!r}, expected one of {', '.join(MISSING)}"], None
    frame = user_table.read_user_file(data)
    if task:
        chosen, reason = Task(task), "as asked"
    elif target in [str(column) for column in frame.columns]:
        chosen, reason = user_table.guess_task(frame, target)
    else:  # no such column: table_problems names it (guess_task would raise KeyError)
        chosen, reason = Task.CLASSIFICATION, "no target column"
    problems = user_table.table_problems(
        frame, target=target, drop_columns=drop, missing=missing, task=chosen
    )
    lines = [f"{data}: {problem}" for problem in problems]
    if any("data.drop_columns" in line or "data.missing" in line for line in problems):
        # The params those lines name do not exist yet: say how to pass them here.
        lines.append(
            "make experiment takes DROP=<column>,<column> for data.drop_columns and "
            "MISSING=drop_rows for data.missing"
        )
    return lines, (chosen, reason, len(frame))


def append(mapping, key: str, value) -> None:
    """mapping[key] = value, as a new last entry of a round-trip mapping: the blank line or
    comment lines that followed the last entry (ruamel keeps them on it) follow the new one."""
    last = next(reversed(mapping), None)
    mapping[key] = value
    mapping.fa.set_block_style()  # an emptied mapping reads back as {}: write it as a block
    comment = mapping.ca.items.get(last, [None] * 4)[2]
    if comment is None:
        return
    line, newline, after = comment.value.partition("\n")
    if after:
        moved = shallow_copy(comment)
        moved.value = newline + after
        comment.value = line + newline
        mapping.ca.items[key] = [None, None, moved, None]


def add_experiment(
    name: str,
    data: Path,
    target: str,
    task: str | None,
    root: Path,
    drop: tuple[str, ...] = (),
    missing: str = "error",
) -> str:
    """Do it all in ``root``; returns what to print. Raises InputError before changing anything."""
    yaml = round_trip_yaml()
    params_path, dvc_yaml_path, gate_path = (
        root / "params.yaml",
        root / "dvc.yaml",
        root / "gate.yaml",
    )
    params, pipeline, gate = yaml.load(params_path), yaml.load(dvc_yaml_path), yaml.load(gate_path)
    problems, choice = check(name, data, target, task, params, drop, missing, gate)
    if problems:
        raise InputError("\n".join(problems))
    chosen, reason, n_rows = choice
    copy = Path(TABLES_DIR) / f"{name}{data.suffix.lower()}"
    (root / copy).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(data, root / copy)
    subprocess.run(["dvc", "add", "--quiet", str(copy)], cwd=root, check=True)
    params["experiments"][name] = experiment_params(chosen, target, drop, missing, n_rows)
    variables = next(entry for entry in pipeline["vars"] if "tables" in entry)
    append(variables["tables"], name, str(copy))
    pipeline["plots"].extend(charts(name, chosen))
    append(pipeline["artifacts"], name, artifact(name, chosen))
    append(gate, name, gate_rules(chosen))
    yaml.dump(params, params_path)
    yaml.dump(pipeline, dvc_yaml_path)
    yaml.dump(gate, gate_path)
    return (
        f"{name}: {chosen.value} ({reason}{override(chosen, reason)}); {copy} is tracked by DVC\n"
        f"gate.yaml: {name} must beat always predicting {NAIVE[chosen]} "
        f"and stay within {LINEAR_MARGIN} of scikit-learn's linear model\n"
        f"next: dvc repro   (then: git add params.yaml dvc.yaml gate.yaml {copy}.dvc "
        f"{TABLES_DIR}/.gitignore dvc.lock metrics plots && git commit)"
    )


def override(chosen: Task, reason: str) -> str:
    """How to ask for the other task, when it was guessed."""
    if reason == "as asked":
        return ""
    other = Task.REGRESSION if chosen == Task.CLASSIFICATION else Task.CLASSIFICATION
    return f"; TASK={other.value} for a {other.value}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--task", default=None)
    parser.add_argument("--drop", default="", help="columns to leave out, comma-separated")
    parser.add_argument("--missing", default="error", help="error | drop_rows")
    args = parser.parse_args()
    drop = tuple(column.strip() for column in args.drop.split(",") if column.strip())
    try:
        print(
            add_experiment(
                args.name,
                Path(args.data),
                args.target,
                args.task or None,
                REPO,
                drop,
                args.missing or "error",
            )
        )
    except InputError as error:
        for line in str(error).split("\n"):
            print(f"error: {line}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
