"""`make tune`'s SPACE: params keys and the values to search, in the syntax of Hydra's Optuna
sweeper, read with Hydra's own override parser (hydra-core comes with DVC).

    experiments.blobs4.train.learning_rate=tag(log,interval(1e-4,1e-1))
    experiments.blobs4.train.batch_size=range(8,129,8)
    experiments.blobs4.train.optimizer=choice(adam,sgd)

As in Hydra's sweeper: ``interval(a,b)`` is a float between a and b, ``int(interval(a,b))`` an
integer, ``tag(log,...)`` searches on a log scale; ``range(...)`` and ``choice(...)`` are lists
of values to choose from. Every key must be one of params.yaml's, and every value that can be
drawn from its list, or at its interval's ends and middle, must pass the settings' rules (the
one-line errors of pipeline.params) and reach `dvc exp run -S` as it is: one line per problem,
before anything runs.
"""

import copy
import math
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep, RangeSweep
from hydra.errors import HydraException
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from pipeline.errors import SettingsError
from pipeline.params import parse_params
from tools.sweep import has_key

EXAMPLE = "SPACE='experiments.blobs4.train.learning_rate=tag(log,interval(1e-4,1e-1))'"
FORMS = (
    "interval(LOW,HIGH), int(interval(LOW,HIGH)), tag(log,interval(...)), range(...), choice(...)"
)


class SpaceError(ValueError):
    """A SPACE that cannot be searched; its lines, one per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


MAX_CHOICES = 1000  # a range or choice longer than this is refused, not listed


def split_items(text: str) -> list[str]:
    """SPACE's items: split on spaces outside brackets and quotes (``choice(adam, sgd)`` is one)."""
    items, current, depth, quote = [], "", 0, None
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char.isspace() and depth <= 0:
            items, current = (items + [current]) if current else items, ""
            continue
        current += char
    return items + [current] if current else items


def sweep_problem(item: str, override: Any) -> str | None:
    """What makes a parsed override no space to search, or None."""
    sweep = override.value()
    if not isinstance(sweep, ChoiceSweep | RangeSweep | IntervalSweep):  # a value, a glob
        return f"'{item}': not a space to search; expected KEY={FORMS}"
    if sweep.tags - ({"log"} if override.is_interval_sweep() else set()):
        return f"'{item}': unknown tag {', '.join(sorted(sweep.tags))}; only log, on an interval"
    if override.is_range_sweep():
        count = (
            len(range(0, math.ceil((sweep.stop - sweep.start) / sweep.step))) if sweep.step else 0
        )
        if not 0 < count <= MAX_CHOICES:
            return f"'{item}': a range of {count} values; expected 1 to {MAX_CHOICES}"
    if override.is_choice_sweep() and not 0 < len(sweep.list) <= MAX_CHOICES:
        return f"'{item}': a choice of {len(sweep.list)} values; expected 1 to {MAX_CHOICES}"
    if override.is_interval_sweep():
        if not sweep.start < sweep.end:
            return f"'{item}': the interval is empty: LOW must be below HIGH"
        if "log" in sweep.tags and sweep.start <= 0:
            return f"'{item}': a log interval must lie above 0, this one starts at {sweep.start}"
    return None


def distribution(override: Any) -> BaseDistribution:
    """The Optuna distribution of one parsed sweep override (Hydra's Optuna sweeper's reading)."""
    sweep = override.value()
    if override.is_choice_sweep():
        return CategoricalDistribution(sweep.list)
    if override.is_range_sweep():
        return CategoricalDistribution(list(override.sweep_iterator()))
    log = "log" in sweep.tags
    if isinstance(sweep.start, int) and isinstance(sweep.end, int):
        return IntDistribution(sweep.start, sweep.end, log=log)
    return FloatDistribution(float(sweep.start), float(sweep.end), log=log)


def samples(dist: BaseDistribution) -> list:
    """The values the settings must accept: a list's every value; an interval's ends and
    middle (a float interval over a whole-number setting fails at its middle)."""
    if isinstance(dist, CategoricalDistribution):
        return list(dist.choices)
    if isinstance(dist, IntDistribution):
        return [dist.low, (dist.low + dist.high) // 2, dist.high]
    middle = math.sqrt(dist.low * dist.high) if dist.log else (dist.low + dist.high) / 2
    return [dist.low, math.nextafter(middle, math.inf), dist.high]  # never a whole number


def set_key(params: dict, dotted: str, value: Any) -> dict:
    """A copy of ``params`` with the value at ``a.b.c`` replaced."""
    changed = copy.deepcopy(params)
    *parents, last = dotted.split(".")
    node = changed
    for part in parents:
        node = node[part]
    node[last] = value
    return changed


def value_problem(parser, key: str, dist: BaseDistribution, params: dict) -> str | None:
    """The first value ``dist`` can draw that `dvc exp run -S` would not pass on as it is,
    or that the settings refuse (their one line); else None."""
    for value in samples(dist):
        text = override(key, value)
        try:
            back = parser.parse_overrides([text])[0]
            same = not back.is_sweep_override() and back.value() == value
        except HydraException:
            same = False
        if not same:
            return f"'{text}': `dvc exp run -S` would not read this value back as it is"
        try:
            parse_params(set_key(params, key, value))
        except SettingsError as error:
            whole = " (interval(...) draws any number; int(interval(...)) whole ones)"
            return f"{error}{whole if isinstance(dist, FloatDistribution) else ''}"
    return None


def parse_space(items: list[str], params: dict) -> dict[str, BaseDistribution]:
    """{params key: distribution} of SPACE's ``KEY=SPEC`` items, in their order; a SpaceError
    with one line per problem (nothing to search, a bad spec, an unknown key, a bad value)."""
    if not items:
        raise SpaceError([f"nothing to search: give a params key and its values, {EXAMPLE}"])
    parser, space, problems = OverridesParser.create(), {}, []
    for item in items:
        try:
            override = parser.parse_overrides([item])[0]
        except HydraException as error:
            problems.append(f"'{item}': {str(error).splitlines()[0]}; expected KEY={FORMS}")
            continue
        key = override.get_key_element()
        if (problem := sweep_problem(item, override)) is not None:
            problems.append(problem)
        elif not has_key(params, key):
            problems.append(f"'{key}' is not a key of params.yaml (a misspelling?)")
        elif key in space:
            problems.append(f"'{key}' is given twice")
        else:
            space[key] = distribution(override)
            if (problem := value_problem(parser, key, space[key], params)) is not None:
                problems.append(problem)
    if problems:
        raise SpaceError(problems)
    return space


def override(key: str, value: Any) -> str:
    """One `dvc exp run -S` value; Hydra's grammar reads it back as the same value."""
    return f"{key}={value!r}" if isinstance(value, float) else f"{key}={value}"
