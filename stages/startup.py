"""What every stage's entry point calls first, before anything imports NumPy or TensorFlow."""

from pipeline.cpu import pin_kernels
from pipeline.interpreter import check_interpreter


def prepare_process() -> None:
    """Stop with one line if this Python lacks the project's pinned packages; then pin the CPU
    kernels, so that every x86-64-v3 CPU computes the same bytes (pipeline.cpu says why)."""
    check_interpreter()
    pin_kernels()
