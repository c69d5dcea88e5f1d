"""pipeline.settings: the typed records a stage reads, and the files that carry them."""

import json
import re
from typing import Annotated

import pytest
from pydantic import BaseModel, Strict, TypeAdapter, ValidationError

from pipeline import settings
from pipeline.errors import SettingsError
from pipeline.fingerprint import code_files
from pipeline.params import parse_params
from tests.notebook_params import NOTEBOOK_NAMES, notebook_params
from tests.pipeline.test_params import TABLE_EXPERIMENT, set_key

# --- stage settings files ---


@pytest.fixture(scope="module")
def experiments():
    return parse_params(notebook_params())


def test_settings_are_frozen(experiments):
    with pytest.raises(AttributeError):
        experiments["blobs4"].train.epochs = 3  # type: ignore[misc]


def test_stage_settings_hold_only_the_stage_sections(experiments):
    blobs4 = experiments["blobs4"]
    # evaluate reads no section: a model edit changes its weights, not its settings file.
    assert settings.stage_settings(blobs4, "evaluate") == {
        "name": "blobs4",
        "task": "classification",
    }
    assert settings.stage_settings(blobs4, "split") == {
        "name": "blobs4",
        "task": "classification",
        "split": {"test_size": 0.2, "random_state": 42, "stratify": False},
    }
    train = settings.stage_settings(experiments["regression"], "train")
    assert sorted(train) == ["model", "name", "task", "train"]
    assert train["model"] == {
        "hidden_units": (),
        "hidden_activation": "relu",
        "output_activation": "sigmoid",
        "preprocessing": "none",
        "standardize_target": False,
    }


@pytest.mark.parametrize("stage", list(settings.STAGE_SECTIONS))
@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_stage_settings_round_trip_through_json(experiments, tmp_path, stage, name):
    experiment = experiments[name]
    path = tmp_path / f"{stage}.json"
    path.write_text(json.dumps(settings.stage_settings(experiment, stage)))

    read = settings.read_stage_settings(path, stage)

    sections = settings.STAGE_SECTIONS[stage]
    assert read == settings.Experiment(
        name=name,
        task=experiment.task,
        **{section: getattr(experiment, section) for section in sections},
    )
    for section in ("data", "split", "model", "train", "plot"):
        if section not in sections:
            assert getattr(read, section) is None


def test_stage_settings_round_trip_with_centre_list(tmp_path):
    params = set_key(notebook_params(), "blobs4.data.centers", [[0, 0], [3, 4.5]])
    experiment = parse_params(params)["blobs4"]
    path = tmp_path / "generate.json"
    path.write_text(json.dumps(settings.stage_settings(experiment, "generate")))

    read = settings.read_stage_settings(path, "generate")

    assert read.data == experiment.data
    assert read.data.centers == ((0.0, 0.0), (3.0, 4.5))


def test_read_stage_settings_missing_file(tmp_path):
    path = tmp_path / "absent" / "train.json"
    with pytest.raises(
        SettingsError,
        match=rf"^{re.escape(str(path))}: not a settings file written by the validate stage",
    ):
        settings.read_stage_settings(path, "train")


@pytest.mark.parametrize("text", ["not json", '{"task": "regression"}', '"a string"', "3", ""])
def test_read_stage_settings_malformed_file(tmp_path, text):
    path = tmp_path / "train.json"
    path.write_text(text)
    with pytest.raises(
        SettingsError,
        match=rf"^{re.escape(str(path))}: not a settings file written by the validate stage \(.+\)$",
    ):
        settings.read_stage_settings(path, "train")


def test_read_stage_settings_json_list_names_the_file(tmp_path):
    path = tmp_path / "train.json"
    path.write_text("[1, 2]")
    with pytest.raises(SettingsError, match=rf"^{re.escape(str(path))}: not a settings file"):
        settings.read_stage_settings(path, "train")


def test_read_stage_settings_checks_the_sections_again(experiments, tmp_path):
    raw = settings.stage_settings(experiments["blobs4"], "train")
    raw["train"]["epochs"] = 0
    path = tmp_path / "train.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(
        SettingsError,
        match=rf"^{re.escape(str(path))}: not a settings file written by the validate stage "
        r"\(train\.epochs: an integer >= 1\)$",
    ):
        settings.read_stage_settings(path, "train")


