"""pipeline.files: atomic writes, modes, JSON and the one YAML reader."""

import os
import stat

import pytest
from ruamel.yaml.constructor import ConstructorError

from pipeline import files
from pipeline.errors import InputError


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_write_that_fails_half_way_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    seen = []

    def fail_half_way(tmp):
        seen.append(tmp)
        with open(tmp, "w") as out:
            out.write("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        files.write_atomic(target, fail_half_way)
    assert target.read_text() == "old"
    assert os.path.dirname(seen[0]) == str(tmp_path)  # beside its target: same filesystem
    assert os.path.basename(seen[0]).startswith(".out.txt.")
    assert seen[0].endswith(".tmp")  # a hidden *.tmp file: plainly not an output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_a_write_creates_the_missing_parent_folders(tmp_path):
    target = tmp_path / "a" / "b" / "out.txt"
    files.write_text(target, "text")
    assert target.read_text() == "text"
    files.write_text(target, "again")  # the folders existing already is fine
    assert target.read_text() == "again"


def test_a_written_file_gets_the_mode_open_would_give_it(tmp_path, umask_022):
    # mkstemp's 0600 would make outputs unreadable to the rest of a team sharing a machine.
    files.write_text(tmp_path / "a.txt", "x")
    files.write_json(tmp_path / "b.json", {"a": 1})
    (tmp_path / "c.txt").write_text("by open()")
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes == {"a.txt": 0o644, "b.json": 0o644, "c.txt": 0o644}


def test_the_mode_follows_a_stricter_umask(tmp_path):
    old = os.umask(0o077)
    try:
        files.write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o600


def test_write_json_is_sorted_indented_and_ends_with_a_newline(tmp_path):
    files.write_json(tmp_path / "m.json", {"b": 1, "a": [1.5, 2]})
    assert (tmp_path / "m.json").read_text() == '{\n  "a": [\n    1.5,\n    2\n  ],\n  "b": 1\n}\n'


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_write_json_refuses_non_finite_numbers_and_writes_nothing(tmp_path, value):
    with pytest.raises(ValueError, match="not JSON compliant"):
        files.write_json(tmp_path / "m.json", {"loss": value})
    assert list(tmp_path.iterdir()) == []


def test_read_json_names_the_file(tmp_path):
    missing = tmp_path / "absent.json"
    with pytest.raises(
        InputError, match=rf"^{missing}: missing \(run the stage that writes it first\)$"
    ):
        files.read_json(missing)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match=rf"^{bad}: not valid JSON \(Expecting property name"):
        files.read_json(bad)


def test_yaml_is_read_as_yaml_1_2_plain_data(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("rate: 1e-3\nflag: yes\nlist: [1, 2]\n")
    # YAML 1.1 (PyYAML) would read 1e-3 as a string and `yes` as True.
    assert files.read_yaml(path) == {"rate": 0.001, "flag": "yes", "list": [1, 2]}


def test_yaml_never_builds_python_objects():
    with pytest.raises(ConstructorError, match="could not determine a constructor"):
        files.parse_yaml("a: !!python/object:os.system x\n")


@pytest.mark.parametrize("text", ["a: 1e-3\nb: yes\n", "a: x\x85y\n", 'a: "\\ud800"\n'])
def test_yaml_is_read_exactly_as_dvc_reads_params(text):
    from dvc.utils.serialize._yaml import parse_yaml as dvc_parse_yaml

    def outcome(parse):
        try:
            return parse(text)
        except Exception:  # DVC wraps the parser's error in its own
            return "rejected"

    assert outcome(files.parse_yaml) == outcome(lambda t: dvc_parse_yaml(t, "params.yaml"))
