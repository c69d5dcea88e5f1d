"""What every stage's entry point calls first, before anything imports NumPy or TensorFlow."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from pipeline.cpu import pin_kernels
from pipeline.interpreter import check_interpreter


def prepare_process() -> None:
    """Stop with one line if this Python lacks the project's pinned packages; then pin the CPU
    kernels, so that every x86-64-v3 CPU computes the same bytes (pipeline.cpu says why)."""
    check_interpreter()
    pin_kernels()


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
