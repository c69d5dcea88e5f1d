"""What the stages share: their paths' arguments, one-line errors, and TensorFlow's import."""

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from pipeline.errors import PipelineError


def parse_paths(description, *names):
    """Parse ``--name path`` options (the paths come from dvc.yaml, never from code)."""
    parser = argparse.ArgumentParser(description=description)
    for name in names:
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, required=True)
    return parser.parse_args()


def run(main):
    """Run a stage's main; bad inputs or settings end it with exit code 2, one error line each."""
    try:
        main()
    except PipelineError as error:
        for line in str(error).split("\n"):
            print(f"error: {line}", file=sys.stderr)
        sys.exit(2)


@contextmanager
def without_sklearn() -> Iterator[None]:
    """Imports in this block see no scikit-learn; later ones do.

    Keras loads its scikit-learn wrappers, and scikit-learn with them (0.6-1.1 s), whenever
    scikit-learn is installed; the train stage never uses them. None in sys.modules makes that
    import fail as if scikit-learn were absent, a case Keras handles (keras/src/wrappers).
    """
    hidden = "sklearn" not in sys.modules
    if hidden:
        sys.modules["sklearn"] = None
    try:
        yield
    finally:
        if hidden:
            del sys.modules["sklearn"]
