"""`make mutate`: mutation testing of the covered modules with mutmut, then docs/mutation.md.

The covered modules are `[tool.mutmut] only_mutate` in pyproject.toml; each module's mutants
run only its mirrored unit test file (gate/rules.py -> tests/gate/test_rules.py).
A surviving mutant that cannot change behaviour is listed with its reason in
tests/mutation_equivalents.yaml, keyed by module, function, original line and mutated line (not
by mutmut's numbering); every other survivor is a gap. Exits 1 if a module's tests kill fewer
than 90% of its non-equivalent mutants.
"""

import argparse
import datetime
import multiprocessing
import os
import shutil
import sys
import time
from importlib.metadata import version
from pathlib import Path

from pipeline.files import read_yaml, write_text

REPO = Path(__file__).resolve().parents[1]
EQUIVALENTS = REPO / "tests" / "mutation_equivalents.yaml"
REPORT = REPO / "docs" / "mutation.md"
THRESHOLD = 0.9
DETECTED = {"killed", "timeout"}  # a mutant that makes the tests hang is caught too


def mirrored_test(module):
    """pipeline/files.py -> tests/pipeline/test_files.py"""
    path = Path(module)
    return str(Path("tests", path.parent, f"test_{path.name}"))


def covered_modules():
    from mutmut import configuration

    return configuration.config().only_mutate


def run_mutmut(max_children):
    """A fresh `mutmut run` of the covered modules against their mirrored tests only.

    In a forked child: there the tests must import the mutated copies in mutants/, not the
    project modules this process has imported (dropped from sys.modules for that).
    """
    from mutmut import configuration

    for name in [n for n in sys.modules if n.partition(".")[0] in ("pipeline", "tools", "gate")]:
        del sys.modules[name]
    shutil.rmtree("mutants", ignore_errors=True)
    cfg = configuration.config()
    cfg.pytest_add_cli_args_test_selection = [mirrored_test(m) for m in cfg.only_mutate]
    from mutmut.__main__ import cli

    cli(["run", "--max-children", str(max_children)], standalone_mode=False)


def identity(name, module):
    """(function, original line, mutated line) of a mutant, from mutmut's own diff."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.utils.format_utils import orig_function_and_class_names_from_key

    diff = get_diff_for_mutant(name, path=module).splitlines()[2:]  # past the ---/+++ header
    function, cls = orig_function_and_class_names_from_key(name)
    removed = " | ".join(line[1:].strip() for line in diff if line.startswith("-"))
    added = " | ".join(line[1:].strip() for line in diff if line.startswith("+"))
    return (f"{cls}.{function}" if cls else function, removed, added)


def key(equivalent):
    """An equivalents entry's mutant identity: module, function, line and mutated line."""
    return tuple(equivalent[field] for field in ("module", "function", "line", "mutant"))


def classify(modules, equivalents):
    """Per module: (detected, total, survivors as (identity, reason or None))."""
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.stats import status_by_exit_code

    reasons = {key(e): e["reason"] for e in equivalents}
    results = {}
    for module in modules:
        data = SourceFileMutationData(path=module)
        data.load()
        statuses = {name: status_by_exit_code[code] for name, code in data.exit_code_by_key.items()}
        survivors = sorted(
            (ident, status, reasons.get((module, *ident)))
            for name, status in statuses.items()
            if status not in DETECTED
            for ident in [identity(name, module)]
        )
        detected = sum(status in DETECTED for status in statuses.values())
        results[module] = (detected, len(statuses), survivors)
    return results


def code(text):
    return f"`` {text} ``" if text else "(deleted)"


def report(results, equivalents, minutes=None):
    """The text of docs/mutation.md, and the modules below the threshold."""
    rows, details, failing = [], [], []
    matched = set()
    for module, (detected, total, survivors) in results.items():
        equivalent = sum(reason is not None for _, _, reason in survivors)
        scored = total - equivalent
        score = detected / scored if scored else 1.0
        if score < THRESHOLD:
            failing.append(module)
        gaps = len(survivors) - equivalent
        rows.append(f"| `{module}` | {detected} / {scored} | {score:.1%} | {equivalent} | {gaps} |")
        details.append(f"\n### `{module}`\n")
        details += [
            f"- `{function}`: {code(line)} -> {code(mutant)}: "
            + (f"equivalent: {reason}" if reason else f"**gap** ({status})")
            for (function, line, mutant), status, reason in survivors
        ] or ["- none"]
        matched |= {(module, *ident) for ident, _, reason in survivors if reason}
    stale = [e for e in equivalents if key(e) not in matched]
    text = [
        "# Mutation score",
        "",
        f"Written by `make mutate` (`tools/mutate.py`, mutmut {version('mutmut')}) on "
        f"{datetime.date.today()}{f', in {minutes:.1f} min' if minutes else ''}.",
        "Each covered module's mutants run its mirrored unit test file only. Score: mutants",
        "killed (or timed out) / mutants that are not equivalent;",
        f"`tests/mutation_equivalents.yaml` gives each equivalent its reason. Each module needs "
        f"{THRESHOLD:.0%}.",
        "",
        "| module | killed / non-equivalent | score | equivalent | gaps |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "## Surviving mutants",
        *details,
    ]
    if stale:
        text += ["", "## Equivalents that match no survivor (remove them)", ""]
        text += [
            f"- `{e['module']}` `{e['function']}`: {code(e['line'])} -> {code(e['mutant'])}"
            for e in stale
        ]
    return "\n".join(text) + "\n", failing


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--report-only", action="store_true", help="reclassify the last run's mutants/ results"
    )
    args = parser.parse_args(argv)
    os.chdir(REPO)  # mutmut works relative to the directory holding pyproject.toml
    start = time.monotonic()
    if not args.report_only:
        child = multiprocessing.get_context("fork").Process(
            target=run_mutmut, args=(args.max_children,)
        )
        child.start()
        child.join()
        if child.exitcode:
            return child.exitcode
    equivalents = read_yaml(EQUIVALENTS) or []
    results = classify(covered_modules(), equivalents)
    minutes = None if args.report_only else (time.monotonic() - start) / 60
    text, failing = report(results, equivalents, minutes)
    write_text(REPORT, text)
    print(f"wrote {REPORT.relative_to(REPO)}")
    for module in failing:
        print(
            f"{module}: the unit tests kill under {THRESHOLD:.0%} of its mutants", file=sys.stderr
        )
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
