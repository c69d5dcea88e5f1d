"""tools.gather's pure parts: the ranking metric, the order and the table."""

import pytest

from gate import report as gate_report
from gate.errors import GateError
from gate.rules import Rule
from tools import gather

RULES = {
    "blobs4": {"test_accuracy": Rule("higher"), "test_loss": Rule("lower")},
    "regression": {"test_mse": Rule("lower")},
}
SWEPT = ["experiments.regression.train.epochs=1,2"]


def test_the_default_metric_is_the_first_rule_of_the_swept_experiment():
    assert gather.parse_by("", RULES, SWEPT) == gather.Order("regression", "test_mse", False)
    assert gather.parse_by("", RULES, ["other.yaml:a=1,2"]) == gather.Order(
        "blobs4", "test_accuracy", True
    )


def test_by_takes_its_direction_from_the_rule_or_from_its_suffix():
    assert gather.parse_by("blobs4.test_loss", RULES, SWEPT).higher is False
    assert gather.parse_by("blobs2.test_accuracy:higher", RULES, SWEPT).higher is True
    with pytest.raises(GateError, match="blobs2.test_accuracy has no rule .* add :higher"):
        gather.parse_by("blobs2.test_accuracy", RULES, SWEPT)
    with pytest.raises(GateError, match="expected EXP.METRIC"):
        gather.parse_by("test_accuracy", RULES, SWEPT)


def values(accuracy, rate):
    found = {("params", "blobs4", "train", "learning_rate"): rate}
    if accuracy is not None:
        found[("metrics", "blobs4", "test_accuracy")] = accuracy
    found[("metrics", "blobs2", "test_accuracy")] = 0.99  # the same everywhere: not shown
    return found


FOUND = {"s-1": values(0.9, 0.003), "s-2": values(0.95, 0.01), "s-3": values(None, 0.1)}
ORDER = gather.Order("blobs4", "test_accuracy", True)


def test_runs_are_ranked_best_first_and_those_without_the_metric_last():
    assert gather.ranked(FOUND, ORDER) == ["s-2", "s-1", "s-3"]
    lower = gather.Order("blobs4", "test_accuracy", False)
    assert gather.ranked(FOUND, lower) == ["s-1", "s-2", "s-3"]


def test_the_table_shows_what_differs_best_first_with_the_verdicts():
    shards = {"s-1": "1/2", "s-2": "2/2", "s-3": "1/2"}
    verdicts = {"s-1": ("passed", []), "s-2": ("failed (1)", ["x"]), "s-3": ("passed", [])}
    header, rows = gather.table_rows(values(0.93, 0.01), FOUND, ORDER, shards, verdicts)
    assert header == [
        "rank", "run", "shard", "blobs4 learning_rate", "blobs4 test_accuracy", "gate"
    ]  # fmt: skip
    assert rows == [
        ["base", "HEAD", "", "0.01", "0.93", ""],
        ["1", "s-2", "2/2", "0.01", "0.95", "failed (1)"],
        ["2", "s-1", "1/2", "0.003", "0.9", "passed"],
        ["3", "s-3", "1/2", "0.1", "", "passed"],
    ]
    assert gate_report.markdown_table(header, rows).splitlines()[:3] == [
        "| rank | run | shard | blobs4 learning_rate | blobs4 test_accuracy | gate |",
        "| --- | --- | --- | --- | --- | --- |",
        "| base | HEAD |   | 0.01 | 0.93 |   |",
    ]
