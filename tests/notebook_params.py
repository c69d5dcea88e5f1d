"""The tests' own params: the notebook's three experiments, independent of params.yaml.

params.yaml, dvc.yaml, gate.yaml, metrics/, plots/ and dvc.lock are the user's: the README's
loop changes them (`dvc exp apply` + commit, a new experiment). Unit tests therefore work on
these values, and check the committed files only for what holds in any valid state. End-to-end
tests give their copies these experiments (``use_experiments``), so they set what they assert.
"""

import copy
import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

# The notebook's values, as the project first committed them in params.yaml.
NOTEBOOK_EXPERIMENTS: dict[str, dict[str, Any]] = {
    "blobs4": {
        "task": "classification",
        "data": {
            "n_samples": 4000,
            "n_features": 2,
            "centers": 4,
            "cluster_std": 2.0,
            "random_state": 101,
        },
        "split": {"test_size": 0.2, "random_state": 42},
        "model": {"hidden_units": [], "hidden_activation": "relu", "output_activation": "softmax"},
        "train": {
            "optimizer": "sgd",
            "learning_rate": 0.01,
            "batch_size": 4,
            "epochs": 10,
            "seed": 0,
        },
        "plot": {"grid_min": -20, "grid_max": 20, "grid_points": 100},
    },
    "blobs2": {
        "task": "classification",
        "data": {
            "n_samples": 4000,
            "n_features": 2,
            "centers": 2,
            "cluster_std": 2.5,
            "random_state": 101,
        },
        "split": {"test_size": 0.2, "random_state": 42},
        "model": {"hidden_units": [], "hidden_activation": "relu", "output_activation": "softmax"},
        "train": {
            "optimizer": "sgd",
            "learning_rate": 0.01,
            "batch_size": 128,
            "epochs": 100,
            "seed": 0,
        },
        "plot": {"grid_min": -20, "grid_max": 20, "grid_points": 100},
    },
    "regression": {
        "task": "regression",
        "data": {"n_samples": 1000, "x_min": -20, "x_max": 20, "noise_std": 0.1, "random_state": 0},
        "split": {"test_size": 0.2, "random_state": 42},
        "model": {"hidden_units": [], "hidden_activation": "relu", "output_activation": "sigmoid"},
        "train": {
            "optimizer": "sgd",
            "learning_rate": 0.01,
            "batch_size": 128,
            "epochs": 100,
            "seed": 0,
        },
        "plot": {"grid_min": -20, "grid_max": 20, "grid_points": 400},
    },
}
NOTEBOOK_NAMES = tuple(NOTEBOOK_EXPERIMENTS)


def notebook_params(names=NOTEBOOK_NAMES) -> dict[str, Any]:
    """A fresh, editable params mapping (as read from params.yaml) with these experiments."""
    return {"experiments": {name: copy.deepcopy(NOTEBOOK_EXPERIMENTS[name]) for name in names}}


def params_text(params: dict[str, Any]) -> str:
    """``params`` as the YAML text of a params.yaml."""
    out = io.StringIO()
    YAML().dump(params, out)  # keys in order, as a user writes them
    return out.getvalue()


def write_params(path: Path, params: dict[str, Any]) -> Path:
    path.write_text(params_text(params))
    return path


def use_experiments(repo: Path, names=NOTEBOOK_NAMES) -> None:
    """Give a copy of the project exactly these notebook experiments and their charts.

    params.yaml's experiments become the notebook's (its comments outside them stay), and
    dvc.yaml's vars, charts and stages of any other experiment are dropped, so that what a user
    changed or added in the committed files does not reach an end-to-end test.
    """
    from bench.workspace import drop_from_pipeline

    yaml = YAML()  # round trip: comments and layout stay
    yaml.indent(mapping=2, sequence=4, offset=2)
    path = repo / "params.yaml"
    params = yaml.load(path.read_text())
    others = [name for name in params["experiments"] if name not in names]
    params["experiments"] = notebook_params(names)["experiments"]
    with path.open("w") as out:
        yaml.dump(params, out)

    drop_from_pipeline(repo, others)


# The gate's rules for the notebook's experiments, as the project first committed gate.yaml.
NOTEBOOK_GATE = """\
project:
  experiments_param: experiments
  metrics_file: metrics/{experiment}.json
  points:
    suffix: .points.csv
    metrics:
      test_accuracy: correct
      test_loss: loss
      test_mse: squared_error
    actual: actual
    predicted: predicted
    paired_when:
      params: [data, split]
      columns: [x, actual]
  curves:
    file: history.csv
    x: epoch

blobs4:
  test_accuracy:
    better: higher
    max_drop: 0.005              # four test points
    significant_at: 0.05
    min: 0.92                    # the notebook's 0.9225, rounded down
  test_loss:
    better: lower
    max_rise: 0.005
    significant_at: 0.05
    max: 0.1815
blobs2:
  test_accuracy:
    better: higher
    min: 0.99
  test_loss:
    better: lower
    max_rise_pct: 10
    significant_at: 0.05
regression:
  test_mse:
    better: lower
    max_rise_pct: 5
    significant_at: 0.05
    max: 0.0125
"""
