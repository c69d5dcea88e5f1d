"""tools.study_report: the study's CSV (only what the study decides) and its page."""

import csv

from optuna.distributions import CategoricalDistribution, FloatDistribution

from tools.gather import Order
from tools.study_report import Trial, best_of, csv_text, write_report

RATE = "experiments.blobs4.train.learning_rate"
OPTIMIZER = "experiments.blobs4.train.optimizer"
SPACE = {
    RATE: FloatDistribution(1e-4, 1e-1, log=True),
    OPTIMIZER: CategoricalDistribution(["adam", "sgd"]),
}
ORDER = Order("blobs4", "test_accuracy", higher=True)
TRIALS = [
    Trial(0, {RATE: 0.1 + 0.2, OPTIMIZER: "adam"}, 0.9, "tune-x-0"),
    Trial(1, {RATE: 1e-4, OPTIMIZER: "sgd"}, None, "tune-x-1", "error: training diverged"),
    Trial(2, {RATE: 0.01, OPTIMIZER: "sgd"}, 0.95, "tune-x-2"),
    Trial(3, {RATE: 0.02, OPTIMIZER: "adam"}, 0.95, "tune-x-3"),
]


def test_the_csv_has_a_row_per_trial_with_exact_values():
    text = csv_text(TRIALS, SPACE, ORDER)
    rows = list(csv.reader(text.splitlines()))
    assert rows[0] == ["number", RATE, OPTIMIZER, "blobs4.test_accuracy", "experiment", "state"]
    assert rows[1] == ["0", "0.30000000000000004", "adam", "0.9", "tune-x-0", "complete"]
    assert rows[2] == ["1", "0.0001", "sgd", "", "tune-x-1", "failed"]
    assert float(rows[1][1]) == 0.1 + 0.2  # read back, the same float
    assert "diverged" not in text  # error lines name temporary folders: on the page only


def test_the_best_is_the_first_of_equals_in_the_metrics_direction():
    assert best_of(TRIALS, higher=True).number == 2
    assert best_of(TRIALS, higher=False).number == 0
    assert best_of(TRIALS[1:2], higher=True) is None


def test_the_page_names_the_best_its_verdict_the_failures_and_the_picture(tmp_path):
    verdicts = {"tune-x-2": ("failed (1)", ["blobs4 test_accuracy: below 0.99"])}
    page = write_report(tmp_path, "tune-x", "SPACE TEXT", TRIALS, SPACE, ORDER, verdicts)
    text = page.read_text()
    assert "Best: trial 2 (`tune-x-2`), blobs4.test_accuracy = 0.95" in text
    assert "the gate against HEAD: failed (1)." in text
    assert "- blobs4 test_accuracy: below 0.99" in text
    assert "- tune-x-1: error: training diverged" in text
    assert "| 1 | 0.0001 | sgd |   | tune-x-1 | failed |" in text
    assert (tmp_path / "tune-x.png").read_bytes()[:4] == b"\x89PNG"
    again = tmp_path / "again"
    write_report(again, "tune-x", "SPACE TEXT", TRIALS, SPACE, ORDER, verdicts)
    assert (again / "tune-x.png").read_bytes() == (tmp_path / "tune-x.png").read_bytes()
