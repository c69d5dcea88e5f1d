"""What an experiment predicts: a type, so that a typo is an error and not another branch.

Each module that acts by task keeps a table keyed by Task (the Keras loss, the metrics, the
pictures...), so a third task means adding a row to each table, found by searching for Task.
"""

from enum import StrEnum


class Task(StrEnum):
    """An experiment's task, written as its value in params.yaml and the settings files."""

    CLASSIFICATION = "classification"
    REGRESSION = "regression"
