"""The gate is its own package: it imports nothing of the project it gates, by an AST walk, and
gate/pyproject.toml declares what it imports, pinned as requirements.txt pins it."""

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions

import pytest

from bench.workspace import REPO

PROJECT_PACKAGES = {"pipeline", "stages", "tools", "bench", "tests"}
GATE = REPO / "gate"
MODULES = sorted(GATE.glob("*.py"))
PACKAGING = tomllib.loads((GATE / "pyproject.toml").read_text())


def imported(path):
    """Each top-level package a module imports (relative imports as ".")."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield "." if node.level else node.module.partition(".")[0]


def test_the_walk_sees_every_kind_of_import(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(
        "import os, pipeline.files\nfrom tools.x import y\nfrom . import z\n"
        "def f():\n    import stages\n    from bench import run\n"
    )
    assert list(imported(path)) == ["os", "pipeline", "tools", ".", "stages", "bench"]


def third_party(paths):
    """The packages the modules import that are neither the gate's nor the standard library's."""
    return {name for path in paths for name in imported(path)} - sys.stdlib_module_names - {"gate"}


def declared(requirements):
    """``["dvc==3.67.1", ...]`` -> {"dvc", ...}"""
    return {requirement.partition("==")[0] for requirement in requirements}


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_a_gate_module_imports_only_the_gate_the_standard_library_and_its_dependencies(path):
    packages = set(imported(path))
    assert not packages & PROJECT_PACKAGES, path.name
    project = PACKAGING["project"]
    allowed = declared(project["dependencies"] + project["optional-dependencies"]["png"])
    for package in third_party([path]):
        assert set(packages_distributions()[package]) & allowed, (path.name, package)


def test_the_package_declares_each_distribution_it_imports_pinned_as_the_project_is():
    project = PACKAGING["project"]
    imports = {
        distribution
        for package in third_party(MODULES)
        for distribution in packages_distributions()[package]
    }
    requirements = project["dependencies"] + project["optional-dependencies"]["png"]
    assert declared(requirements) <= imports
    assert declared(project["optional-dependencies"]["png"]) == {"vl-convert-python"}
    pins = set((REPO / "requirements.txt").read_text().splitlines())
    assert set(requirements) <= pins


def test_the_package_is_this_folder_and_its_command_is_the_gates():
    assert PACKAGING["tool"]["setuptools"] == {"packages": ["gate"], "package-dir": {"gate": "."}}
    assert PACKAGING["project"]["scripts"] == {
        "dvc-gate": "gate.cli:main",
        "dvc-gate-history": "gate.history:main",
    }
    assert "://" not in (GATE / "pyproject.toml").read_text()  # no host, no download URL


def test_every_module_of_the_package_is_walked():
    assert {path.stem for path in MODULES} >= {"cli", "compare", "dvc_reader", "rules", "stats"}
    # Beside its modules, the folder holds its packaging and what gate/.gitignore leaves out.
    built = {"__pycache__", "build", *(path.name for path in GATE.glob("*.egg-info"))}
    others = {path.name for path in GATE.iterdir()} - {path.name for path in MODULES} - built
    assert others == {"pyproject.toml", ".gitignore"}
