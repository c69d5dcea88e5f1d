"""The one way into a stage: ``python3 -m stages <stage> --<name> <path> ...``, as dvc.yaml and
the Makefile run them.

Before the stage's module loads, it checks that this Python has the project's pinned packages
and pins the CPU kernels, so that every x86-64-v3 CPU computes the same bytes (pipeline.cpu
says why); then it runs the stage's ``main``. Bad inputs or settings end it with exit code 2
and one line each.
"""

import importlib
import sys

from pipeline.cpu import pin_kernels
from pipeline.interpreter import check_interpreter
from stages import cli

STAGES = (
    *("fingerprint", "validate", "example", "generate", "ingest"),
    *("split", "train", "evaluate", "plot", "predict"),
)


def prepare_process() -> None:
    """Stop with one line if this Python lacks the project's pinned packages; then pin the CPU
    kernels, before anything imports NumPy or TensorFlow."""
    check_interpreter()
    pin_kernels()


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in STAGES:
        print(
            f"usage: python3 -m stages {{{','.join(STAGES)}}} --<path> <value> ...", file=sys.stderr
        )
        sys.exit(2)
    prepare_process()
    stage = importlib.import_module(f"stages.{argv[1]}")
    sys.argv = [f"stages {argv[1]}", *argv[2:]]  # what the stage's argparse reads
    cli.run(stage.main)


if __name__ == "__main__":
    main(sys.argv)
