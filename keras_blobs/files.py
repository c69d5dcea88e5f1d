"""Small file helpers shared by the stages: atomic writes and JSON."""

import json
import os
import tempfile
from pathlib import Path

from keras_blobs.errors import InputError


def write_atomic(path, write):
    """Create ``path`` through ``write(tmp_path)`` and an atomic rename.

    An interrupted stage then never leaves a half-written file under the real name.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_text(path, text):
    write_atomic(path, lambda tmp: Path(tmp).write_text(text))


def write_json(path, value):
    """Write ``value`` as stable, human-readable JSON (sorted keys, trailing newline)."""
    write_text(path, json.dumps(value, indent=2, sort_keys=True, allow_nan=False) + "\n")


def read_json(path):
    """Read a JSON file, naming the file in any error."""
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: missing (run the stage that writes it first)") from None
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: not valid JSON ({error})") from None
