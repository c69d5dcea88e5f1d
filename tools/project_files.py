"""This checkout of the project as the make targets change it: where it is, and the one editor
of its YAML files (params.yaml, dvc.yaml, gate.yaml) that keeps their comments and layout.

Reading a YAML file for its values is pipeline.files.read_yaml's job; this is for rewriting one.
"""

from pathlib import Path

from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[1]


def round_trip_yaml() -> YAML:
    """The one YAML editor of the project's files: comments and layout stay, lines up to 100."""
    yaml = YAML()
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml
