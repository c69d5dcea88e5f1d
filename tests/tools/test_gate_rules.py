"""The metric gate's rules file (tools.gate_rules): keys, limits as exact decimals, one-line errors."""

import json
from decimal import Decimal

import pytest

from keras_blobs.files import read_yaml
from tools import gate_rules
from tools.gate_rules import GateError
from tools.workspace import REPO

# --- rules ---------------------------------------------------------------------------------


def rule(**raw):
    return gate_rules.parse_rule("exp.metric", raw)


def test_the_committed_rules_load_and_name_only_metrics_that_exist():
    rules = gate_rules.load_rules(REPO / "gate.yaml")
    experiments = read_yaml(REPO / "params.yaml")["experiments"]
    assert rules, "gate.yaml gates nothing"
    for experiment, metrics in rules.items():
        assert experiment in experiments
        committed = json.loads((REPO / "metrics" / f"{experiment}.json").read_text())
        assert set(metrics) <= set(committed), f"{experiment}: {set(metrics) - set(committed)}"


def test_the_committed_rules_hold_the_notebook_targets():
    rules = gate_rules.load_rules(REPO / "gate.yaml")
    assert rules["blobs4"]["test_accuracy"].minimum == Decimal("0.92")
    assert rules["blobs2"]["test_accuracy"].minimum == Decimal("0.99")
    assert rules["regression"]["test_mse"].maximum == Decimal("0.0125")
    assert rules["blobs4"]["test_loss"].better == "lower"


def test_a_rule_reads_its_limits_as_exact_decimals():
    parsed = rule(better="higher", max_drop=0.005, max_drop_pct=1, min=0.92)
    assert parsed == gate_rules.Rule(
        "higher", Decimal("0.005"), Decimal("1"), Decimal("0.92"), None
    )
    assert parsed.describe() == "better higher, max_drop 0.005, max_drop_pct 1, min 0.92"


@pytest.mark.parametrize(
    "raw, message",
    [
        (
            {"better": "higher", "max_dorp": 0.1},
            "exp.metric.max_dorp: unknown key; did you mean max_drop?",
        ),
        ({"max_drop": 0.1}, "exp.metric.better: missing"),
        (
            {"better": "up", "max_drop": 0.1},
            "exp.metric.better: got 'up', expected higher or lower",
        ),
        (
            {"better": "higher", "max_rise": 0.1},
            "max_rise: applies to better: lower; with better: higher use max_drop",
        ),
        ({"better": "lower", "max_drop_pct": 1}, "use max_rise_pct"),
        ({"better": "higher", "max_drop": -0.1}, "max_drop: got -0.1, expected a number >= 0"),
        (
            {"better": "higher", "max_drop": "1e-3"},
            "max_drop: got '1e-3', expected a number >= 0",
        ),
        ({"better": "higher", "min": True}, "exp.metric.min: got True, expected a finite number"),
        ({"better": "higher", "min": float("nan")}, "exp.metric.min: got nan"),
        ({"better": "higher"}, "exp.metric: no limit; give at least one of max_drop, max_drop_pct"),
        ({"better": "lower", "min": 2, "max": 1}, "exp.metric: min 2 is above max 1"),
    ],
)
def test_a_bad_rule_is_one_line_naming_key_value_and_what_is_allowed(raw, message):
    with pytest.raises(GateError, match="^gate.yaml: ") as error:
        gate_rules.parse_rule("exp.metric", raw)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    "text, message",
    [
        ("- a\n- b\n", "top level: got ['a', 'b'], expected a mapping"),
        ("blobs4: 3\n", "blobs4: got 3, expected a mapping of metric -> rule"),
        (
            "blobs4:\n  test_accuracy: higher\n",
            "blobs4.test_accuracy: got 'higher', expected a mapping",
        ),
        ("blobs4: [1\n", "cannot read rules"),
    ],
)
def test_a_bad_rules_file_is_a_gate_error(tmp_path, text, message):
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(GateError) as error:
        gate_rules.load_rules(path)
    assert message in str(error.value)


def test_rules_are_read_like_params_so_1e_3_is_a_number(tmp_path):
    # YAML 1.1 (PyYAML) reads 1e-3 as the string '1e-3'; the reader of params.yaml, as DVC's, does not.
    path = tmp_path / "rules.yaml"
    path.write_text("blobs4:\n  test_loss:\n    better: lower\n    max_rise: 1e-3\n")
    assert read_yaml(path)["blobs4"]["test_loss"]["max_rise"] == 0.001
    assert gate_rules.load_rules(path)["blobs4"]["test_loss"].max_worse == Decimal("0.001")


def test_an_empty_rules_file_gates_nothing(tmp_path):
    (tmp_path / "rules.yaml").write_text("# nothing gated yet\n")
    assert gate_rules.load_rules(tmp_path / "rules.yaml") == {}


@pytest.mark.parametrize("value", [0, 1, 1.5, -0.1, "0.05", None])
def test_a_bad_significance_level_is_one_line(value):
    with pytest.raises(GateError) as error:
        rule(better="higher", significant_at=value)
    assert str(error.value) == (
        f"gate.yaml: exp.metric.significant_at: got {value!r}, "
        "expected a p-value level in (0, 1), such as 0.05"
    )


def test_significant_at_alone_is_a_rule():
    assert rule(better="lower", significant_at=0.01).describe() == (
        "better lower, significant_at 0.01"
    )
