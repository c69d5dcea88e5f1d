"""pipeline.interpreter: a stage started by a Python without the project's packages."""

import subprocess
import sys
from importlib import metadata

import pytest

from bench.workspace import REPO
from pipeline import interpreter


def test_pins_reads_name_version_lines():
    text = "numpy==2.4.6\nruamel.yaml==0.19.1  # the parser\nScikit_Learn==1.9.1\n\n# c\nfoo>=1\n"
    assert interpreter.pins(text) == {
        "numpy": "2.4.6",
        "ruamel.yaml": "0.19.1",
        "scikit-learn": "1.9.1",
    }


def test_problems_names_each_missing_or_other_version():
    def installed(name):
        if name == "numpy":
            raise metadata.PackageNotFoundError(name)
        return {"pandas": "3.0.0"}.get(name, "1.0")

    pinned = {"numpy": "2.4.6", "pandas": "3.1.1", "keras": "1.0"}
    assert interpreter.problems(pinned, installed) == [
        "numpy==2.4.6: not installed",
        "pandas==3.1.1: 3.0.0 installed",
    ]


def test_this_venv_has_every_checked_package_at_its_pin():
    pinned = interpreter.pins(interpreter.REQUIREMENTS.read_text())
    assert set(interpreter.CHECKED) <= set(pinned)
    assert interpreter.problems(pinned, metadata.version) == []


@pytest.fixture
def bare_python(tmp_path):
    """A new venv with none of the project's packages: what an unactivated shell may find."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", tmp_path / "venv"], check=True)
    return tmp_path / "venv" / "bin" / "python"


def test_a_stage_under_another_python_stops_with_one_line_naming_it(bare_python):
    python = bare_python
    result = subprocess.run(
        [python, "-m", "stages", "validate", "--params", "params.yaml", "--out", "/nonexistent"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"error: {python} is not the project's Python (")
    assert "numpy==" in result.stderr and ": not installed" in result.stderr
    assert result.stderr.endswith(
        "run `make repro`, or `source .venv/bin/activate` and then the dvc command\n"
    )
