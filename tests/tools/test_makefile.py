"""The Makefile's set-up: what a newcomer sees before the long, quiet install."""

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_install_says_what_it_installs_and_how_long_first(tmp_path):
    # A dry run (-n) of the install as on a fresh clone (-B: as if .venv were missing).
    done = subprocess.run(
        ["make", "-n", "-B", ".venv/.installed"], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    commands = done.stdout.replace("\\\n", " ").splitlines()  # continued lines joined
    pip = next(i for i, line in enumerate(commands) if "pip install" in line)
    said = [line for line in commands[:pip] if line.startswith("echo ")]
    assert said and "requirements.txt" in said[0] and "minutes" in said[0]
