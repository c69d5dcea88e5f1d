"""params.schema.json: generated from pipeline.params, committed, and right about params.yaml."""

import copy
import json

import jsonschema
import pytest

from bench.workspace import REPO
from pipeline.files import read_yaml
from tests.notebook_params import notebook_params
from tools import params_schema

SCHEMA_FILE = REPO / "params.schema.json"


@pytest.fixture(scope="module")
def schema():
    """The committed schema, checked to be a valid JSON Schema itself."""
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


@pytest.fixture
def params():
    """The tests' own params (the notebook's three experiments): each test changes its copy."""
    return notebook_params()


def schema_errors(schema, params):
    return list(jsonschema.Draft202012Validator(schema).iter_errors(params))


def test_the_committed_schema_is_up_to_date():
    assert SCHEMA_FILE.read_text() == params_schema.schema_text(), (
        f"params.schema.json is out of date with pipeline/settings.py or params.py: run `{params_schema.COMMAND}`"
    )


def test_params_yaml_names_the_schema_in_its_first_line():
    first = (REPO / "params.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=params.schema.json"


def test_the_committed_params_are_valid(schema):
    # Whatever experiments and values a user gives it: what the editor checks is what holds.
    assert schema_errors(schema, read_yaml(REPO / "params.yaml")) == []


def test_the_tests_own_params_are_valid(schema, params):
    # The tests below break one thing each in these: the schema must refuse only that.
    assert schema_errors(schema, params) == []


def test_the_schema_carries_the_descriptions_editors_show(schema):
    model = schema["$defs"]["Model"]
    assert "linear softmax classifier" in model["properties"]["hidden_units"]["description"]
    assert "make_blobs" in schema["$defs"]["BlobsData"]["description"]
    assert "dvc exp run -S" in schema["description"]


@pytest.mark.parametrize(
    "dotted, value",
    [
        ("blobs4.train.epochs", -1),
        ("blobs4.train.optimizer", "sgdd"),
        ("blobs4.model.hidden_activation", "gelu"),
        ("blobs4.split.test_size", 1),
        ("blobs4.data.cluster_std", True),
    ],
)
def test_a_bad_value_is_refused_by_the_schema_too(schema, params, dotted, value):
    *parents, last = dotted.split(".")
    node = params["experiments"]
    for key in parents:
        node = node[key]
    node[last] = value
    assert schema_errors(schema, params)


def test_an_unknown_key_is_refused(schema, params):
    train = params["experiments"]["blobs4"]["train"]
    train["epoch"] = train.pop("epochs")
    assert schema_errors(schema, params)


def test_the_task_chooses_the_data_section(schema, params):
    experiments = params["experiments"]
    experiments["regression"]["data"] = copy.deepcopy(experiments["blobs4"]["data"])
    assert schema_errors(schema, params)

    experiments["regression"]["task"] = "classification"  # make_blobs' arguments suit a classifier
    assert schema_errors(schema, params) == []


def test_experiment_names_must_be_folder_names(schema, params):
    params["experiments"]["../x"] = params["experiments"]["blobs4"]
    assert schema_errors(schema, params)
