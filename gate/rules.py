"""The metric gate's rules file (gate.yaml): its `project:` section (gate.project) and the
rules, checked into Rules whose limits are exact decimals.

A bad rules file raises GateError: one line naming the file, the key, the value and what is
allowed.
"""

import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from ruamel.yaml import YAML, YAMLError

from gate.errors import GateError, bad_value, check_keys
from gate.messages import one_line
from gate.project import KEY, Project, parse_project

DIRECTIONS = ("higher", "lower")
# How much worse a metric may get (absolutely, in % of the base value), named for its direction.
TOLERANCES = {"higher": ("max_drop", "max_drop_pct"), "lower": ("max_rise", "max_rise_pct")}
RULE_KEYS = (
    "better",
    "max_drop",
    "max_drop_pct",
    "max_rise",
    "max_rise_pct",
    "min",
    "max",
    "beats",
    "within",
    "within_pct",
    "significant_at",
)


class Reference(NamedTuple):
    """A limit against another metric of the same experiment, on the new side: ``beats`` it
    (strictly better), or worse than it by at most ``margin`` (``within``: absolutely;
    ``within_pct``: in % of its value)."""

    key: str  # beats, within or within_pct
    metric: str
    margin: Decimal | None = None  # None for beats

    def describe(self):
        """``beats mean_r2``, ``within 0.05 of linreg_r2``, ``within_pct 50 of noise_floor_mse``."""
        if self.margin is None:
            return f"beats {self.metric}"
        return f"{self.key} {format_decimal(self.margin)} of {self.metric}"


@dataclass(frozen=True)
class Rule:
    """One metric's rule; limits are Decimals, None when not given."""

    better: str
    max_worse: Decimal | None = None
    max_worse_pct: Decimal | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    significant_at: Decimal | None = None  # worse fails only when significant at this level
    references: tuple[Reference, ...] = ()  # beats, within, within_pct, as written

    def describe(self):
        """The rule as written, e.g. ``better higher, max_drop 0.005, min 0.92, beats mean_r2``."""
        abs_key, pct_key = TOLERANCES[self.better]
        limits = [
            (abs_key, self.max_worse),
            (pct_key, self.max_worse_pct),
            ("min", self.minimum),
            ("max", self.maximum),
        ]
        given = [f"{key} {format_decimal(value)}" for key, value in limits if value is not None]
        given += [reference.describe() for reference in self.references]
        if self.significant_at is not None:
            given.append(f"significant_at {format_decimal(self.significant_at)}")
        return ", ".join([f"better {self.better}", *given])


def to_decimal(value):
    """A finite int or float as an exact Decimal of its shortest repr; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    return Decimal(value)


def format_decimal(value, signed=False):
    """A Decimal in plain notation without trailing zeros (``0.005``, ``-0.0075``, ``12``)."""
    text = format(value.normalize(), "f") if value else "0"
    return f"+{text}" if signed and value > 0 else text


def parse_references(path, raw, source):
    """A rule's beats (a metric or a list of them), within and within_pct (mappings of metric
    -> margin) as References, in that order."""
    references = []
    if "beats" in raw:
        names = raw["beats"] if isinstance(raw["beats"], list) else [raw["beats"]]
        if not names or not all(isinstance(name, str) and name for name in names):
            bad_value(source, f"{path}.beats", raw["beats"], "a metric's name or a list of them")
        references = [Reference("beats", name) for name in names]
    for key in ("within", "within_pct"):
        margins = raw.get(key)
        if key in raw and (not isinstance(margins, dict) or not margins):
            bad_value(source, f"{path}.{key}", margins, "a mapping of metric -> a number >= 0")
        for metric, margin in (margins or {}).items():
            value = to_decimal(margin)
            if value is None or value < 0:
                bad_value(source, f"{path}.{key}.{metric}", margin, "a number >= 0")
            references.append(Reference(key, str(metric), value))
    return tuple(references)


def parse_rule(path, raw, source="gate.yaml"):
    """Check one metric's rule (a mapping) and return it as a Rule."""
    if not isinstance(raw, dict):
        bad_value(source, path, raw, "a mapping of " + ", ".join(RULE_KEYS))
    check_keys(source, path, raw, RULE_KEYS)
    if "better" not in raw:
        raise GateError(
            f"{source}: {path}.better: missing; every rule needs better: higher or lower"
        )
    better = raw["better"]
    if better not in DIRECTIONS:
        bad_value(source, f"{path}.better", better, "higher or lower")
    other = DIRECTIONS[1 - DIRECTIONS.index(better)]
    for wrong, right in zip(TOLERANCES[other], TOLERANCES[better], strict=True):
        if wrong in raw:
            raise GateError(
                f"{source}: {path}.{wrong}: applies to better: {other}; "
                f"with better: {better} use {right}"
            )
    limits = {}
    for key in (*TOLERANCES[better], "min", "max"):
        if key in raw:
            value = to_decimal(raw[key])
            tolerance = key != "min" and key != "max"
            if value is None or (tolerance and value < 0):
                expected = "a number >= 0" if tolerance else "a finite number"
                bad_value(source, f"{path}.{key}", raw[key], expected)
            limits[key] = value
    level = None
    if "significant_at" in raw:
        level = to_decimal(raw["significant_at"])
        if level is None or not 0 < level < 1:
            bad_value(
                source,
                f"{path}.significant_at",
                raw["significant_at"],
                "a p-value level in (0, 1), such as 0.05",
            )
    references = parse_references(path, raw, source)
    if not limits and level is None and not references:
        raise GateError(
            f"{source}: {path}: no limit; give at least one of "
            f"{', '.join(TOLERANCES[better])}, min, max, beats, within, within_pct, significant_at"
        )
    if "min" in limits and "max" in limits and limits["min"] > limits["max"]:
        raise GateError(f"{source}: {path}: min {raw['min']} is above max {raw['max']}")
    abs_key, pct_key = TOLERANCES[better]
    return Rule(
        better,
        limits.get(abs_key),
        limits.get(pct_key),
        limits.get("min"),
        limits.get("max"),
        level,
        references,
    )


def parse_rules(raw, source="gate.yaml"):
    """Check the rules: {experiment: {metric: rule}} -> the same with Rules."""
    rules = {}
    for experiment, metrics in raw.items():
        if not isinstance(metrics, dict) or not metrics:
            bad_value(source, str(experiment), metrics, "a mapping of metric -> rule")
        rules[str(experiment)] = {
            str(metric): parse_rule(f"{experiment}.{metric}", rule, source)
            for metric, rule in metrics.items()
        }
    return rules


def parse_gate_file(raw, source="gate.yaml"):
    """Check a whole rules document: its `project:` section and {experiment: {metric: rule}}
    -> (Project, the rules with Rules)."""
    if raw is None:
        return Project(), {}
    if not isinstance(raw, dict):
        bad_value(source, "top level", raw, "a mapping of experiment -> metric -> rule")
    rules = {key: value for key, value in raw.items() if key != KEY}
    return parse_project(raw.get(KEY), source), parse_rules(rules, source)


def read_yaml(path):
    """A YAML file as DVC reads params.yaml: ruamel.yaml's safe loader, YAML 1.2 (so 1e-3 is a
    number, where YAML 1.1 readers such as PyYAML see a string)."""
    return YAML(typ="safe").load(Path(path).read_text())


def load_rules(path):
    """Read and check the rules file -> (Project, rules)."""
    try:
        raw = read_yaml(path)
    except (OSError, YAMLError) as error:
        raise GateError(f"{path}: cannot read rules: {one_line(error)}") from None
    return parse_gate_file(raw, str(path))
