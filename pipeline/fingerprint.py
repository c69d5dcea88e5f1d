"""The code a stage runs, derived from its imports: every project file that ``python3 -m stages
<stage>`` executes (imports, transitively, lazy ones too, and each package's ``__init__.py``),
and a fingerprint of their contents, which the `fingerprint` stage writes for each stage.
"""

import ast
import hashlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

PROJECT_PACKAGES = ("stages", "pipeline")


def module_file(module: str, root: Path = REPO) -> Path | None:
    """The project file of a dotted module name, or None if it is not the project's."""
    if module.split(".")[0] not in PROJECT_PACKAGES:
        return None
    path = root.joinpath(*module.split("."))
    if (path / "__init__.py").exists():
        return path / "__init__.py"
    return path.with_suffix(".py") if path.with_suffix(".py").exists() else None


def imported_modules(path: Path) -> set[str]:
    """The dotted names of every module a file imports (inside functions too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def code_files(*modules: str, root: Path = REPO) -> list[str]:
    """Every project file that running ``modules`` executes: their own files first, in their
    order, then their packages' and library modules, sorted."""
    files, todo = set(), list(modules)
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):  # a module's packages run first
            path = module_file(".".join(parts[:depth]), root)
            if path is not None and path not in files:
                files.add(path)
                todo += imported_modules(path)
    own = [str(module_file(module, root).relative_to(root)) for module in modules]
    rest = sorted(str(path.relative_to(root)) for path in files)
    return [*own, *(name for name in rest if name not in own)]


def fingerprint(*modules: str, root: Path = REPO) -> dict[str, str]:
    """{file: MD5 of its bytes} for every project file that running ``modules`` executes, in
    code_files' order: it changes exactly when that code changes."""
    return {
        name: hashlib.md5((root / name).read_bytes()).hexdigest()
        for name in code_files(*modules, root=root)
    }
