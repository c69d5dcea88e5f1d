"""CI's reproduction check: which outputs differ, and the first stage, in pipeline order."""

import pytest

from tools import repro_check

LOCK = """\
schema: '2.0'
stages:
  train@a:
    cmd: python -m stages.train
    deps:
    - path: data/a/train.parquet
      md5: t1
    outs:
    - path: models/a/weights.json
      md5: w1
  generate@a:
    cmd: python -m stages.generate
    deps:
    - path: data/settings/a/generate.json
      md5: s1
    outs:
    - path: data/a/raw.parquet
      md5: r1
  split@a:
    cmd: python -m stages.split
    deps:
    - path: data/a/raw.parquet
      md5: r1
    outs:
    - path: data/a/train.parquet
      md5: t1
    - path: data/a/test.parquet
      md5: e1
  generate@b:
    cmd: python -m stages.generate
    deps:
    - path: data/settings/b/generate.json
      md5: s2
    outs:
    - path: data/b/raw.parquet
      md5: r2
"""


def changed(text, old, new):
    assert old in text
    return text.replace(old, new)


def test_read_lock_keeps_paths_and_hashes_in_file_order():
    lock = repro_check.read_lock(LOCK)
    assert list(lock) == ["train@a", "generate@a", "split@a", "generate@b"]
    assert lock["split@a"] == {
        "deps": {"data/a/raw.parquet": "r1"},
        "outs": {"data/a/train.parquet": "t1", "data/a/test.parquet": "e1"},
    }


def test_pipeline_order_puts_a_stage_after_the_stages_it_reads_from():
    order = repro_check.pipeline_order(repro_check.read_lock(LOCK))
    # generate@b has no inputs from other stages: it keeps its dvc.lock place among the ready.
    assert order == ["generate@a", "generate@b", "split@a", "train@a"]


def test_identical_locks_report_nothing():
    lock = repro_check.read_lock(LOCK)
    assert repro_check.changed_outputs(lock, lock) == []
    assert repro_check.report(lock, lock) == ["every output in dvc.lock has its committed hash"]


def test_a_difference_is_traced_to_the_first_stage_whose_inputs_matched():
    base = repro_check.read_lock(LOCK)
    text = changed(LOCK, "md5: t1", "md5: t2")  # split's train output, and train's input
    text = changed(text, "md5: w1", "md5: w2")
    new = repro_check.read_lock(text)
    assert repro_check.changed_outputs(base, new) == [
        ("split@a", "data/a/train.parquet", "t1", "t2"),
        ("train@a", "models/a/weights.json", "w1", "w2"),
    ]
    assert repro_check.report(base, new) == [
        "first stage whose outputs differ: split@a; its inputs are the committed ones, so the "
        "difference starts in this stage",
        "outputs that differ (pipeline order):",
        "  split@a: data/a/train.parquet  t1 -> t2",
        "  train@a: models/a/weights.json  w1 -> w2",
    ]


def test_a_first_stage_with_changed_inputs_names_them():
    base = repro_check.read_lock(LOCK)
    new = repro_check.read_lock(changed(changed(LOCK, "md5: s2", "md5: s3"), "md5: r2", "md5: r9"))
    assert repro_check.report(base, new)[0] == (
        "first stage whose outputs differ: generate@b; its inputs changed too "
        "(data/settings/b/generate.json)"
    )


def test_a_stage_new_to_the_lock_counts_as_changed():
    base = repro_check.read_lock(LOCK)
    new = repro_check.read_lock(
        LOCK
        + """\
  generate@c:
    cmd: python -m stages.generate
    outs:
    - path: data/c/raw.parquet
      md5: r3
"""
    )
    assert repro_check.changed_outputs(base, new) == [
        ("generate@c", "data/c/raw.parquet", None, "r3")
    ]
    assert repro_check.report(base, new)[-1] == "  generate@c: data/c/raw.parquet  absent -> r3"


@pytest.mark.parametrize("machine, features", [("aarch64", None), ("x86_64", {"avx2"})])
def test_elsewhere_the_check_says_what_it_checks_instead_and_passes(
    monkeypatch, capsys, machine, features
):
    monkeypatch.setattr(repro_check.platform, "machine", lambda: machine)
    monkeypatch.setattr(repro_check, "x86_features", lambda: features)
    monkeypatch.setattr(repro_check, "git", lambda *args: pytest.fail("hashes were compared"))
    assert repro_check.main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "not x86-64-v3" in lines[0]
    assert lines[1] == (
        "repro check: hashes not compared; what was checked instead is the "
        "metric gate (make gate BASE=HEAD): its rules against the committed "
        "metrics"
    )


def test_on_a_reference_machine_a_differing_output_fails(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dvc.lock").write_text(changed(LOCK, "md5: r2", "md5: r9"))
    answers = {"show": LOCK, "diff": "dvc.lock\n"}
    monkeypatch.setattr(repro_check, "x86_features", lambda: {"avx2", "fma", "avx512f"})
    monkeypatch.setattr(repro_check.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(repro_check, "git", lambda command, *args: answers[command])
    assert repro_check.main(["--base", "HEAD"]) == 1
    out = capsys.readouterr().out
    assert "first stage whose outputs differ: generate@b; its inputs are the committed ones" in out
    assert "  generate@b: data/b/raw.parquet  r2 -> r9" in out
    assert "files that differ from HEAD: dvc.lock" in out


def test_a_lock_whose_dependencies_alone_changed_fails_with_the_fix(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dvc.lock").write_text(changed(LOCK, "md5: s1", "md5: s9"))
    answers = {"show": LOCK, "diff": "dvc.lock\n"}
    monkeypatch.setattr(repro_check, "x86_features", lambda: {"avx2", "fma"})
    monkeypatch.setattr(repro_check.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(repro_check, "git", lambda command, *args: answers[command])
    assert repro_check.main([]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "repro check: every output in dvc.lock has its committed hash"
    assert out[-1] == (
        "repro check: only dependencies changed: the committed dvc.lock is not the "
        "one its code and params give (run make repro and commit dvc.lock)"
    )
