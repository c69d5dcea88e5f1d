"""The gate's error (gate.errors) and the two shapes of its message about a rules file."""

import pytest

from gate import errors
from gate.errors import GateError


def test_a_bad_value_names_the_file_the_key_the_value_and_what_is_expected():
    with pytest.raises(GateError) as error:
        errors.bad_value("rules.yaml", "a.b", [1, "x"], "a number")
    assert str(error.value) == "rules.yaml: a.b: got [1, 'x'], expected a number"
    assert isinstance(error.value, ValueError)


def test_known_keys_pass_and_the_first_unknown_one_is_named_with_the_allowed_ones():
    errors.check_keys("g.yaml", "project", {"points": 1, "curves": 2}, ("points", "curves"))
    with pytest.raises(GateError) as error:
        errors.check_keys(
            "g.yaml", "project", {"points": 1, "curvs": 2, "zzz": 3}, ("points", "curves")
        )
    assert str(error.value) == (
        "g.yaml: project.curvs: unknown key; did you mean curves? allowed: points, curves"
    )
    with pytest.raises(GateError) as error:
        errors.check_keys("g.yaml", "p.q", {"zzz": 3}, ("points", "curves"))
    assert str(error.value) == "g.yaml: p.q.zzz: unknown key; allowed: points, curves"
