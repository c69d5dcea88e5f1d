"""tools.dvc_deps: each stage's code deps derived from its imports, on a small fake project and
on the real dvc.yaml (whose lists must be exactly the derived ones)."""

import io
import subprocess
import sys
import textwrap

import pytest

from pipeline.files import parse_yaml
from tools import dvc_deps
from tools.workspace import REPO, pipeline_env, round_trip_yaml

FAKE_PROJECT = {
    "stages/__init__.py": '"""The stages."""\n',
    "stages/startup.py": "from pipeline.cpu import pin\n",
    "stages/cli.py": "import argparse\nimport sys\n",
    "stages/train.py": """\
        from stages.startup import prepare

        prepare()

        import numpy as np

        from pipeline import tables
        from stages import cli
        from tools.workspace import REPO  # not a stage's package: never a dep


        def main():
            import pipeline.model  # lazy: only once the inputs are checked
    """,
    "stages/other.py": "from pipeline import drawing\n",
    "pipeline/__init__.py": "",
    "pipeline/cpu.py": "import os\n",
    "pipeline/errors.py": "class InputError(ValueError):\n    pass\n",
    "pipeline/files.py": "import json\n",
    "pipeline/tables.py": "import pandas\nfrom pipeline.errors import InputError\n",
    "pipeline/model.py": "from pipeline.files import read_json as read\n",
    "pipeline/drawing.py": "import matplotlib\n",
    "tools/__init__.py": "",
    "tools/workspace.py": "from pipeline import drawing\n",
}
TRAIN_FILES = [
    "stages/train.py",
    "pipeline/__init__.py",
    "pipeline/cpu.py",
    "pipeline/errors.py",
    "pipeline/files.py",
    "pipeline/model.py",
    "pipeline/tables.py",
    "stages/__init__.py",
    "stages/cli.py",
    "stages/startup.py",
]


@pytest.fixture
def project(tmp_path):
    for name, text in FAKE_PROJECT.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text))
    return tmp_path


def test_code_files_are_the_transitive_imports_own_file_first(project):
    assert dvc_deps.code_files("stages.train", project) == TRAIN_FILES


def test_code_files_of_a_module_importing_one_library_module(project):
    assert dvc_deps.code_files("stages.other", project) == [
        "stages/other.py",
        "pipeline/__init__.py",
        "pipeline/drawing.py",
        "stages/__init__.py",
    ]


def test_imported_modules_include_lazy_imports_and_imported_names(project):
    assert dvc_deps.imported_modules(project / "stages" / "train.py") == {
        "stages.startup",
        "stages.startup.prepare",
        "numpy",
        "pipeline",
        "pipeline.tables",
        "stages",
        "stages.cli",
        "tools.workspace",
        "tools.workspace.REPO",
        "pipeline.model",
    }


def test_module_file_is_a_package_init_or_a_module_of_the_project(project):
    assert dvc_deps.module_file("pipeline", project) == project / "pipeline" / "__init__.py"
    assert dvc_deps.module_file("pipeline.tables", project) == project / "pipeline" / "tables.py"
    assert dvc_deps.module_file("pipeline.tables.InputError", project) is None
    assert dvc_deps.module_file("tools.workspace", project) is None
    assert dvc_deps.module_file("numpy", project) is None


DVC_YAML = """\
# The fake pipeline.
stages:
  train:
    # Trains the model.
    cmd: >-
      python -m stages.train --settings data/settings/train.json
      --out models/model.keras
    deps:
      - data/train.parquet  # the data comes first
      - stages/train.py
      - pipeline/__init__.py
      - pipeline/cpu.py
      - pipeline/errors.py
      - pipeline/files.py
      - pipeline/tables.py
      - stages/__init__.py
      - stages/cli.py
      - stages/startup.py
      - pipeline/drawing.py
    outs:
      - models/model.keras
  other:
    foreach: [a, b]
    do:
      cmd: python -m stages.other --name ${item}
      deps:
        - data/${item}.parquet
        - stages/other.py
        - pipeline/__init__.py
        - pipeline/drawing.py
        - stages/__init__.py
"""


