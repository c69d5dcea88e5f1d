"""The metric gate's rules file (gate.rules): keys, limits as exact decimals, one-line errors."""

import json
from decimal import Decimal

import pytest
from dvc.utils.serialize import parse_yaml

from bench.workspace import REPO
from gate import rules as gate_rules
from gate.errors import GateError
from gate.project import Project
from gate.revision_metrics import flatten
from tests.gate.helpers import PROJECT, rule
from tests.notebook_params import NOTEBOOK_GATE

# --- rules ---------------------------------------------------------------------------------


ALLOWED = (
    "better, max_drop, max_drop_pct, max_rise, max_rise_pct, min, max, beats, within, "
    "within_pct, significant_at"
)


def test_the_committed_rules_load_and_name_only_metrics_that_exist():
    project, rules = gate_rules.load_rules(REPO / "gate.yaml")
    assert project == PROJECT
    experiments = gate_rules.read_yaml(REPO / "params.yaml")["experiments"]
    assert rules, "gate.yaml gates nothing"
    for experiment, metrics in rules.items():
        assert experiment in experiments
        committed = flatten(json.loads((REPO / "metrics" / f"{experiment}.json").read_text()))
        assert set(metrics) <= set(committed), f"{experiment}: {set(metrics) - set(committed)}"
        references = {ref.metric for rule in metrics.values() for ref in rule.references}
        missing = {(experiment, name) for name in references - set(committed)}
        assert missing == set(), experiment


def test_a_rules_file_loads_every_rule_with_its_limits_as_written(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(NOTEBOOK_GATE)  # the notebook's targets, in gate.yaml's layout
    Rule = gate_rules.Rule
    _, rules = gate_rules.load_rules(path)
    assert rules == {
        "blobs4": {
            "test_accuracy": Rule(
                "higher",
                max_worse=Decimal("0.005"),
                minimum=Decimal("0.92"),
                significant_at=Decimal("0.05"),
            ),
            "test_loss": Rule(
                "lower",
                max_worse=Decimal("0.005"),
                maximum=Decimal("0.1815"),
                significant_at=Decimal("0.05"),
            ),
        },
        "blobs2": {
            "test_accuracy": Rule("higher", minimum=Decimal("0.99")),
            "test_loss": Rule("lower", max_worse_pct=Decimal("10"), significant_at=Decimal("0.05")),
        },
        "regression": {
            "test_mse": Rule(
                "lower",
                max_worse_pct=Decimal("5"),
                maximum=Decimal("0.0125"),
                significant_at=Decimal("0.05"),
            )
        },
    }


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
        (
            {"better": "higher"},
            "exp.metric: no limit; give at least one of max_drop, max_drop_pct, min, max, beats, "
            "within, within_pct, significant_at",
        ),
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
        (
            "- a\n- b\n",
            "top level: got ['a', 'b'], expected a mapping of experiment -> metric -> rule",
        ),
        ("blobs4: 3\n", "blobs4: got 3, expected a mapping of metric -> rule"),
        (
            "blobs4:\n  test_accuracy: higher\n",
            f"blobs4.test_accuracy: got 'higher', expected a mapping of {ALLOWED}",
        ),
        (
            "blobs4:\n  test_loss:\n    better: up\n",
            "blobs4.test_loss.better: got 'up', expected higher or lower",
        ),
    ],
)
def test_a_bad_rules_file_is_a_gate_error_naming_that_file(tmp_path, text, message):
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(GateError) as error:
        gate_rules.load_rules(path)
    assert str(error.value) == f"{path}: {message}"


