"""A promotion's judgement (pure, but for verdict's reading through DVC): the model of one
revision against the version last put in a stage, by one experiment's rules in gate.yaml.

It must pass every rule, as `make gate` applies them (gate.compare), and the noise test of its
first rule that has one (a metric with per-point results) must call the change an improvement:
p below the rule's significant_at, else 0.05. Without a version to beat, the rules that need
no base alone (min, max, beats and within: better than its baselines).
"""

import subprocess
from dataclasses import dataclass

from gate.compare import check_rule_names, compare, format_p, format_value
from gate.dvc_reader import read_sides
from gate.errors import GateError
from gate.project import Project
from gate.revision_metrics import Side
from gate.rules import parse_gate_file
from gate.stats import DEFAULT_LEVEL
from pipeline.files import parse_yaml

RULES_FILE = "gate.yaml"


class RegistryError(ValueError):
    """A promotion or lookup that cannot go on, in one line."""


@dataclass(frozen=True)
class Judgement:
    """The gate's verdict on a promotion: whether it may go on, and the lines that say why."""

    passed: bool
    lines: list[str]


def only(side: Side, name: str) -> Side:
    """One experiment's part of a Side: no other experiment has a say in its promotion."""

    def mine(values: dict) -> dict:
        return {key: value for key, value in values.items() if key == name}

    return Side(
        side.name,
        experiments=None
        if side.experiments is None
        else tuple(mine(dict.fromkeys(side.experiments))),
        params=side.params,
        metrics=mine(side.metrics),
        paths=mine(side.paths),
        errors=mine(side.errors),
        problems=side.problems,
        points=mine(side.points),
        point_errors=mine(side.point_errors),
    )


def judge(name: str, base: Side | None, new: Side, rules: dict, project: Project) -> Judgement:
    """May ``new`` replace ``base`` (None: a stage with no version yet)? Pure: gate.compare
    on the experiment alone, then the noise test of its first rule that has one (a metric
    with per-point results) must call the change an improvement. Without a base, the rules
    that need none (min, max, beats, within) alone."""
    if not rules.get(name):
        raise RegistryError(f"gate.yaml has no rules for {name!r}: nothing to judge it by")
    experiment_rules = {name: rules[name]}
    new = only(new, name)
    base = only(base, name) if base is not None else Side("no version", experiments=())
    check_rule_names(experiment_rules, base, new)
    comparison = compare(base, new, experiment_rules, project)
    if not comparison.passed:
        return Judgement(False, comparison.failures)
    rows = comparison.tables[0].rows
    if not base.metrics:
        shown = ", ".join(
            f"{row.metric} {format_value(row.new)}" for row in rows if row.verdict.startswith("ok")
        )
        return Judgement(True, [f"{name}: passes every rule that needs no base ({shown})"])
    tested = [row for row in rows if row.metric in rules[name] and row.test is not None]
    if not tested:  # rows are by metric name: the first tested rule in gate.yaml's order
        return Judgement(False, [f"{name}: no rule's metric has per-point results on both "
                                 "sides to tell a change from noise"])  # fmt: skip
    first = min(tested, key=lambda row: list(rules[name]).index(row.metric))
    return improvement(name, first, rules[name][first.metric])


def improvement(name: str, row, rule) -> Judgement:
    """Whether a gate row's change is an improvement beyond noise (its rule's direction)."""
    values = f"{name} {row.metric}: {format_value(row.base)} -> {format_value(row.new)}"
    level = float(rule.significant_at) if rule.significant_at is not None else DEFAULT_LEVEL
    better = row.test.change > 0 if rule.better == "higher" else row.test.change < 0
    p_value = f"p {format_p(row.test.p_value, level)}"
    if better and row.test.significant(level):
        return Judgement(True, [f"{values}: significantly better ({p_value} < {level:g})"])
    change = "better" if better else "no change" if not row.test.change else "worse"
    return Judgement(
        False, [f"{values}: not significantly better ({change}, {p_value} >= {level:g})"]
    )


def gate_setup(commit: str) -> tuple[Project, dict]:
    """gate.yaml's project section and rules as ``commit`` has them."""
    shown = subprocess.run(
        ["git", "show", f"{commit}:{RULES_FILE}"], capture_output=True, text=True
    )
    if shown.returncode:
        raise RegistryError(f"{commit[:7]} has no {RULES_FILE}: nothing to judge it by")
    return parse_gate_file(parse_yaml(shown.stdout), f"{RULES_FILE} at {commit[:7]}")


def verdict(name: str, base_rev: str | None, new_rev: str, new_commit: str) -> Judgement:
    """Read both revisions' metrics through DVC and judge them (see judge) by the rules of
    gate.yaml as the new side's commit has them (as make promote read them then); the
    revisions are tags or HEAD, which name the sides in the lines."""
    try:
        project, rules = gate_setup(new_commit)
        base, new = read_sides(base_rev or new_rev, project, new=new_rev)
        return judge(name, base if base_rev else None, new, rules, project)
    except (GateError, RegistryError) as error:
        return Judgement(False, [str(error)])
