"""CI's reproduction check: did `make repro` rewrite any committed output, and where did it start?

On an x86-64-v3 machine (the reference kind, pipeline/cpu.py) every output must come out with
the committed hash. When some do not, this names each output that changed and the first
stage, in pipeline order, whose outputs changed: the stage to look at, since every later
difference may only follow from it. Elsewhere bytes are not promised, and the check says so
and passes; CI's metric gate has then already checked the rules against the committed metrics.

    python -m tools.repro_check --base HEAD     # exit 1 if an output differs on a reference CPU
"""

import argparse
import platform
import subprocess
import sys
from graphlib import TopologicalSorter
from pathlib import Path

from pipeline.cpu import describe, is_reference, x86_features
from pipeline.files import parse_yaml

# A dvc.lock as read_lock returns it: {stage: {"deps" | "outs": {path: md5 or None}}}.
Lock = dict[str, dict[str, dict[str, str | None]]]


def read_lock(text: str) -> Lock:
    """A dvc.lock's stages as {stage: {"deps": {path: md5}, "outs": {path: md5}}}, in file order."""
    stages = (parse_yaml(text) or {}).get("stages", {})
    return {
        name: {
            kind: {entry["path"]: entry.get("md5") for entry in stage.get(kind, [])}
            for kind in ("deps", "outs")
        }
        for name, stage in stages.items()
    }


def pipeline_order(lock: Lock) -> list[str]:
    """The stages in pipeline order: a stage after every stage whose outputs it reads."""
    producer = {path: name for name, stage in lock.items() for path in stage["outs"]}
    graph = {
        name: {producer[path] for path in stage["deps"] if path in producer}
        for name, stage in lock.items()
    }
    sorter = TopologicalSorter(graph)
    sorter.prepare()
    position = {name: i for i, name in enumerate(lock)}
    order = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=position.get)  # ties keep dvc.lock's order
        order.extend(ready)
        sorter.done(*ready)
    return order


def changed_outputs(base: Lock, new: Lock) -> list[tuple[str, str, str | None, str | None]]:
    """[(stage, path, base md5, new md5)] for every output whose hash is not the base's."""
    changes = []
    for stage in pipeline_order(new):
        for path, md5 in new[stage]["outs"].items():
            before = base.get(stage, {}).get("outs", {}).get(path)
            if before != md5:
                changes.append((stage, path, before, md5))
    return changes


def changed_inputs(base: Lock, new: Lock, stage: str) -> list[str]:
    """The stage's dependencies whose hash is not the base's (none: the difference starts here)."""
    before = base.get(stage, {}).get("deps", {})
    return [path for path, md5 in new[stage]["deps"].items() if before.get(path) != md5]


def report(base: Lock, new: Lock) -> list[str]:
    """Lines that say which outputs differ and the first stage whose outputs differ."""
    changes = changed_outputs(base, new)
    if not changes:
        return ["every output in dvc.lock has its committed hash"]
    first = changes[0][0]
    inputs = changed_inputs(base, new, first)
    cause = (
        f"its inputs changed too ({', '.join(inputs)})"
        if inputs
        else "its inputs are the committed ones, so the difference starts in this stage"
    )
    lines = [
        f"first stage whose outputs differ: {first}; {cause}",
        "outputs that differ (pipeline order):",
    ]
    lines += [
        f"  {stage}: {path}  {before or 'absent'} -> {after or 'absent'}"
        for stage, path, before, after in changes
    ]
    return lines


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD", help="the git revision holding the reference")
    args = parser.parse_args(argv)
    machine, features = platform.machine(), x86_features()
    print(f"repro check: {describe(machine, features)}")
    if not is_reference(machine, features):
        print(
            "repro check: hashes not compared; what was checked instead is the metric gate "
            "(make gate BASE=HEAD): its rules against the committed metrics"
        )
        return 0
    base = read_lock(git("show", f"{args.base}:dvc.lock"))
    new = read_lock(Path("dvc.lock").read_text())
    files = git("diff", "--name-only", args.base, "--", "dvc.lock", "metrics", "plots").split()
    for line in report(base, new):
        print(f"repro check: {line}")
    if files:
        print(f"repro check: files that differ from {args.base}: {', '.join(files)}")
        if not changed_outputs(base, new):
            print(
                "repro check: only dependencies changed: the committed dvc.lock is not the "
                "one its code and params give (run make repro and commit dvc.lock)"
            )
    return 1 if files else 0


if __name__ == "__main__":
    sys.exit(main())
