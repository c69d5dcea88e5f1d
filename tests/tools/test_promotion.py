"""tools.promotion: a promotion's judgement, on sides built as DVC returns them."""

import numpy as np
import pandas as pd
import pytest

from gate.revision_metrics import Side
from tests.gate.helpers import BASE_METRICS, PROJECT, N, changed, points, rule, side
from tools import promotion

RULES = {
    "blobs4": {
        "test_accuracy": rule(better="higher", max_drop=0.005, significant_at=0.05),
        "test_loss": rule(better="lower", max_rise=0.05),
    },
    "regression": {"test_mse": rule(better="lower", max=0.0125)},
}
PARAMS = {"experiments": {"blobs4": {"split": {"test_size": 0.2}}, "regression": {}}}


def blobs4_side(name, accuracy, wrong):
    """A side whose blobs4 test_accuracy is ``accuracy``, with ``wrong`` test points wrong."""
    metrics = changed("metrics/blobs4.json", test_accuracy=accuracy)
    made = side(name, metrics, params=PARAMS)
    made.points["blobs4"] = points(wrong)
    return made


def test_a_significant_improvement_of_the_first_rule_is_promoted():
    base = blobs4_side("blobs4@v1.0.0", 0.9, range(80))
    new = blobs4_side("HEAD", 0.95, range(40))
    judged = promotion.judge("blobs4", base, new, RULES, PROJECT)
    assert judged.passed
    assert judged.lines == [
        "blobs4 test_accuracy: 0.9 -> 0.95: significantly better (p < 0.001 < 0.05)"
    ]


def test_a_change_within_noise_is_refused_as_not_significantly_better():
    base = blobs4_side("blobs4@v1.0.0", 0.93, range(56))
    new = blobs4_side("HEAD", 0.93125, range(1, 56))  # one point better
    judged = promotion.judge("blobs4", base, new, RULES, PROJECT)
    assert not judged.passed
    assert judged.lines == [
        "blobs4 test_accuracy: 0.93 -> 0.93125: not significantly better (better, p 1 >= 0.05)"
    ]


def test_the_same_model_is_no_improvement():
    base = blobs4_side("blobs4@v1.0.0", 0.93, range(56))
    new = blobs4_side("HEAD", 0.93, range(56))
    judged = promotion.judge("blobs4", base, new, RULES, PROJECT)
    assert not judged.passed and "(no change, p 1 >= 0.05)" in judged.lines[0]


def test_a_worse_model_is_refused_with_the_gates_lines():
    base = blobs4_side("blobs4@v1.0.0", 0.95, range(40))
    new = blobs4_side("HEAD", 0.9, range(80))
    judged = promotion.judge("blobs4", base, new, RULES, PROJECT)
    assert not judged.passed
    (line,) = judged.lines
    assert line.startswith("blobs4 test_accuracy: 0.95 (blobs4@v1.0.0) -> 0.9 (HEAD): dropped by")


def test_without_per_point_results_no_improvement_can_be_told_from_noise():
    base = side("blobs4@v1.0.0", params=PARAMS)
    new = side("HEAD", changed("metrics/blobs4.json", test_accuracy=0.99), params=PARAMS)
    judged = promotion.judge("blobs4", base, new, RULES, PROJECT)
    assert not judged.passed
    assert judged.lines == [
        "blobs4: no rule's metric has per-point results on both sides to tell a change from noise"
    ]


def test_the_first_version_is_judged_by_the_rules_that_need_no_base():
    rules = {"regression": {"test_mse": rule(better="lower", max=0.0125, max_rise_pct=1)}}
    passing = promotion.judge("regression", None, side("HEAD", params=PARAMS), rules, PROJECT)
    assert passing.passed
    assert passing.lines == ["regression: passes every rule that needs no base (test_mse 0.010961)"]
    too_high = side("HEAD", changed("metrics/regression.json", test_mse=0.02), params=PARAMS)
    failing = promotion.judge("regression", None, too_high, rules, PROJECT)
    assert not failing.passed
    assert failing.lines[0].startswith("regression test_mse: — (no version) -> 0.02 (HEAD): above")


def test_other_experiments_have_no_say_in_a_promotion():
    # regression's metrics file is missing on both sides: the gate fails it, not blobs4's.
    files = {"metrics/blobs4.json": BASE_METRICS["metrics/blobs4.json"]}
    base, new = side("v1", files, params=PARAMS), side("HEAD", files, params=PARAMS)
    base.points["blobs4"] = new.points["blobs4"] = points(range(56))
    judged = promotion.judge("blobs4", base, new, RULES, PROJECT)
    assert judged.lines == [
        "blobs4 test_accuracy: 0.93 -> 0.93: not significantly better (no change, p 1 >= 0.05)"
    ]


def test_an_experiment_without_rules_cannot_be_promoted():
    with pytest.raises(promotion.RegistryError, match="gate.yaml has no rules for 'blobs2'"):
        promotion.judge("blobs2", None, side("HEAD"), RULES, PROJECT)


def test_only_keeps_one_experiments_part_of_a_side():
    made = blobs4_side("HEAD", 0.93, range(3))
    made.problems.append("a side-wide problem")
    kept = promotion.only(made, "blobs4")
    assert isinstance(kept, Side) and kept.experiments == ("blobs4",)
    assert set(kept.metrics) == set(kept.paths) == set(kept.points) == {"blobs4"}
    assert kept.problems == ["a side-wide problem"] and kept.params == made.params
    assert np.array_equal(kept.points["blobs4"]["predicted"], made.points["blobs4"]["predicted"])
    assert len(made.points["blobs4"]) == N


def test_the_first_rule_with_per_point_results_decides_the_improvement():
    # test_r2 (first) has no per-point column: test_mse's paired t-test decides.
    rules = {
        "regression": {
            "test_r2": rule(better="higher", min=0.1),
            "test_mse": rule(better="lower", max=1.0),
        }
    }
    base = side("v1", changed("metrics/regression.json", test_r2=0.4), params=PARAMS)
    new = side(
        "HEAD", changed("metrics/regression.json", test_r2=0.7, test_mse=0.005), params=PARAMS
    )
    errors = np.linspace(0.005, 0.017, N)
    base.points["regression"] = pd.DataFrame({"squared_error": errors})
    new.points["regression"] = pd.DataFrame({"squared_error": errors * 0.5})
    judged = promotion.judge("regression", base, new, rules, PROJECT)
    assert judged.passed and judged.lines[0].startswith(
        "regression test_mse: 0.010961 -> 0.005: significantly better (p"
    )
