"""Each dvc.yaml stage's code deps, derived from the code: every project file that
``python -m <module>`` runs (imports, transitively, lazy ones too, and each package's
``__init__.py``). Keeps dvc.yaml's lists true without editing them by hand:

    python -m tools.dvc_deps --write     # rewrite the code deps in dvc.yaml (comments kept)
    python -m tools.dvc_deps             # exit 1 and name each stage whose list differs
"""

import argparse
import ast
import shlex
import sys
from pathlib import Path

from tools.workspace import REPO, round_trip_yaml

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


def code_files(module: str, root: Path = REPO) -> list[str]:
    """Every project file that running ``python -m module`` executes, sorted as dvc.yaml lists
    them: the stage's own file first, then its packages' and library modules."""
    files, todo = set(), [module]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):  # a module's packages run first
            path = module_file(".".join(parts[:depth]), root)
            if path is not None and path not in files:
                files.add(path)
                todo += imported_modules(path)
    own = str(module_file(module, root).relative_to(root))
    rest = sorted(
        str(path.relative_to(root)) for path in files if str(path.relative_to(root)) != own
    )
    return [own, *rest]


def stage_module(body: dict) -> str:
    """The module a stage's ``python -m <module>`` command runs."""
    command = shlex.split(body["cmd"])
    return command[command.index("-m") + 1]


def stale_stages(pipeline: dict, root: Path = REPO) -> dict[str, tuple[list, list]]:
    """{stage: (its code deps, the derived ones)} for each stage whose list differs."""
    stale = {}
    for name, stage in pipeline["stages"].items():
        body = stage.get("do", stage)
        listed = [dep for dep in body["deps"] if str(dep).endswith(".py")]
        derived = code_files(stage_module(body), root)
        if listed != derived:
            stale[name] = (listed, derived)
    return stale


def rewrite(pipeline: dict, root: Path = REPO) -> None:
    """Replace each stage's code deps by the derived list, after its data deps (in place:
    the data deps keep their comments, which ruamel keys by position in the list)."""
    for stage in pipeline["stages"].values():
        body = stage.get("do", stage)
        deps = body["deps"]
        derived = code_files(stage_module(body), root)
        for index in reversed(range(len(deps))):  # one by one: later comments move up
            if str(deps[index]).endswith(".py"):
                del deps[index]
        deps.extend(derived)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite dvc.yaml's code deps")
    parser.add_argument("--dvc-yaml", default=str(REPO / "dvc.yaml"))
    args = parser.parse_args()
    yaml = round_trip_yaml()  # comments and layout stay
    path = Path(args.dvc_yaml)
    pipeline = yaml.load(path)
    if args.write:
        rewrite(pipeline, path.parent)
        yaml.dump(pipeline, path)
        return
    stale = stale_stages(pipeline, path.parent)
    for name, (listed, derived) in stale.items():
        missing = sorted(set(derived) - set(listed))
        extra = sorted(set(listed) - set(derived))
        print(f"dvc.yaml stage {name}: missing {missing}, never imported {extra}", file=sys.stderr)
    if stale:
        print("run: python -m tools.dvc_deps --write", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