def test_stale_stages_names_a_stage_with_a_missing_and_an_extra_dep(project):
    pipeline = round_trip_yaml().load(DVC_YAML)
    stale = dvc_deps.stale_stages(pipeline, project)
    assert list(stale) == ["train"]  # the foreach stage's list is right
    listed, derived = stale["train"]
    assert derived == TRAIN_FILES
    assert set(derived) - set(listed) == {"pipeline/model.py"}  # the lazy import
    assert set(listed) - set(derived) == {"pipeline/drawing.py"}


def test_a_list_in_another_order_is_stale_too(project):
    pipeline = round_trip_yaml().load(DVC_YAML)
    deps = pipeline["stages"]["other"]["do"]["deps"]
    deps[2], deps[3] = deps[3], deps[2]
    assert list(dvc_deps.stale_stages(pipeline, project)) == ["train", "other"]


def test_rewrite_puts_the_derived_list_after_the_data_deps_and_keeps_comments(project):
    yaml = round_trip_yaml()
    pipeline = yaml.load(DVC_YAML)
    dvc_deps.rewrite(pipeline, project)
    out = io.StringIO()
    yaml.dump(pipeline, out)
    expected = DVC_YAML.replace(
        "      - pipeline/tables.py\n", "      - pipeline/model.py\n      - pipeline/tables.py\n"
    ).replace(
        "      - stages/startup.py\n      - pipeline/drawing.py\n", "      - stages/startup.py\n"
    )
    assert out.getvalue() == expected
    assert dvc_deps.stale_stages(yaml.load(out.getvalue()), project) == {}


def run_tool(*args):
    return subprocess.run(
        [sys.executable, "-m", "tools.dvc_deps", *args],
        cwd=REPO,
        env=pipeline_env(),
        capture_output=True,
        text=True,
    )


def test_the_check_names_each_stale_stage_and_the_fix_then_write_fixes_it(project):
    dvc_yaml = project / "dvc.yaml"
    dvc_yaml.write_text(DVC_YAML)
    result = run_tool("--dvc-yaml", str(dvc_yaml))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "dvc.yaml stage train: missing ['pipeline/model.py'], never imported ['pipeline/drawing.py']",
        "run: python -m tools.dvc_deps --write",
    ]
    assert run_tool("--dvc-yaml", str(dvc_yaml), "--write").returncode == 0
    assert "# the data comes first" in dvc_yaml.read_text()
    result = run_tool("--dvc-yaml", str(dvc_yaml))
    assert (result.returncode, result.stderr) == (0, "")


def test_the_real_dvc_yaml_has_no_stale_stage():
    pipeline = round_trip_yaml().load(REPO / "dvc.yaml")
    assert dvc_deps.stale_stages(pipeline) == {}
    # and the walk did look at every stage, the ingest stage among them
    assert dvc_deps.code_files("stages.ingest")[0] == "stages/ingest.py"
    assert "pipeline/user_table.py" in dvc_deps.code_files("stages.ingest")
    assert "stages/ingest" in " ".join(pipeline["stages"]["ingest"]["do"]["deps"])


def test_rewriting_the_real_dvc_yaml_keeps_its_content_and_comments():
    # Whatever the committed dvc.yaml holds: its deps are already true (see below), so a rewrite
    # changes no value, and every comment stays.
    yaml = round_trip_yaml()
    text = (REPO / "dvc.yaml").read_text()
    pipeline = yaml.load(text)
    dvc_deps.rewrite(pipeline)
    out = io.StringIO()
    yaml.dump(pipeline, out)
    assert parse_yaml(out.getvalue()) == parse_yaml(text)
    comments = [line.strip() for line in text.splitlines() if line.strip().startswith("#")]
    kept = [line.strip() for line in out.getvalue().splitlines()]
    assert all(comment in kept for comment in comments)
