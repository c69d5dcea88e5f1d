"""The metric gate's comparison (pure): both sides (gate.revision_metrics) under the rules,
with each metric's noise test from the per-point results (gate.stats), into a Comparison that
gate.report writes out. gate/cli.py reads the sides through DVC (gate.dvc_reader) and runs this.

Numbers are compared as exact decimals of the values as written (metrics files hold short
decimals, such as 6 significant digits, and so do YAML rules), so 0.93 -> 0.925 is a drop of
exactly 0.005 (in binary floats, 0.0050000000000000044), and a change or value exactly at a limit
passes.
"""

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from gate import stats
from gate.errors import GateError
from gate.messages import did_you_mean
from gate.project import CORRECT, Points, Project, lookup
from gate.revision_metrics import MISSING_FILE, WORKSPACE, Side, flatten, where
from gate.rules import TOLERANCES, Rule, format_decimal, to_decimal


class Gap(Enum):
    """Why a table cell has no value."""

    NO_EXPERIMENT = "—"  # the experiment does not exist on that side (per its params)
    NO_FILE = "no file"  # the experiment's metrics file is missing
    UNREADABLE = "unreadable"  # the experiment's metrics file cannot be read or parsed
    MISSING = "missing"  # the file was read but has no such metric


def check_rule_names(
    rules: dict[str, dict[str, Rule]], base: Side, new: Side, source: str = "gate.yaml"
) -> None:
    """Raise GateError for a rule naming an experiment or a metric that does not exist, as its
    own metric or as a reference (beats, within, within_pct)."""
    experiments = set(new.experiments or ()) | set(new.paths)
    for experiment, metrics in rules.items():
        if experiment not in experiments:
            hint = did_you_mean(experiment, experiments)
            raise GateError(
                f"{source}: {experiment}: no such experiment in the workspace; {hint}"
                f"experiments: {', '.join(sorted(experiments)) or 'none'}"
            )
        if experiment in base.errors or experiment in new.errors:
            continue  # an unreadable file hides its metrics; that already fails the gate
        known = set(base.metrics.get(experiment, {})) | set(new.metrics.get(experiment, {}))
        for metric, rule in metrics.items():
            named = [(metric, f"{experiment}.{metric}")] + [
                (reference.metric, f"{experiment}.{metric}.{reference.key}: {reference.metric}")
                for reference in rule.references
            ]
            for name, path in named:
                if name not in known:
                    hint = did_you_mean(name, known)
                    raise GateError(
                        f"{source}: {path}: no such metric on either side; "
                        f"{hint}{experiment} has: {', '.join(sorted(known)) or 'none'}"
                    )


# --- comparison (pure) ---------------------------------------------------------------------


@dataclass
class Row:
    """One metric of one experiment, as the report's table shows it."""

    metric: str
    base: object  # the value as DVC read it, or a Gap
    new: object
    change: str
    verdict: str
    failed: bool
    test: stats.Test | None = None  # the change's interval and p-value, when computable
    level: float = stats.DEFAULT_LEVEL  # the p-value below which it is "significant"
    waived: str | None = None  # a worsening past a tolerance that significant_at let pass


@dataclass
class Table:
    """One experiment's rows, and notes about the experiment as a whole."""

    experiment: str
    rows: list
    notes: list


@dataclass
class Comparison:
    """The gate's result: one table per experiment and one line per failure."""

    tables: list
    failures: list

    @property
    def passed(self) -> bool:
        return not self.failures


def format_value(value: object) -> str:
    """A metric value (or Gap) for the report."""
    if isinstance(value, Gap):
        return value.value
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return repr(value)  # as written: 0.93, 3, True, inf, '0.9' (a string)


def format_change(base: Decimal, new: Decimal) -> str:
    """``new - base`` with its sign, and in % of the base value when that is not 0."""
    change = new - base
    text = format_decimal(change, signed=True)
    if base and change:
        text += f" ({float(change * 100 / abs(base)):+.3g} %)"
    return text


def value_problem(value: object, side: str) -> str | None:
    """Why a side's value cannot be compared (missing, not a number, not finite), or None."""
    if value is Gap.MISSING:
        return f"missing {where(side)}"
    if value is Gap.NO_FILE:
        return f"metrics file missing {where(side)}"
    if value is Gap.UNREADABLE:
        return f"metrics file unreadable {where(side)}"
    if isinstance(value, Gap):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"not a number {where(side)}"
    if not math.isfinite(value):
        return f"{format_value(value)} {where(side)}"
    return None


