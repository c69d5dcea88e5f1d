"""The gate as another project installs it: `pip install` of gate/ (its own pyproject.toml) into a
fresh virtual environment, and its `dvc-gate` command run on a project laid out as DVC's example
project and DVCLive lay one out (results/train/metrics.json, results/evaluate/metrics.json), with
no `project:` section in its rules file: each experiment is named by its folder.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from bench.workspace import REPO
from tests.conftest import dvc_env, run
from tests.gate.helpers import committed_project, copy_of, failure_lines, tables_in

pytestmark = pytest.mark.e2e

# Two stages as in iterative/example-get-started-experiments: train writes a model and its
# metrics, evaluate scores the model; more epochs, a better model.
TRAIN = """\
import json
import sys
from pathlib import Path

epochs = int(sys.argv[1])
Path("models").mkdir(exist_ok=True)
Path("models/model.json").write_text(json.dumps({"weight": 1 - 1 / (epochs + 1)}))
Path("results/train").mkdir(parents=True, exist_ok=True)
loss = {"train": {"loss": round(1 / (epochs + 1), 6)}}
Path("results/train/metrics.json").write_text(json.dumps(loss))
"""

EVALUATE = """\
import json
from pathlib import Path

weight = json.loads(Path("models/model.json").read_text())["weight"]
Path("results/evaluate").mkdir(parents=True, exist_ok=True)
scores = {"avg_prec": {"test": round(0.95 * weight, 6)}, "roc_auc": {"test": round(weight, 6)}}
Path("results/evaluate/metrics.json").write_text(json.dumps(scores))
"""

DVC_YAML = """\
stages:
  train:
    cmd: python train.py ${train.epochs}
    deps: [train.py]
    outs: [models/model.json]
    metrics:
      - results/train/metrics.json: {cache: false}
  evaluate:
    cmd: python evaluate.py
    deps: [evaluate.py, models/model.json]
    metrics:
      - results/evaluate/metrics.json: {cache: false}
"""

GATE_YAML = """\
evaluate:
  avg_prec.test: {better: higher, max_drop: 0.01}
  roc_auc.test: {better: higher, min: 0.5}
train:
  train.loss: {better: lower, max_rise: 0.05}
"""

FILES = {
    "train.py": TRAIN,
    "evaluate.py": EVALUATE,
    "params.yaml": "train:\n  epochs: 10\n",
    "dvc.yaml": DVC_YAML,
    "gate.yaml": GATE_YAML,
}


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A fresh virtual environment with gate/ installed by pip: from a copy of the folder (pip
    builds in it), offline, the dependencies being this project's venv's (a .pth file names its
    site-packages: a venv made by a venv's python would see the base interpreter's instead)."""
    root = tmp_path_factory.mktemp("package")
    source = root / "gate"
    skip = shutil.ignore_patterns("__pycache__", "build", "*.egg-info")
    shutil.copytree(REPO / "gate", source, ignore=skip)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [python, "-c", "import site; print(site.getsitepackages()[0])"], text=True
        ).strip()
    )
    dependencies = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (site / "project-dependencies.pth").write_text("".join(f"{path}\n" for path in dependencies))
    install = [python, "-m", "pip", "install", "-q", "--no-index", "--no-deps"]
    subprocess.run([*install, "--no-build-isolation", source], check=True, env=env_of(venv))
    return venv


def env_of(venv):
    """The venv's commands first on PATH, and no PYTHONPATH: only what is installed imports."""
    env = dvc_env()
    env.pop("PYTHONPATH", None)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    return env


def dvc_gate(venv, repo, *args):
    command = shutil.which("dvc-gate", path=env_of(venv)["PATH"])
    assert command == str(venv / "bin" / "dvc-gate")  # the installed command, the venv's
    return subprocess.run(
        [command, "--report", "reports/gate.md", *args],
        cwd=repo,
        env=env_of(venv),
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return committed_project(tmp_path_factory.mktemp("dvclive") / "project", FILES)


@pytest.fixture
def project(template, tmp_path):
    return copy_of(template, tmp_path)


def test_the_venv_imports_the_installed_gate_with_every_module_of_the_folder(venv, project):
    where = subprocess.run(
        [venv / "bin" / "python", "-c", "import gate; print(gate.__file__)"],
        cwd=project,
        env=env_of(venv),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    installed = Path(where).parent
    assert installed.parent.name == "site-packages" and installed.is_relative_to(venv)
    names = {path.name for path in installed.glob("*.py")}
    assert names == {path.name for path in (REPO / "gate").glob("*.py")}


def test_an_unchanged_dvclive_layout_passes_named_by_its_folders(venv, project):
    assert "project:" not in (project / "gate.yaml").read_text()
    result = dvc_gate(venv, project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "gate: passed\nreport: reports/gate.md\n"
    report = (project / "reports" / "gate.md").read_text()
    assert "### evaluate" in report and "### train" in report
    evaluate, train = tables_in(report)[:2]
    assert [row[:3] for row in evaluate[1:]] == [
        ["avg_prec.test", "0.863636", "0.863636"],
        ["roc_auc.test", "0.909091", "0.909091"],
    ]
    assert [row[:3] for row in train[1:]] == [["train.loss", "0.090909", "0.090909"]]


def test_a_real_drop_fails_with_exit_code_1_and_the_reason(venv, project):
    run(["dvc", "exp", "run", "-S", "train.epochs=1"], project)
    result = dvc_gate(venv, project)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == "gate: FAILED (2 failures)"
    assert failure_lines(result) == [
        "evaluate avg_prec.test: 0.863636 (HEAD) -> 0.475 (workspace): dropped by 0.388636, "
        "more than max_drop 0.01 [rule: better higher, max_drop 0.01]",
        "train train.loss: 0.090909 (HEAD) -> 0.5 (workspace): rose by 0.409091, more than "
        "max_rise 0.05 [rule: better lower, max_rise 0.05]",
    ]
