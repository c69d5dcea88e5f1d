"""The gate is its own package: it imports nothing of the project it gates, by an AST walk."""

import ast
import sys

import pytest

from tools.workspace import REPO

PROJECT_PACKAGES = {"pipeline", "stages", "tools", "bench", "tests"}
MODULES = sorted((REPO / "gate").glob("*.py"))


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


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_a_gate_module_imports_only_the_gate_the_standard_library_and_its_dependencies(path):
    packages = set(imported(path))
    assert not packages & PROJECT_PACKAGES, path.name
    allowed = {"gate", "dvc", "numpy", "pandas", "scipy", "ruamel", "vl_convert"}
    assert packages - sys.stdlib_module_names <= allowed, path.name


def test_every_module_of_the_package_is_walked():
    assert {path.stem for path in MODULES} >= {"cli", "compare", "read", "rules", "stats"}
    assert (
        len(MODULES)
        == len(list((REPO / "gate").iterdir())) - (REPO / "gate" / "__pycache__").exists()
    )