def tolerance_failures(rule: Rule, base: Decimal, new: Decimal) -> list[str]:
    """The reasons the change from ``base`` to ``new`` is worse than ``rule``'s tolerances."""
    reasons = []
    abs_key, pct_key = TOLERANCES[rule.better]
    worse = base - new if rule.better == "higher" else new - base
    verb = "dropped" if rule.better == "higher" else "rose"
    if rule.max_worse is not None and worse > rule.max_worse:
        reasons.append(
            f"{verb} by {format_decimal(worse)}, more than {abs_key} "
            f"{format_decimal(rule.max_worse)}"
        )
    if rule.max_worse_pct is not None and worse * 100 > rule.max_worse_pct * abs(base):
        if base:
            share = f"{float(worse * 100 / abs(base)):.3g} % of the base value"
        else:
            share = f"{format_decimal(worse)} from a base of 0"
        reasons.append(
            f"{verb} by {share}, more than {pct_key} {format_decimal(rule.max_worse_pct)}"
        )
    return reasons


def bound_failures(rule: Rule, new: Decimal) -> list[str]:
    """The reasons ``new`` is outside ``rule``'s min and max."""
    reasons = []
    if rule.minimum is not None and new < rule.minimum:
        reasons.append(f"below min {format_decimal(rule.minimum)}")
    if rule.maximum is not None and new > rule.maximum:
        reasons.append(f"above max {format_decimal(rule.maximum)}")
    return reasons


def reference_failures(
    rule: Rule, new: Decimal, metrics: dict[str, object], side: str
) -> list[str]:
    """The reasons ``new`` breaks ``rule``'s references to other metrics of its experiment on
    the same side (``metrics``, on ``side``): not strictly better than a ``beats`` one, or worse
    than a ``within`` / ``within_pct`` one by more than its margin."""
    reasons = []
    above, below = ("above", "below") if rule.better == "higher" else ("below", "above")
    for key, metric, margin in rule.references:
        value = metrics.get(metric, Gap.MISSING)
        if problem := value_problem(value, side):
            reasons.append(f"cannot compare with {metric}: {problem}")
            continue
        reference = to_decimal(value)
        worse = reference - new if rule.better == "higher" else new - reference
        named = f"{metric} {format_decimal(reference)}"
        if key == "beats":
            if worse >= 0:
                by = (
                    f"the reference is better by {format_decimal(worse)}"
                    if worse
                    else "equal to it"
                )
                reasons.append(f"not {above} {named} ({by})")
            continue
        broken = worse > margin if key == "within" else worse * 100 > margin * abs(reference)
        if broken:
            share = format_decimal(worse)
            if key == "within_pct" and reference:
                share = f"{float(worse * 100 / abs(reference)):.3g} %"
            reasons.append(f"{share} {below} {named}, more than {key} {format_decimal(margin)}")
    return reasons


def rule_failures(rule: Rule, base: Decimal | None, new: Decimal) -> list[str]:
    """The reasons ``new`` (and its change from ``base``, when not None) breaks ``rule``'s
    fixed limits (tolerances, min, max), whatever the noise."""
    tolerance = tolerance_failures(rule, base, new) if base is not None else []
    return tolerance + bound_failures(rule, new)


def format_p(p_value: float, level: float) -> str:
    """A p-value in 2 significant digits, more where fewer would put it on the wrong side of
    ``level`` (0.0496 against 0.05 is "0.0496", not "0.05"); "< 0.001" below that."""
    if p_value < 0.001:
        return "< 0.001"
    for digits in range(2, 18):  # 17 significant digits write any float exactly
        text = f"{p_value:.{digits}g}"
        if (float(text) < level) == (p_value < level):
            break
    return text


def weigh_noise(
    rule: Rule, test: stats.Test | None, tolerance: list[str]
) -> tuple[list[str], str | None]:
    """Apply ``significant_at``: which tolerance reasons fail, and a note on any waived.

    Without significant_at (or without per-point results) the tolerances fail as they are.
    With it, a worsening fails only when it is significant at that level and, if the rule has
    a tolerance, also larger than it; a larger worsening within noise is noted, not failed.
    """
    if rule.significant_at is None or test is None:
        return tolerance, None
    level = float(rule.significant_at)
    worse = test.change < 0 if rule.better == "higher" else test.change > 0
    if not (worse and test.significant(level)):
        if not tolerance:
            return [], None
        p_value = format_p(test.p_value, level)
        return [], f"{'; '.join(tolerance)}, but within noise (p {p_value} >= {level:g})"
    if rule.max_worse is not None or rule.max_worse_pct is not None:
        return tolerance, None
    return [
        f"significantly worse (p {format_p(test.p_value, level)} < significant_at {level:g})"
    ], None


