"""Is this Python the project's own? A stage started by another one stops with one line.

`.venv/bin/dvc repro` without activating the venv runs each stage with whatever `python` is
first on PATH, which may lack the packages or have other versions of them (and so other
bytes). Checked before anything imports NumPy; reads only package metadata, in milliseconds.
"""

import sys
from importlib import metadata
from pathlib import Path

REQUIREMENTS = Path(__file__).resolve().parents[1] / "requirements.txt"
# What the stages import: a wrong version of any of these changes what they compute.
CHECKED = (
    "numpy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "matplotlib",
    "keras",
    "tensorflow-cpu",  # TensorFlow without the CUDA libraries: the pipeline runs on the CPU
    "pydantic",
    "ruamel.yaml",
)


def pins(requirements_text: str) -> dict[str, str]:
    """``name==version`` lines as {normalised name: version}."""
    found = {}
    for line in requirements_text.splitlines():
        name, sep, version = line.split("#")[0].strip().partition("==")
        if sep:
            found[name.lower().replace("_", "-")] = version.strip()
    return found


def problems(pinned: dict[str, str], installed_version) -> list[str]:
    """``name==pin: what is installed`` for each checked package that is missing or differs."""
    found = []
    for name in CHECKED:
        want = pinned.get(name)
        if want is None:
            continue
        try:
            have = installed_version(name)
        except metadata.PackageNotFoundError:
            found.append(f"{name}=={want}: not installed")
            continue
        if have != want:
            found.append(f"{name}=={want}: {have} installed")
    return found


def check_interpreter() -> None:
    """Exit with one line if this interpreter lacks the project's pinned packages."""
    try:
        pinned = pins(REQUIREMENTS.read_text())
    except OSError:
        return  # a copy without requirements.txt: nothing to check against
    found = problems(pinned, metadata.version)
    if found:
        sys.stderr.write(
            f"error: {sys.executable} is not the project's Python ({'; '.join(found)}): "
            "run `make repro`, or `source .venv/bin/activate` and then the dvc command\n"
        )
        sys.exit(2)
