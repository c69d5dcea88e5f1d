"""The project's working tree as the benchmark and the tests use it: a copy of the tracked
files in a new git repo, its params changed, the commands DVC would run, the pipeline's env.

It lives in bench/ (run by `make bench` and `make zoo`) so that the benchmark imports nothing of
the test suite; the tests import it from here, as they import the tools they test.
"""

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pipeline.files import read_yaml
from tools.project_files import REPO, round_trip_yaml

VENV_BIN = Path(sys.executable).parent


def pipeline_env() -> dict[str, str]:
    """The environment `make` gives the pipeline: the venv first on PATH, TensorFlow quiet."""
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}")
    env.update(TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0", DVC_NO_ANALYTICS="1")
    return env


def without_kernel_caps(env: dict[str, str]) -> dict[str, str]:
    """``env`` without any CPU-kernel cap (pipeline.cpu) this process chose for its own CPU,
    so that a stage started with it chooses them for the CPU it runs on."""
    from pipeline.cpu import kernel_caps

    for name in kernel_caps("x86_64", {"avx2", "fma"}):  # every cap a stage may set
        env.pop(name, None)
    return env


def git(repo: str | Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env=pipeline_env(), check=True, capture_output=True)


def copy_tracked_files(target: Path, untracked: bool = False) -> None:
    """Copy the files git tracks (as they are in the working tree), and with ``untracked`` the
    new files git does not ignore, into a new git repo. Symlinks (a clone's .venv) stay out."""
    others = ["--others", "--exclude-standard"] if untracked else []
    names = subprocess.run(
        ["git", "ls-files", "-z", "--cached", *others],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    for name in filter(None, names):
        source = REPO / name
        if source.is_file() and not source.is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git(target, "init", "-q", "-b", "main")
    git(target, "config", "user.email", "bench@example.invalid")
    git(target, "config", "user.name", "bench")
    commit_all(target, "copy of the project")


def commit_all(repo: str | Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message, "--allow-empty")


def get_param(repo: str | Path, dotted: str) -> Any:
    """A value of params.yaml by its dotted key, e.g. ``experiments.blobs4.train.epochs``."""
    value = read_yaml(Path(repo) / "params.yaml")
    for key in dotted.split("."):
        value = value[key]
    return value


def _edit_params(repo: str | Path, change: Callable[[Any], Any], name: str = "params.yaml") -> Any:
    """Load params.yaml (or ``name``) round trip (comments and layout stay), ``change`` it,
    write it back."""
    path = Path(repo) / name
    yaml = round_trip_yaml()
    params = yaml.load(path.read_text())
    result = change(params)
    with path.open("w") as out:
        yaml.dump(params, out)
    return result


def set_params(repo: str | Path, changes: dict[str, Any], new_keys: bool = False) -> None:
    """Change params.yaml in place, e.g. ``{"experiments.blobs4.train.epochs": 11}``.

    A key params.yaml does not have is an error, unless ``new_keys`` (to test a typo).
    """

    def change(params):
        for dotted, value in changes.items():
            *parents, last = dotted.split(".")
            section = params
            for key in parents:
                section = section[key]
            if last not in section and not new_keys:
                raise KeyError(f"params.yaml has no {dotted}")
            section[last] = value

    _edit_params(repo, change)


def _table_outs(pipeline: dict) -> list[str]:
    """The files of tables that a stage of dvc.yaml writes: the example stage's, one per item
    of its foreach (dataset -> file)."""
    return [
        str(path)
        for stage in pipeline["stages"].values()
        if isinstance(stage.get("foreach"), dict)
        for path in stage["foreach"].values()
    ]


def keep_experiments(repo: str | Path, names: Iterable[str]) -> list[str]:
    """Drop every experiment but ``names`` from params.yaml, and from dvc.yaml their data
    stages' vars, their charts and a stage only they read (the example table); returns the
    names dropped."""

    def change(params):
        dropped = [name for name in params["experiments"] if name not in set(names)]
        for name in dropped:
            del params["experiments"][name]
        return dropped

    dropped = _edit_params(repo, change)
    drop_from_pipeline(repo, dropped)
    return dropped


def drop_from_pipeline(repo: str | Path, dropped: Iterable[str]) -> None:
    """Remove experiments from dvc.yaml (their names in the vars, their charts, their models
    under artifacts, and a stage that writes a table only they read: the example stage) and
    their rules from gate.yaml."""
    dropped = set(dropped)

    def change_pipeline(pipeline):
        tables = {}
        for entry in pipeline.get("vars", []):
            for name in [n for n in entry.get("synthetic") or [] if n in dropped]:
                entry["synthetic"].remove(name)
            for name in [n for n in entry.get("tables") or {} if n in dropped]:
                del entry["tables"][name]
            tables.update(entry.get("tables") or {})
        unread = {*_table_outs(pipeline)} - {*tables.values()}
        for stage_name, stage in list(pipeline["stages"].items()):
            foreach = stage.get("foreach")
            if isinstance(foreach, dict):  # the example stage: dataset -> the table it writes
                for key in [key for key, path in foreach.items() if path in unread]:
                    del foreach[key]
                if not foreach:
                    del pipeline["stages"][stage_name]
        for index in reversed(range(len(pipeline["plots"]))):
            if next(iter(pipeline["plots"][index])).split(" ")[0] in dropped:
                del pipeline["plots"][index]
        for name in [n for n in pipeline.get("artifacts") or {} if n in dropped]:
            del pipeline["artifacts"][name]

    _edit_params(repo, change_pipeline, "dvc.yaml")

    def change_rules(rules):
        for name in [n for n in rules or {} if n in dropped]:
            del rules[name]

    if (Path(repo) / "gate.yaml").exists():
        _edit_params(repo, change_rules, "gate.yaml")


def stage_commands(repo: str | Path, experiment: str) -> dict[str, list[str]]:
    """Each stage's command for one experiment, as DVC resolves dvc.yaml (its vars, foreach
    keys and items): {"validate": [...], "generate": [...], ...}."""
    from dvc.repo import Repo

    commands = {}
    with Repo(str(repo)) as dvc_repo:
        for stage in dvc_repo.index.stages:
            if not getattr(stage, "cmd", None):
                continue  # a file `dvc add` tracks (a table of one's own): no command, no name
            base, _, key = stage.name.partition("@")
            if key in ("", experiment):
                commands[base] = shlex.split(stage.cmd)
    return commands


def ran_stages(output: str) -> list[str]:
    """The stages a `dvc repro` / `dvc exp run` output says it ran."""
    return sorted(
        line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage '")
    )
