"""pipeline.fingerprint: the code a stage runs, from its imports, and its fingerprint."""

import hashlib
import textwrap

import pytest

from pipeline import fingerprint

FAKE_PROJECT = {
    "stages/__init__.py": '"""The stages."""\n',
    "stages/__main__.py": "from pipeline.cpu import pin\nfrom stages import cli\n",
    "stages/cli.py": "import argparse\nimport sys\n",
    "stages/train.py": """\
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
    "stages/__main__.py",
    "stages/train.py",
    "pipeline/__init__.py",
    "pipeline/cpu.py",
    "pipeline/errors.py",
    "pipeline/files.py",
    "pipeline/model.py",
    "pipeline/tables.py",
    "stages/__init__.py",
    "stages/cli.py",
]


@pytest.fixture
def project(tmp_path):
    for name, text in FAKE_PROJECT.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text))
    return tmp_path


def test_code_files_are_the_transitive_imports_own_files_first(project):
    assert fingerprint.code_files("stages.__main__", "stages.train", root=project) == TRAIN_FILES


def test_code_files_of_a_module_importing_one_library_module(project):
    assert fingerprint.code_files("stages.other", root=project) == [
        "stages/other.py",
        "pipeline/__init__.py",
        "pipeline/drawing.py",
        "stages/__init__.py",
    ]


def test_imported_modules_include_lazy_imports_and_imported_names(project):
    assert fingerprint.imported_modules(project / "stages" / "train.py") == {
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
    assert fingerprint.module_file("pipeline", project) == project / "pipeline" / "__init__.py"
    assert fingerprint.module_file("pipeline.tables", project) == project / "pipeline" / "tables.py"
    assert fingerprint.module_file("pipeline.tables.InputError", project) is None
    assert fingerprint.module_file("tools.workspace", project) is None
    assert fingerprint.module_file("numpy", project) is None


def test_a_fingerprint_is_each_file_the_module_runs_with_its_md5(project):
    printed = fingerprint.fingerprint("stages.other", root=project)
    assert list(printed) == fingerprint.code_files("stages.other", root=project)
    assert printed["pipeline/drawing.py"] == hashlib.md5(b"import matplotlib\n").hexdigest()
    (project / "pipeline" / "tables.py").write_text("# not imported by stages.other\n")
    assert fingerprint.fingerprint("stages.other", root=project) == printed
    (project / "pipeline" / "drawing.py").write_text("import matplotlib  # edited\n")
    assert fingerprint.fingerprint("stages.other", root=project) != printed


def test_the_real_stages_are_walked_the_ingest_stage_among_them():
    files = fingerprint.code_files("stages.__main__", "stages.ingest")
    assert files[:2] == ["stages/__main__.py", "stages/ingest.py"]
    assert "pipeline/user_table.py" in files
