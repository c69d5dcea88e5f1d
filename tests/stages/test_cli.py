"""stages.cli and stages.__main__: the one way into a stage."""

import subprocess
import sys

import pytest

from bench.workspace import REPO
from stages.cli import without_sklearn

SCRIPT = """
import sys
from stages.cli import without_sklearn
with without_sklearn():
    try:
        import sklearn
    except ImportError:
        print("hidden")
print("sklearn" in sys.modules)
import sklearn.linear_model
print(sys.modules["sklearn"] is not None)
"""


def test_imports_in_the_block_see_no_scikit_learn_and_later_ones_do():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True)
    assert done.stdout.split() == ["hidden", "False", "True"], done.stderr


def test_a_loaded_scikit_learn_stays():
    import sklearn

    with without_sklearn():
        assert sys.modules["sklearn"] is sklearn
    assert sys.modules["sklearn"] is sklearn


@pytest.mark.parametrize("argv", [[], ["nosuch"], ["cli"]])
def test_the_runner_names_the_stages_for_anything_else(argv):
    done = subprocess.run(
        [sys.executable, "-m", "stages", *argv], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.startswith("usage: python3 -m stages {fingerprint,validate,example,")
    assert done.stderr.count("\n") == 1


def test_the_runner_ends_a_bad_input_with_one_line_and_exit_code_2(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "stages", "validate", "--params", str(tmp_path / "none.yaml")]
        + ["--pipeline", "dvc.yaml", "--out", str(tmp_path / "out")],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {tmp_path / 'none.yaml'}: cannot read params: ")
    assert done.stderr.count("\n") == 1


def test_a_stage_module_run_on_its_own_names_the_runner():
    done = subprocess.run(
        [sys.executable, "-m", "stages.split", "--settings", "x"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "error: python3 -m stages.split runs nothing; run python3 -m stages split ...\n"
    )