def judge(
    experiment: str,
    metric: str,
    *,
    base_value: object,
    new_value: object,
    rule: Rule | None,
    base_name: str,
    metrics: dict[str, object] | Gap,
    new_name: str = WORKSPACE,
    test: stats.Test | None = None,
) -> tuple[Row, list[str]]:
    """One table row and its failure lines (each naming experiment, metric, values and rule).

    ``test`` is the change's noise test from the per-point results, None when not computable.
    ``metrics`` are the new side's metrics of the experiment (or the Gap of all of them), read
    for the rule's references when ``new_value`` is a number. A metric the base lacks but the
    workspace has is new: only its limits on the new side apply (min, max and the references),
    as for a new experiment.
    """
    values = (
        f"{experiment} {metric}: {format_value(base_value)} ({base_name}) -> "
        f"{format_value(new_value)} ({new_name})"
    )
    rule_text = f" [rule: {rule.describe()}]" if rule else " [not gated]"
    sides = ((base_value, base_name), (new_value, new_name))
    problems = [value_problem(value, side) for value, side in sides]
    is_new = base_value is Gap.MISSING and not isinstance(new_value, Gap) and not problems[1]
    if is_new:
        problems[0] = None
    if any(problems):
        # A missing or unreadable file is one failure line for the experiment, not one per metric.
        lines = [
            f"{values}: {problem}{rule_text}"
            for problem, (value, _) in zip(problems, sides, strict=True)
            if problem and value not in (Gap.NO_FILE, Gap.UNREADABLE)
        ]
        problems = [problem for problem in problems if problem]
        verdict = "**FAIL**: " + "; ".join(problems)
        return Row(metric, base_value, new_value, "", verdict, True), lines
    base, new = to_decimal(base_value), to_decimal(new_value)  # None for a Gap
    change = format_change(base, new) if base is not None and new is not None else ""
    level = float(rule.significant_at) if rule and rule.significant_at else stats.DEFAULT_LEVEL

    def row(verdict, failed, waived=None):
        return Row(metric, base_value, new_value, change, verdict, failed, test, level, waived)

    if rule is None or new is None:
        return row("new, not gated" if is_new else "not gated", False), []
    tolerance = tolerance_failures(rule, base, new) if base is not None else []
    failing, waived = weigh_noise(rule, test, tolerance)
    reasons = failing + bound_failures(rule, new) + reference_failures(rule, new, metrics, new_name)
    if test is not None:
        rule_text = rule_text[:-1] + f"; {test.word(level)}, p {format_p(test.p_value, level)}]"
    if reasons:
        return (
            row("**FAIL**: " + "; ".join(reasons), True),
            [f"{values}: {reason}{rule_text}" for reason in reasons],
        )
    checked = rule.describe().removeprefix(f"better {rule.better}, ")
    fixed = "min/max, beats and within" if rule.references else "min/max"
    if is_new:
        checked += f"; new metric, so only {fixed} apply"
    elif base is None:
        checked += f"; no base value, so only {fixed} apply"
    elif rule.significant_at is not None and test is None:
        checked += "; no per-point results, so the fixed limits apply"
    if waived:
        checked += f"; {waived}"
    return row(f"ok ({checked})", False, waived and f"{values}: {waived}{rule_text}"), []


def _side_values(side, experiment, failures):
    """An experiment's metrics on one side, or the Gap every metric gets; notes file failures."""
    if experiment in side.errors:
        failures.append(
            f"{experiment}: metrics file {side.paths[experiment]} "
            f"{side.errors[experiment]} {where(side.name)}"
        )
        return Gap.NO_FILE if side.errors[experiment] == MISSING_FILE else Gap.UNREADABLE
    if side.metrics.get(experiment) == {}:
        failures.append(
            f"{experiment}: metrics file {side.paths[experiment]} holds no metric "
            f"{where(side.name)}"
        )
        return Gap.UNREADABLE
    if experiment in side.metrics:
        return side.metrics[experiment]
    if side.expects(experiment):
        failures.append(
            f"{experiment}: no metrics file {where(side.name)}, though its params "
            f"list the experiment (dvc.yaml declares none for it)"
        )
        return Gap.NO_FILE
    return Gap.NO_EXPERIMENT


def point_values(table: Any, column: str, points: Points) -> Any:
    """A per-point column as floats (CORRECT: 1.0 where the actual column equals the predicted
    one), or None where the table lacks it."""
    if column == CORRECT:
        if {points.actual, points.predicted} <= set(table.columns):
            return (table[points.actual] == table[points.predicted]).to_numpy(float)
        return None
    return table[column].to_numpy(float) if column in table.columns else None


def same_values(base: Any, new: Any) -> bool:
    """Two columns hold the same values: numbers bit for bit, text (class names) as text."""
    if base.dtype == object or new.dtype == object:
        return base.tolist() == new.tolist()
    return base.dtype == new.dtype and base.tobytes() == new.tobytes()


