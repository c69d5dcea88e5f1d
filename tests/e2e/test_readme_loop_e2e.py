"""End to end: the unit tests still pass after a user follows the README's own steps.

The README's experiment loop (`dvc exp run -S ...`, `dvc exp apply`, `git commit -am`) and its
"add an experiment" row (an entry under `experiments:` in params.yaml, its charts under
`plots:` and its model under `artifacts:` in dvc.yaml) change the committed params.yaml,
dvc.yaml, dvc.lock, metrics/ and plots/. No unit test may depend on what those files hold
today: here they change, and the unit suite runs again in the changed copy.
"""

import copy
import re
import subprocess
import sys

import pytest
from ruamel.yaml import YAML

from bench.workspace import REPO, get_param, ran_stages
from pipeline.files import read_yaml
from tests.conftest import dvc_env, run

pytestmark = pytest.mark.e2e

NEW = "blobs2_copy"  # the added experiment: blobs2 under another name


def round_trip_yaml():
    """A YAML editor that keeps the project's comments and layout, as a user's editor does."""
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def add_experiment(repo, source, name):
    """What the README's "add a synthetic experiment" row says: an entry under `experiments:`
    in params.yaml, its name in dvc.yaml's `synthetic`, its charts under `plots:` and its model
    under `artifacts:` (copies of ``source``'s)."""
    yaml = round_trip_yaml()
    path = repo / "params.yaml"
    params = yaml.load(path.read_text())
    params["experiments"][name] = copy.deepcopy(params["experiments"][source])
    with path.open("w") as out:
        yaml.dump(params, out)

    path = repo / "dvc.yaml"
    pipeline = yaml.load(path.read_text())
    [synthetic] = [entry["synthetic"] for entry in pipeline["vars"] if "synthetic" in entry]
    synthetic.append(name)  # its data stage: generate, like its source's
    for entry in list(pipeline["plots"]):
        [(title, chart)] = entry.items()
        if title.startswith(f"{source} "):
            chart = copy.deepcopy(chart)
            chart["y"] = {
                data.replace(f"models/{source}/", f"models/{name}/").replace(
                    f"metrics/{source}.", f"metrics/{name}."
                ): columns
                for data, columns in chart["y"].items()
            }
            pipeline["plots"].append({title.replace(source, name, 1): chart})
    artifact = copy.deepcopy(pipeline["artifacts"][source])
    artifact["path"] = artifact["path"].replace(f"models/{source}/", f"models/{name}/")
    pipeline["artifacts"][name] = artifact
    with path.open("w") as out:
        yaml.dump(pipeline, out)


def in_copy(repo, *args):
    """``python *args`` run in ``repo``, as from a shell there (not this pytest's settings:
    PYTEST_ADDOPTS, its xdist worker's variables)."""
    env = {k: v for k, v in dvc_env().items() if not k.startswith("PYTEST_")}
    return subprocess.run(
        [sys.executable, *args], cwd=repo, env=env, capture_output=True, text=True
    )


def test_the_unit_tests_pass_after_the_readmes_experiment_loop(small_pipeline):
    repo = small_pipeline
    # (a) The experiment loop: run, keep the run, commit it.
    output = run(
        ["dvc", "exp", "run", "-n", "faster", "-S", "experiments.blobs4.train.learning_rate=0.03"],
        repo,
    ).stdout
    assert "train@blobs4" in ran_stages(output)
    # Its first look at the runs (`make runs`) is readable at 120 columns.
    shown = in_copy(repo, "-m", "tools.runs", "--width", "120")
    assert shown.returncode == 0, shown.stderr
    assert max(len(line) for line in shown.stdout.splitlines()) <= 120
    assert "…" not in shown.stdout and "blobs4 learning_rate" in shown.stdout
    assert re.search(r"^faster +0\.03 ", shown.stdout, re.M), shown.stdout
    run(["dvc", "exp", "apply", "faster"], repo)
    run(["git", "commit", "-am", "faster learning"], repo)
    assert get_param(repo, "experiments.blobs4.train.learning_rate") == 0.03
    assert run(["git", "status", "--porcelain"], repo).stdout == ""  # the commit kept it all

    # (b) Add an experiment: its entry in params.yaml and its charts in dvc.yaml, committed.
    # That is when the README's table says to run the tests (they name a missing chart); the
    # copy's blobs2 has the small pipeline's sizes, and so has the new one.
    add_experiment(repo, "blobs2", NEW)
    run(["git", "commit", "-qam", "add an experiment"], repo)
    assert NEW in read_yaml(repo / "params.yaml")["experiments"]
    assert f"models/{NEW}/history.csv" in (repo / "dvc.yaml").read_text()

    # The unit suite, in the changed copy: its tests read that copy's files. Mermaid, which
    # .ci/install-mermaid puts in the git-ignored .ci/node_modules, is lent to the copy, so
    # that its parser checks run there too (CI requires them: REQUIRE_MERMAID).
    node_modules = REPO / ".ci" / "node_modules"
    if node_modules.is_dir():
        (repo / ".ci" / "node_modules").symlink_to(node_modules)
    where = in_copy(repo, "-c", "from bench.workspace import REPO; print(REPO)")
    assert where.stdout.strip() == str(repo.resolve()), where.stdout + where.stderr
    suite = ["-m", "pytest", "-m", "not e2e and not emulated", "-q", "-p", "no:cacheprovider"]
    result = in_copy(repo, *suite, "-n", "2")
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    [summary] = re.findall(r"^=* ?(\d+ passed.*)$", result.stdout, re.M)
    assert int(summary.split()[0]) > 100 and "failed" not in summary, summary
