"""No import cycles among the project's modules, and the rooms' boundaries: nothing imports the
tests, and only the tests import the benchmark besides itself.

The import graph is walked from the files, as pipeline.fingerprint does for a stage's code
(imports inside functions count: a lazy import still closes a loop). What the gate package may
import is tests/gate/test_imports.py's.
"""

import graphlib
from pathlib import Path

from bench.workspace import REPO
from pipeline.fingerprint import imported_modules

PACKAGES = ("stages", "pipeline", "gate", "tools", "bench", "tests")


def project_modules(root: Path = REPO) -> dict[str, Path]:
    """{dotted name: file} of every module of the packages: files in folders that are
    packages (an ``__init__.py`` all the way down), so a build folder does not count."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            folders = path.relative_to(root).parents[:-1]
            if all((root / folder / "__init__.py").is_file() for folder in folders):
                parts = path.relative_to(root).with_suffix("").parts
                modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """{module: the project modules it names in an import}."""
    return {
        name: {other for other in imported_modules(path) if other in modules} - {name}
        for name, path in modules.items()
    }


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as ``[a, b, ..., a]`` (a imports b ...), or None."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        return list(reversed(error.args[1]))
    return None


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_a_cycle_through_a_function_level_import_is_found_and_named(tmp_path):
    root = write(
        tmp_path,
        {
            "tools/__init__.py": "",
            "tools/sweep.py": "def run():\n    from tools.shard import run_shard\n",
            "tools/shard.py": "from tools.failures import error_line\nfrom tools import sweep\n",
            "tools/failures.py": "import sys\n",
            "tools/build/old.py": "from tools import sweep\n",  # not a package: not a module
        },
    )
    modules = project_modules(root)
    assert set(modules) == {"tools", "tools.sweep", "tools.shard", "tools.failures"}
    graph = import_graph(modules)
    assert graph["tools.shard"] == {"tools", "tools.failures", "tools.sweep"}
    assert cycle(graph) in (
        ["tools.sweep", "tools.shard", "tools.sweep"],
        ["tools.shard", "tools.sweep", "tools.shard"],
    )
    (root / "tools" / "shard.py").write_text("from tools.failures import error_line\n")
    assert cycle(import_graph(project_modules(root))) is None


def test_the_walk_sees_every_package_s_modules():
    modules = project_modules()
    assert {"stages.__main__", "pipeline.files", "gate.cli", "tools.sweep"} <= set(modules)
    assert {"bench.workspace", "tests.conftest", "tests.gate.test_imports", __name__} <= set(
        modules
    )
    assert {name.partition(".")[0] for name in modules} == set(PACKAGES)


def test_no_module_of_the_project_imports_itself_back_through_others():
    found = cycle(import_graph(project_modules()))
    assert found is None, f"import cycle: {' -> '.join(found)}"


def test_nothing_imports_the_tests_and_only_the_tests_import_the_benchmark():
    graph = import_graph(project_modules())
    allowed = {"tests": {"tests"}, "bench": {"bench", "tests"}}  # importer packages allowed
    crossings = [
        f"{name} imports {other}"
        for name, others in sorted(graph.items())
        for other in sorted(others)
        if name.partition(".")[0] not in allowed.get(other.partition(".")[0], PACKAGES)
    ]
    assert crossings == []