def same_test_points(base: Side, new: Side, experiment: str, project: Project) -> tuple[bool, str]:
    """Whether both sides scored the same test points -> (paired, the reason in words)."""
    points = project.points
    if not points.paired:
        return False, "the project section names no points.paired_when"
    base_points, new_points = base.points[experiment], new.points[experiment]
    settings = [project.experiment_params(side.params, experiment) for side in (base, new)]
    if differ := [
        key for key in points.paired_params if lookup(settings[0], key) != lookup(settings[1], key)
    ]:
        return False, f"the {' and '.join(differ)} params differ"
    columns = [column for column in points.paired_columns if column in new_points.columns]
    if len(base_points) != len(new_points) or not all(
        column in base_points.columns
        and same_values(base_points[column].to_numpy(), new_points[column].to_numpy())
        for column in columns
    ):
        return False, "the test points differ"
    return True, f"both sides scored the same {len(new_points)} test points"


def noise_tests(
    base: Side, new: Side, experiment: str, metrics: Iterable[str], project: Project
) -> tuple[dict[str, stats.Test], list[str]]:
    """Each metric's noise test from both sides' per-point results -> (tests, notes)."""
    notes = [
        f"per-point results {side.point_errors[experiment]} {where(side.name)}: "
        "no noise test, the fixed limits apply"
        for side in (base, new)
        if experiment in side.point_errors
    ]
    if project.points is None or not (experiment in base.points and experiment in new.points):
        return {}, notes
    paired, why = same_test_points(base, new, experiment, project)
    tests = {}
    for metric in metrics:
        column = project.points.metrics.get(metric)
        if column is None:
            continue
        values = [
            point_values(side.points[experiment], column, project.points) for side in (base, new)
        ]
        if any(value is None or len(value) < 2 for value in values):
            continue
        kind = "correct" if column == CORRECT else "mean"
        tests[metric] = stats.compare_points(*values, paired=paired, kind=kind)
    if tests:
        methods = ", ".join(sorted({test.method for test in tests.values()}))
        notes.append(f"{'Paired' if paired else 'Unpaired'}: {why} ({methods}).")
    return tests, notes


def compare(
    base: Side, new: Side, rules: dict[str, dict[str, Rule]], project: Project
) -> Comparison:
    """Compare two Sides under ``rules`` -> Comparison (call check_rule_names first)."""
    failures = [
        f"{where(side.name)}: {problem}" for side in (base, new) for problem in side.problems
    ]
    # In params order (the workspace's first), then any other metrics file.
    experiments = dict.fromkeys(
        [
            *(new.experiments or ()),
            *(base.experiments or ()),
            *sorted(new.paths),
            *sorted(base.paths),
        ]
    )
    tables = []
    for experiment in experiments:
        base_values = _side_values(base, experiment, failures)
        new_values = _side_values(new, experiment, failures)
        notes = [
            f"{experiment} does not exist {where(side.name)}; nothing to compare with."
            for side, values in ((base, base_values), (new, new_values))
            if values is Gap.NO_EXPERIMENT
        ]
        experiment_rules = rules.get(experiment, {})
        names = sorted(
            set(experiment_rules).union(
                *(values for values in (base_values, new_values) if isinstance(values, dict))
            )
        )
        tests, test_notes = noise_tests(base, new, experiment, names, project)
        notes += test_notes
        rows = []
        for metric in names:
            row, lines = judge(
                experiment,
                metric,
                base_value=_value(base_values, metric),
                new_value=_value(new_values, metric),
                rule=experiment_rules.get(metric),
                base_name=base.name,
                new_name=new.name,
                metrics=new_values,
                test=tests.get(metric),
            )
            rows.append(row)
            failures.extend(lines)
        tables.append(Table(experiment, rows, notes))
    return Comparison(tables, failures)


def _value(values, metric):
    """A metric's value from an experiment's metrics (or the Gap that stands for all of them)."""
    if isinstance(values, Gap):
        return values
    return values.get(metric, Gap.MISSING)


def diff_params(
    base: dict[str, Any] | None, new: dict[str, Any] | None
) -> list[tuple[str, str, str]] | None:
    """The params that differ between two params dicts -> [(dotted key, base text, new text)]."""
    if base is None or new is None:
        return None
    base, new = flatten(base), flatten(new)
    missing = object()
    rows = []
    for key in sorted(set(base) | set(new)):
        old, now = base.get(key, missing), new.get(key, missing)
        if old is missing or now is missing or json.dumps(old) != json.dumps(now):  # 1 vs 1.0
            rows.append(
                (
                    key,
                    "—" if old is missing else json.dumps(old),
                    "—" if now is missing else json.dumps(now),
                )
            )
    return rows
