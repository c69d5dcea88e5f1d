"""`make gather SET=... SHARDS=n`: every run of a sweep run as n shards, pulled into one table.

The runs and their names come from tools.grid, as `make sweep SHARD=k/n` named them. This pulls
each run the git remote has (`dvc exp pull`: its experiment, and its outputs from the DVC
remote), names each one it lacks with the shard that owes it, and writes one table to
``reports/sweep.md``: the params that differ (tools.runs), the metrics, and the metric gate's
verdict of each run against the base (gate.cli's comparison, gate.yaml's rules), best first by
one metric. ``--apply`` applies the best run that passes the gate (`dvc exp apply`), only when
no run is missing.

Exit codes: 0 every run gathered (and applied, if asked); 1 runs missing, or none to apply;
2 a bad command line, rules file or remote (one line).
"""

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from gate.compare import check_rule_names, compare
from gate.dvc_reader import read_sides
from gate.errors import GateError
from gate.project import Project
from gate.report import markdown_table
from gate.rules import Rule, load_rules
from tools.grid import Run, plan, sweep_name
from tools.runs import PARAMS_ROOT, ShowError, exp_show, label, run_values, values_frame
from tools.shard import ShareError, remote_names
from tools.sweep import overrides_of, set_problems

PASSED = "passed"


@dataclass(frozen=True)
class Order:
    """The metric runs are ranked by: ``experiment.metric``, and whether higher is better."""

    experiment: str
    metric: str
    higher: bool

    def key(self) -> tuple:
        return ("metrics", self.experiment, *self.metric.split("."))

    def describe(self, source: str) -> str:
        better = "higher" if self.higher else "lower"
        return f"{self.experiment} {self.metric} ({better} is better, {source})"


def parse_by(text: str, rules: dict[str, dict[str, Rule]], overrides: list[str]) -> Order:
    """``--by EXP.METRIC[:higher|:lower]``; the direction from its rule when not given. Empty:
    the first rule of the first experiment the SET changes (else of gate.yaml's first)."""
    if not text:
        swept = [o.split(".")[1] for o in overrides if o.startswith(f"{PARAMS_ROOT}.")]
        experiment = next((e for e in swept if rules.get(e)), next(iter(rules), None))
        if experiment is None:
            raise GateError("--by: the rules name no metric: give one, as EXP.METRIC:higher")
        metric, rule = next(iter(rules[experiment].items()))
        return Order(experiment, metric, rule.better == "higher")
    name, _, direction = text.partition(":")
    experiment, dot, metric = name.partition(".")
    if not dot or not metric or direction not in ("", "higher", "lower"):
        raise GateError(f"--by: got {text!r}, expected EXP.METRIC, or EXP.METRIC:higher/:lower")
    if direction:
        return Order(experiment, metric, direction == "higher")
    rule = rules.get(experiment, {}).get(metric)
    if rule is None:
        raise GateError(
            f"--by: {name} has no rule in the rules file to say which way is better: "
            f"add :higher or :lower"
        )
    return Order(experiment, metric, rule.better == "higher")


def verdict(base: str, run: str, project: Project, rules: dict) -> tuple[str, list[str]]:
    """The gate's verdict on ``run`` against ``base``: (``passed`` or ``failed (n)``, failures)."""
    try:
        base_side, run_side = read_sides(base, project, new=run)
        check_rule_names(rules, base_side, run_side)
    except GateError as error:
        return "not judged", [str(error)]
    comparison = compare(base_side, run_side, rules, project)
    if comparison.passed:
        return PASSED, []
    return f"failed ({len(comparison.failures)})", comparison.failures


def shown_runs(names: list[str]) -> tuple[dict, dict]:
    """From `dvc exp show --json`: (this commit's values, {run name: values}) for ``names``."""
    base, found = {}, {}
    for commit in exp_show():
        if commit["rev"] == "workspace":
            continue
        base = run_values(commit.get("data") or {})
        for experiment in commit.get("experiments") or []:
            rev = experiment["revs"][0]
            if rev.get("name") in names and rev.get("data") and not rev.get("error"):
                found[rev["name"]] = run_values(rev["data"])
        break  # the first commit is HEAD, the baseline of the sweep's experiments
    return base, found


def ranked(found: dict[str, dict], order: Order) -> list[str]:
    """Run names, best first by ``order``; runs without the metric last, then by name."""

    def key(name):
        value = found[name].get(order.key())
        if not isinstance(value, int | float):
            return (1, 0, name)
        return (0, -value if order.higher else value, name)

    return sorted(found, key=key)


def cell(value: object) -> str:
    """A value as the metrics and params files hold it (JSON), for a Markdown table."""
    return "" if value is None else json.dumps(value) if not isinstance(value, str) else value


