"""The way into the server: ``python -m serve --name <experiment> [--stage | --rev] ...``, as
`make serve` runs it.

Before NumPy loads, it pins the CPU kernels as every stage's runner does (pipeline.cpu says
why), so that the server's answers are the very bytes `make predict` writes on any x86-64-v3
CPU; then it runs serve.app.
"""

import importlib
import sys

from pipeline.cpu import pin_kernels


def main() -> int:
    pin_kernels()
    app = importlib.import_module("serve.app")  # NumPy loads here, after the pins
    return app.main()


if __name__ == "__main__":
    sys.exit(main())
