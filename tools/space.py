"""`make tune`'s SPACE: params keys and the values to search, in the syntax of Hydra's Optuna
sweeper, read with Hydra's own override parser (hydra-core comes with DVC).

    experiments.blobs4.train.learning_rate=tag(log,interval(1e-4,1e-1))
    experiments.blobs4.train.batch_size=range(8,129,8)
    experiments.blobs4.train.optimizer=choice(adam,sgd)

As in Hydra's sweeper: ``interval(a,b)`` is a float between a and b, ``int(interval(a,b))`` an
integer, ``tag(log,...)`` searches on a log scale; ``range(...)`` and ``choice(...)`` are lists
of values to choose from. Every key must be one of params.yaml's, and every value that can be
drawn at an end of its interval, or from its list, must pass the settings' rules (the one-line
errors of pipeline.params): one line per problem, before anything runs.
"""

import copy
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
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


def interval_problem(item: str, override: Any) -> str | None:
    """An interval that no value can be drawn from, or a log scale through 0; else None."""
    if not override.is_interval_sweep():
        return None
    sweep = override.value()
    if sweep.tags - {"log"}:
        return f"'{item}': unknown tag {', '.join(sorted(sweep.tags - {'log'}))}; only log"
    if not sweep.start < sweep.end:
        return f"'{item}': the interval is empty: LOW must be below HIGH"
    if "log" in sweep.tags and sweep.start <= 0:
        return f"'{item}': a log interval must lie above 0, this one starts at {sweep.start}"
    return None


def ends(dist: BaseDistribution) -> list:
    """The values a distribution can draw that the settings must accept: its ends, its list."""
    if isinstance(dist, CategoricalDistribution):
        return list(dist.choices)
    return [dist.low, dist.high]


def set_key(params: dict, dotted: str, value: Any) -> dict:
    """A copy of ``params`` with the value at ``a.b.c`` replaced."""
    changed = copy.deepcopy(params)
    *parents, last = dotted.split(".")
    node = changed
    for part in parents:
        node = node[part]
    node[last] = value
    return changed


def value_problems(key: str, dist: BaseDistribution, params: dict) -> list[str]:
    """The settings' one-line refusal of each value ``dist`` can draw at its ends."""
    problems = []
    for value in ends(dist):
        try:
            parse_params(set_key(params, key, value))
        except SettingsError as error:
            problems.append(str(error))
    return problems


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
        if not override.is_sweep_override():
            problems.append(f"'{item}': a single value, not a space; expected KEY={FORMS}")
        elif not has_key(params, key):
            problems.append(f"'{key}' is not a key of params.yaml (a misspelling?)")
        elif key in space:
            problems.append(f"'{key}' is given twice")
        elif (problem := interval_problem(item, override)) is not None:
            problems.append(problem)
        else:
            space[key] = distribution(override)
            problems += value_problems(key, space[key], params)
    if problems:
        raise SpaceError(problems)
    return space


def override(key: str, value: Any) -> str:
    """One `dvc exp run -S` value; Hydra's grammar reads it back as the same value."""
    return f"{key}={value!r}" if isinstance(value, float) else f"{key}={value}"