def test_read_stage_settings_rejects_sections_of_another_stage(experiments, tmp_path):
    path = tmp_path / "split.json"
    path.write_text(json.dumps(settings.stage_settings(experiments["blobs4"], "train")))
    with pytest.raises(
        SettingsError,
        match=rf"^{re.escape(str(path))}: not a settings file written by the validate stage "
        r"\(sections \('model', 'train'\), expected \('split',\)\)$",
    ):
        settings.read_stage_settings(path, "split")


def test_read_stage_settings_refuses_an_unknown_key(experiments, tmp_path):
    path = tmp_path / "split.json"
    path.write_text(json.dumps({**settings.stage_settings(experiments["blobs4"], "split"), "x": 1}))
    with pytest.raises(
        SettingsError,
        match=rf"^{re.escape(str(path))}: not a settings file written by the validate stage "
        r"\(x: Unexpected keyword argument\)$",
    ):
        settings.read_stage_settings(path, "split")


@pytest.mark.parametrize("stage", list(settings.STAGE_SECTIONS))
def test_a_stage_reads_its_settings_without_the_params_checks(stage):
    assert "pipeline/settings.py" in code_files(f"stages.{stage}")
    assert "pipeline/params.py" not in code_files(f"stages.{stage}")


# --- expecting: one problem saying what is allowed ---


class _Point(BaseModel):
    a: int


def expected_problems(annotation, value):
    """The problems a TypeAdapter of ``annotation`` reports for ``value`` (no URLs)."""
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(annotation).validate_python(value)
    return caught.value.errors(include_url=False)


def test_expected_replaces_pydantic_s_problems_with_one_saying_what_is_allowed():
    integer = Annotated[int, Strict(), settings.expecting("an integer")]
    assert TypeAdapter(integer).validate_python(5) == 5
    assert expected_problems(integer, "x") == [
        {"type": "expected", "loc": (), "msg": "an integer", "input": "x"}
    ]


def test_expected_judges_the_whole_value_unless_told_not_to():
    points = dict[str, _Point]
    whole = Annotated[points, settings.expecting("a mapping of points")]
    assert expected_problems(whole, {"k": {"a": "x"}}) == [
        {"type": "expected", "loc": (), "msg": "a mapping of points", "input": {"k": {"a": "x"}}}
    ]
    outer = Annotated[points, settings.expecting("a mapping of points", nested=False)]
    assert TypeAdapter(outer).validate_python({"k": {"a": 1}}) == {"k": _Point(a=1)}
    # A problem inside the value is reported as pydantic found it...
    [inner] = expected_problems(outer, {"k": {"a": "x"}})
    assert (inner["type"], inner["loc"], inner["input"]) == ("int_parsing", ("k", "a"), "x")
    # ...and one with the value itself still says what is allowed.
    assert expected_problems(outer, 5) == [
        {"type": "expected", "loc": (), "msg": "a mapping of points", "input": 5}
    ]


# --- an experiment on a table of the user's ---


@pytest.fixture(scope="module")
def iris():
    return parse_params({"experiments": {"iris": TABLE_EXPERIMENT}})["iris"]


def test_a_table_experiments_stage_settings_say_it_is_a_table(iris):
    assert settings.stage_settings(iris, "split") == {
        "name": "iris",
        "task": "classification",
        "table": True,
        "split": {"test_size": 0.25, "random_state": 1, "stratify": False},
    }


@pytest.mark.parametrize("stage", list(settings.STAGE_SECTIONS))
def test_a_table_experiments_stage_settings_round_trip(iris, tmp_path, stage):
    # Most stages' files have no data section to tell a table by: their "table" key does.
    path = tmp_path / f"{stage}.json"
    path.write_text(json.dumps(settings.stage_settings(iris, stage)))

    read = settings.read_stage_settings(path, stage)

    sections = settings.STAGE_SECTIONS[stage]
    assert read == settings.Experiment(
        name="iris",
        task="classification",
        table=True,
        **{section: getattr(iris, section) for section in sections},
    )
