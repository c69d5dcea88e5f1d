"""tools.registry: versions, the stage's version from its tags, the table's width."""

import pytest

from tools import registry


@pytest.mark.parametrize(
    "versions, expected",
    [
        ([], "v1.0.0"),
        (["v1.0.0"], "v1.1.0"),
        (["v1.9.0", "v1.10.0", "v1.2.0"], "v1.11.0"),
        (["v2.0.1", "v1.4.0"], "v2.1.0"),
        (["v1.2.0-rc.1", "v1.1.0"], "v1.3.0"),
    ],
)
def test_versions_start_at_1_0_0_and_then_bump_the_minor(versions, expected):
    assert registry.next_version(versions) == expected


def test_the_registry_table_fits_120_columns_however_long_the_cells():
    rows = [["x" * 200, "v1.10.0", "dev, staging, prod" * 5, "abcdef1", "2026-12-06 22:36"]]
    lines = registry.table_text(rows).splitlines()
    assert max(len(line) for line in lines) <= 120
    assert lines[0].split() == ["experiment", "version", "stages", "commit", "registered"]
    assert lines[1].startswith("x" * 27 + "~")


class Tag:
    """A GTO tag as gto.tag.find returns it: its name, the commit, its time."""

    def __init__(self, name, target, tag_time=0):
        self.name, self.target, self.tag_time = name, target, tag_time


def with_tags(monkeypatch, tags, versions):
    monkeypatch.setattr(registry, "assignments", lambda git, name, stage: tags)
    monkeypatch.setattr(registry, "registrations", lambda git, name: versions)


VERSIONS = {"c1": "v1.0.0", "c2": "v1.1.0"}


def test_the_stage_holds_the_last_assignment_and_a_rollback_puts_the_old_one_back(monkeypatch):
    tags = [Tag("m#prod#1", "c1"), Tag("m#prod#2", "c2"), Tag("m#prod#3", "c1")]
    with_tags(monkeypatch, tags, VERSIONS)
    assert registry.holder(None, "m", "prod") == registry.Holder("v1.0.0", "c1")
    assert registry.held_before(None, "m", "prod", "c2")
    assert not registry.held_before(None, "m", "prod", "c3")


def test_taking_out_a_version_that_is_not_there_leaves_the_stage_as_it_is(monkeypatch):
    tags = [Tag("m#prod#1", "c2"), Tag("m#prod#2", "c1"), Tag("m#prod!#3", "c2")]
    with_tags(monkeypatch, tags, VERSIONS)
    assert registry.holder(None, "m", "prod") == registry.Holder("v1.0.0", "c1")


def test_an_emptied_stage_still_judges_against_its_last_version(monkeypatch):
    # Taking v1.0.0 out by hand empties prod, but a promotion is judged against v1.0.0.
    with_tags(monkeypatch, [Tag("m#prod#1", "c1"), Tag("m#prod!#2", "c1")], VERSIONS)
    assert registry.holder(None, "m", "prod") is None
    assert registry.last_assigned(None, "m", "prod") == registry.Holder("v1.0.0", "c1")


def test_a_commit_assigned_without_a_registration_is_read_by_its_commit(monkeypatch):
    with_tags(monkeypatch, [Tag("m#prod#1", "c9")], VERSIONS)
    held = registry.holder(None, "m", "prod")
    assert held == registry.Holder(None, "c9")
    assert registry.revision("m", held) == "c9"
    assert registry.revision("m", registry.Holder("v1.0.0", "c1")) == "m@v1.0.0"
    assert registry.describe(held) == "commit c9 (unregistered)"