def test_a_rules_file_that_is_not_yaml_is_a_gate_error(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("blobs4: [1\n")
    with pytest.raises(GateError) as error:
        gate_rules.load_rules(path)
    assert str(error.value).startswith(f"{path}: cannot read rules: ")
    assert "\n" not in str(error.value)


def test_rules_are_read_like_params_so_1e_3_is_a_number(tmp_path):
    # YAML 1.1 (PyYAML) reads 1e-3 as the string '1e-3'; DVC's reader of params.yaml does not.
    path = tmp_path / "rules.yaml"
    text = "blobs4:\n  test_loss:\n    better: lower\n    max_rise: 1e-3\n    max: 5E+2\n"
    path.write_text(text)
    read = gate_rules.read_yaml(path)
    assert read == parse_yaml(text, str(path))  # DVC's own reader
    assert read["blobs4"]["test_loss"]["max_rise"] == 0.001
    _, rules = gate_rules.load_rules(path)
    assert rules["blobs4"]["test_loss"].max_worse == Decimal("0.001")
    assert rules["blobs4"]["test_loss"].maximum == Decimal("500.0")


def test_a_tag_the_safe_reader_does_not_know_is_a_rules_file_it_cannot_read(tmp_path):
    # DVC reads params with the safe loader, which refuses tags; a round-trip loader would
    # read them as tagged values.
    path = tmp_path / "rules.yaml"
    path.write_text("blobs4:\n  test_loss: {better: lower, max: !custom 3}\n")
    with pytest.raises(GateError) as error:
        gate_rules.load_rules(path)
    assert str(error.value).startswith(
        f"{path}: cannot read rules: could not determine a constructor for the tag '!custom'"
    )


def test_an_empty_rules_file_gates_nothing_and_reads_no_project_layout(tmp_path):
    (tmp_path / "rules.yaml").write_text("# nothing gated yet\n")
    assert gate_rules.load_rules(tmp_path / "rules.yaml") == (Project(), {})


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


@pytest.mark.parametrize(
    "raw, message",
    [
        ("higher", f"exp.metric: got 'higher', expected a mapping of {ALLOWED}"),
        (
            {"better": "higher", "max_dorp": 0.1},
            f"exp.metric.max_dorp: unknown key; did you mean max_drop? allowed: {ALLOWED}",
        ),
        ({"better": "higher", "zzz": 1}, f"exp.metric.zzz: unknown key; allowed: {ALLOWED}"),
    ],
)
def test_a_rule_that_is_not_a_mapping_of_known_keys_lists_the_keys(raw, message):
    with pytest.raises(GateError) as error:
        gate_rules.parse_rule("exp.metric", raw)
    assert str(error.value) == f"gate.yaml: {message}"


def test_min_may_equal_max_and_either_may_be_negative():
    assert rule(better="higher", min=0.5, max=0.5) == gate_rules.Rule(
        "higher", minimum=Decimal("0.5"), maximum=Decimal("0.5")
    )
    assert rule(better="higher", min=-2, max=-0.5).describe() == "better higher, min -2, max -0.5"


@pytest.mark.parametrize(
    "value, signed, text",
    [
        (Decimal("0.5"), True, "+0.5"),
        (Decimal("1"), True, "+1"),
        (Decimal("2.50"), True, "+2.5"),
        (Decimal("0.00"), True, "0"),
        (Decimal("-0.0"), False, "0"),  # to_decimal(-0.0), or 0.0 - 0.0 as decimals: no "-0"
        (Decimal("-0.0075"), True, "-0.0075"),
        (Decimal("0.5"), False, "0.5"),
    ],
)
def test_decimals_are_written_plainly_with_a_sign_only_when_asked(value, signed, text):
    assert gate_rules.format_decimal(value, signed=signed) == text


def test_a_negative_zero_limit_is_written_as_0():
    assert rule(better="higher", min=-0.0).describe() == "better higher, min 0"


def test_a_rules_document_error_names_the_default_source():
    with pytest.raises(GateError) as error:
        gate_rules.parse_gate_file(["a"])
    assert str(error.value) == (
        "gate.yaml: top level: got ['a'], expected a mapping of experiment -> metric -> rule"
    )
    with pytest.raises(GateError) as error:
        gate_rules.parse_gate_file({"blobs4": {}}, "rules.yaml")
    assert str(error.value) == "rules.yaml: blobs4: got {}, expected a mapping of metric -> rule"
    with pytest.raises(GateError) as error:
        gate_rules.parse_rules({"b": {"m": {"better": "up"}}})
    assert str(error.value) == "gate.yaml: b.m.better: got 'up', expected higher or lower"


def test_the_project_section_is_read_from_the_file_and_is_no_experiment(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(
        "project:\n  experiments_param: models\nm1:\n  auc: {better: higher, min: 0.5}\n"
    )
    project, rules = gate_rules.load_rules(path)
    assert project == Project(experiments_param="models")
    assert list(rules) == ["m1"] and rules["m1"]["auc"].minimum == Decimal("0.5")
    assert gate_rules.parse_gate_file({"project": None}) == (Project(), {})
    path.write_text("project:\n  experiments: models\n")
    with pytest.raises(GateError) as error:
        gate_rules.load_rules(path)
    assert str(error.value) == (
        f"{path}: project.experiments: unknown key; did you mean experiments_param? allowed: "
        "experiments_param, metrics_file, points, curves"
    )


def test_a_missing_rules_file_is_one_line_with_the_reason(tmp_path):
    path = tmp_path / "rules.yaml"
    with pytest.raises(GateError) as error:
        gate_rules.load_rules(path)
    assert str(error.value) == (
        f"{path}: cannot read rules: [Errno 2] No such file or directory: '{path}'"
    )


# --- references: beats, within, within_pct ---------------------------------------------------

Reference = gate_rules.Reference


def test_beats_names_one_metric_or_a_list_and_within_maps_metrics_to_margins():
    assert rule(better="higher", beats="mean_r2") == gate_rules.Rule(
        "higher", references=(Reference("beats", "mean_r2"),)
    )
    parsed = rule(
        better="lower",
        max_rise=0.001,
        beats=["mean_mse", "linreg_mse"],
        within={"noise_floor_mse": 0.002, "test_precision.benign": 0},
        within_pct={"linreg_mse": 5},
        significant_at=0.05,
    )
    assert parsed.references == (
        Reference("beats", "mean_mse"),
        Reference("beats", "linreg_mse"),
        Reference("within", "noise_floor_mse", Decimal("0.002")),
        Reference("within", "test_precision.benign", Decimal("0")),
        Reference("within_pct", "linreg_mse", Decimal("5")),
    )
    assert parsed.describe() == (
        "better lower, max_rise 0.001, beats mean_mse, beats linreg_mse, within 0.002 of "
        "noise_floor_mse, within 0 of test_precision.benign, within_pct 5 of linreg_mse, "
        "significant_at 0.05"
    )


@pytest.mark.parametrize(
    "raw, described",
    [
        ({"beats": "majority_accuracy"}, "better higher, beats majority_accuracy"),
        ({"within": {"bayes_accuracy": 0.01}}, "better higher, within 0.01 of bayes_accuracy"),
        (
            {"within_pct": {"noise_floor_mse": 50}},
            "better higher, within_pct 50 of noise_floor_mse",
        ),
    ],
)
def test_a_reference_alone_is_a_limit(raw, described):
    assert rule(better="higher", **raw).describe() == described


def test_a_reference_margin_is_an_exact_decimal_and_keys_are_names():
    parsed = rule(better="higher", within={1: 0.1}, within_pct={"a": 1e-3})
    assert parsed.references == (
        Reference("within", "1", Decimal("0.1")),
        Reference("within_pct", "a", Decimal("0.001")),
    )


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"beats": 3}, "exp.metric.beats: got 3, expected a metric's name or a list of them"),
        ({"beats": ""}, "exp.metric.beats: got '', expected a metric's name or a list of them"),
        ({"beats": []}, "exp.metric.beats: got [], expected a metric's name or a list of them"),
        (
            {"beats": ["mean_r2", 1]},
            "exp.metric.beats: got ['mean_r2', 1], expected a metric's name or a list of them",
        ),
        (
            {"beats": ["mean_r2", ""]},
            "exp.metric.beats: got ['mean_r2', ''], expected a metric's name or a list of them",
        ),
        (
            {"beats": {"mean_r2": 1}},
            "exp.metric.beats: got {'mean_r2': 1}, expected a metric's name or a list of them",
        ),
        (
            {"within": "linreg_r2"},
            "exp.metric.within: got 'linreg_r2', expected a mapping of metric -> a number >= 0",
        ),
        (
            {"within": {}},
            "exp.metric.within: got {}, expected a mapping of metric -> a number >= 0",
        ),
        (
            {"within_pct": None},
            "exp.metric.within_pct: got None, expected a mapping of metric -> a number >= 0",
        ),
        (
            {"within": {"linreg_r2": -0.05}},
            "exp.metric.within.linreg_r2: got -0.05, expected a number >= 0",
        ),
        (
            {"within_pct": {"linreg_mse": "5"}},
            "exp.metric.within_pct.linreg_mse: got '5', expected a number >= 0",
        ),
        (
            {"within": {"a": 0.1, "b": True}},
            "exp.metric.within.b: got True, expected a number >= 0",
        ),
        (
            {"within_pct": {"a": float("inf")}},
            "exp.metric.within_pct.a: got inf, expected a number >= 0",
        ),
        (
            {"within": {"a": None}},
            "exp.metric.within.a: got None, expected a number >= 0",
        ),
    ],
)
def test_a_bad_reference_is_one_line_naming_key_value_and_what_is_allowed(raw, message):
    with pytest.raises(GateError) as error:
        rule(better="higher", **raw)
    assert str(error.value) == f"gate.yaml: {message}"


def test_a_bad_reference_names_the_rules_file(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("cancer:\n  test_accuracy: {better: higher, within: {logreg_accuracy: -1}}\n")
    with pytest.raises(GateError) as error:
        gate_rules.load_rules(path)
    assert str(error.value) == (
        f"{path}: cancer.test_accuracy.within.logreg_accuracy: got -1, expected a number >= 0"
    )


def test_a_rules_file_reads_references_to_nested_metrics_by_their_dotted_names(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(
        "cancer:\n"
        "  test_precision.malignant:\n"
        "    better: higher\n"
        "    beats: majority_precision.malignant\n"
        "    within_pct: {logreg_precision.malignant: 2.5}\n"
    )
    _, rules = gate_rules.load_rules(path)
    assert rules == {
        "cancer": {
            "test_precision.malignant": gate_rules.Rule(
                "higher",
                references=(
                    Reference("beats", "majority_precision.malignant"),
                    Reference("within_pct", "logreg_precision.malignant", Decimal("2.5")),
                ),
            )
        }
    }


def test_a_negative_zero_margin_is_written_as_0():
    assert rule(better="lower", within={"m": -0.0}).describe() == "better lower, within 0 of m"
