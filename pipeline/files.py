"""Small file helpers shared by the stages: atomic writes, JSON, and the one YAML reader."""

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from pipeline.errors import InputError

# A file path as the stages pass it: a command-line string or a Path.
StrPath = str | os.PathLike[str]


def write_atomic(path: StrPath, write: Callable[[str], object]) -> None:
    """Create ``path`` through ``write(tmp_path)`` and an atomic rename.

    An interrupted stage then never leaves a half-written file under the real name.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(tmp)
        # mkstemp makes the file private (0600); give it the mode open() would, under the umask.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it
    os.umask(mask)
    return mask


def write_text(path: StrPath, text: str) -> None:
    write_atomic(path, lambda tmp: Path(tmp).write_text(text))


def write_json(path: StrPath, value: object) -> None:
    """Write ``value`` as stable, human-readable JSON (sorted keys, trailing newline)."""
    write_text(path, json.dumps(value, indent=2, sort_keys=True, allow_nan=False) + "\n")


def read_json(path: StrPath) -> Any:
    """Read a JSON file, naming the file in any error."""
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: missing (run the stage that writes it first)") from None
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: not valid JSON ({error})") from None


def parse_yaml(text: str) -> Any:
    """Parse YAML exactly as DVC parses params.yaml: ruamel.yaml's safe loader (YAML 1.2, plain
    data: 1e-05 is a number), the C parser where ruamel.yaml.clib is installed (it is pinned).

    Every YAML file the project reads goes through here, so a value means the same in all.
    """
    return YAML(typ="safe").load(text)


def read_yaml(path: StrPath) -> Any:
    """Read a YAML file with ``parse_yaml``."""
    return parse_yaml(Path(path).read_text())
