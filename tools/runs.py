"""`make runs`: every run's changed params and its metrics, in a table that fits the terminal.

`dvc exp show` prints every param, metric and dep hash under its full name
(`metrics/blobs4.json:test_accuracy`, `experiments.blobs4.train.learning_rate`): at 120
columns every cell is cut to `…`. This reads the same data (`dvc exp show --json`) and keeps
the params whose values differ between the runs and every metric, each named by its experiment
and its own key (`blobs4 learning_rate`, `blobs4 test_accuracy`); a table wider than the
terminal continues below, the run names repeated, as pandas wraps a wide frame.

    python -m tools.runs [--width 120]
"""

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import PurePosixPath

import pandas as pd

from tools.failures import error_line

PARAMS_ROOT = "experiments"  # params.yaml's section that holds one entry per experiment


def flatten(tree: dict, prefix: tuple = ()) -> dict[tuple, object]:
    """Nested mappings as {(key, key, ...): leaf}."""
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(flatten(value, (*prefix, key)))
        else:
            flat[(*prefix, key)] = value
    return flat


def run_values(data: dict) -> dict[tuple, object]:
    """A run's params and metrics as {(experiment, key...): value}, ("metrics", experiment, key)
    for each metric file's value and ("params", experiment, section, key) for each param."""
    values = {}
    for path, content in (data.get("metrics") or {}).items():
        for key, value in flatten(content.get("data") or {}).items():
            values[("metrics", PurePosixPath(path).stem, *key)] = value
    for content in (data.get("params") or {}).values():
        params = (content.get("data") or {}).get(PARAMS_ROOT, {})
        for key, value in flatten(params).items():
            values[("params", *key)] = value
    return values


class ShowError(Exception):
    """`dvc exp show` failed, with DVC's line saying why."""


def exp_show() -> list[dict]:
    """`dvc exp show --json`: the workspace, each commit and the experiments on it."""
    shown = subprocess.run(["dvc", "exp", "show", "--json"], capture_output=True, text=True)
    if shown.returncode:
        raise ShowError(f"dvc exp show failed: {error_line(shown.stderr)}")
    return json.loads(shown.stdout)


def run_name(entry: dict) -> str:
    """A run's name: DVC's (an experiment's, a branch's), ``workspace``, or a short hash."""
    rev = entry["rev"]
    return entry.get("name") or (rev[:7] if len(rev) == 40 else rev)


def runs(shown: list[dict]) -> dict[str, dict[tuple, object]]:
    """{run name: its values} for the workspace, each commit and each experiment on it, from
    `dvc exp show --json`; failed or queued runs without data are left out."""
    found = {}
    for commit in shown:
        if commit.get("data"):
            found[run_name(commit)] = run_values(commit["data"])
        for experiment in commit.get("experiments") or []:
            rev = experiment["revs"][0]
            if rev.get("data") and not rev.get("error"):
                found[run_name(rev)] = run_values(rev["data"])
    return found


def label(key: tuple, keys: list[tuple]) -> str:
    """``blobs4 learning_rate``: the experiment and the shortest ending of the key that no
    other key of the same kind (param or metric) shares."""
    kind, experiment, *rest = key
    for n in range(1, len(rest) + 1):
        ending = rest[-n:]
        if sum(1 for k in keys if k[:2] == (kind, experiment) and k[-n:] == tuple(ending)) == 1:
            return f"{experiment} {'.'.join(map(str, ending))}"
    return f"{experiment} {'.'.join(map(str, rest))}"


def values_frame(found: dict[str, dict[tuple, object]]) -> tuple[list, pd.DataFrame, set]:
    """The runs' values as a frame (a row per run, a column per key, keys in first-seen order),
    its keys, and the keys whose values are not the same in every run."""
    keys = list(dict.fromkeys(key for values in found.values() for key in values))
    frame = pd.DataFrame(
        [[values.get(key) for key in keys] for values in found.values()],
        index=list(found),
        columns=range(len(keys)),
    )
    changed = {
        keys[column]
        for column in frame.columns
        if frame[column].astype(str).nunique(dropna=False) > 1
    }
    return keys, frame, changed


def runs_table(found: dict[str, dict[tuple, object]], every_metric: bool = False) -> pd.DataFrame:
    """One row per run: the params that differ between runs, then the metrics that do (every
    metric if ``every_metric``, or if none differs)."""
    keys, frame, changed = values_frame(found)
    params = [key for key in keys if key[0] == "params" and key in changed]
    metrics = [key for key in keys if key[0] == "metrics"]
    shown = [
        *params,
        *(metrics if every_metric else [k for k in metrics if k in changed] or metrics),
    ]
    table = frame[[keys.index(key) for key in shown]]
    table.columns = [label(key, shown) for key in shown]
    return table


def render(table: pd.DataFrame, width: int) -> str:
    """The table as text no wider than ``width``, numbers to four significant digits."""
    if table.empty:
        return "no runs with params or metrics yet: run `make repro`"
    return table.to_string(line_width=width, float_format=lambda value: f"{value:.4g}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=shutil.get_terminal_size().columns)
    parser.add_argument("--all", action="store_true", help="every metric, not only changed ones")
    args = parser.parse_args(argv)
    try:
        shown = exp_show()
    except ShowError as error:
        print(f"runs: {error}", file=sys.stderr)
        return 1
    print(render(runs_table(runs(shown), args.all), args.width))
    return 0


if __name__ == "__main__":
    sys.exit(main())