def table_rows(base_values: dict, found: dict, order: Order, shards: dict, verdicts: dict):
    """(header, rows): the base, then the runs best first; params that differ, then metrics
    that do (and always the ranking metric)."""
    names = ranked(found, order)
    every = {"base": base_values, **{name: found[name] for name in names}}
    keys, _, changed = values_frame(every)
    changed.add(order.key())
    shown = [k for k in keys if k[0] == "params" and k in changed]
    shown += [k for k in keys if k[0] == "metrics" and k in changed]
    header = ["rank", "run", "shard", *[label(k, shown) for k in shown], "gate"]
    rows = [["base", "HEAD", "", *[cell(base_values.get(k)) for k in shown], ""]]
    for rank, name in enumerate(names, 1):
        values = [cell(found[name].get(k)) for k in shown]
        rows.append([str(rank), name, shards[name], *values, verdicts[name][0]])
    return header, rows


def report(
    overrides, runs: list[Run], shards: int, table: str, missing, verdicts, order_text: str
) -> str:
    """The Markdown report: the table, the runs missing and who owes them, the gate's failures."""
    set_text = " ".join(overrides)
    lines = [
        f"# Sweep {sweep_name(overrides)}: `{set_text}`",
        "",
        f"{len(runs) - len(missing)} of {len(runs)} runs gathered from {shards} shards, best "
        f"first by {order_text}; gate: each run's verdict against HEAD by the rules file.",
        "",
        table,
        "",
    ]
    if missing:
        lines += ["## Missing runs", ""]
        lines += [
            f"- {run.describe()}: owed by shard {run.shard}/{shards}; rerun "
            f"`make sweep SET='{set_text}' SHARD={run.shard}/{shards}`"
            for run in missing
        ]
        lines.append("")
    failing = {name: lines for name, (_, lines) in verdicts.items() if lines}
    if failing:
        lines += ["## Gate failures", ""]
        lines += [f"- {name}: {line}" for name, found in failing.items() for line in found]
        lines.append("")
    return "\n".join(lines)


def pull(git_remote: str, names: list[str]) -> None:
    """`dvc exp pull` of the runs (their experiments, and their outputs from the DVC remote)."""
    if names:
        pulled = subprocess.run(["dvc", "exp", "pull", git_remote, *names])
        if pulled.returncode:
            raise ShareError(f"dvc exp pull from '{git_remote}' failed (its error is above)")


def apply_best(names: list[str], verdicts: dict, who: str = "gather") -> int:
    """`dvc exp apply` of the first of ``names`` that passed the gate; the exit code."""
    best = next((name for name in names if verdicts[name][0] == PASSED), None)
    if best is None:
        print(f"{who}: no run passed the gate: nothing applied", file=sys.stderr)
        return 1
    code = subprocess.run(["dvc", "exp", "apply", best]).returncode
    if code == 0:
        print(f"{who}: applied {best}; keep it with git add -A && git commit")
    return code


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", default=[], metavar="KEY=V1,V2")
    parser.add_argument("--shards", type=int, default=1, help="how many shards ran it (1)")
    parser.add_argument("--remote", default="origin", help="the git remote (origin)")
    parser.add_argument("--by", default="", help="EXP.METRIC[:higher|:lower] to rank by")
    parser.add_argument("--rules", default="gate.yaml")
    parser.add_argument("--report", default="reports/sweep.md")
    parser.add_argument("--apply", action="store_true", help="apply the best run that passes")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    overrides = overrides_of(args.set)
    problems = set_problems(overrides, Path.cwd())
    if args.shards < 1:
        problems.append(f"SHARDS={args.shards}: expected how many shards ran the sweep (>= 1)")
    try:
        project, rules = load_rules(args.rules)
        order = parse_by(args.by, rules, overrides)
    except GateError as error:
        problems.append(str(error))
    for problem in problems:
        print(f"gather: {problem}", file=sys.stderr)
    if problems:
        return 2
    runs = plan(overrides, args.shards)
    try:
        shared = remote_names(args.remote)
        pull(args.remote, [run.name for run in runs if run.name in shared])
        base_values, found = shown_runs([run.name for run in runs])
    except (ShareError, ShowError) as error:
        print(f"gather: {error}", file=sys.stderr)
        return 2
    missing = [run for run in runs if run.name not in found]
    verdicts = {name: verdict("HEAD", name, project, rules) for name in found}
    shard_of = {run.name: f"{run.shard}/{args.shards}" for run in runs}
    table = markdown_table(*table_rows(base_values, found, order, shard_of, verdicts))
    text = report(
        overrides, runs, args.shards, table, missing, verdicts, order.describe(args.rules)
    )
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    Path(args.report).write_text(text)
    print(table)
    for run in missing:
        print(
            f"gather: missing {run.describe()}, owed by shard {run.shard}/{args.shards}",
            file=sys.stderr,
        )
    print(f"gather: {len(found)} of {len(runs)} runs; report: {args.report}")
    if missing:
        if args.apply:
            print("gather: runs are missing: nothing applied", file=sys.stderr)
        return 1
    return apply_best(ranked(found, order), verdicts) if args.apply else 0


if __name__ == "__main__":
    sys.exit(main())
