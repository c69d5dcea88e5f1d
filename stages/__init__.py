"""The pipeline's stages, one module each, all run through one runner: ``python3 -m stages
<stage> ...`` (stages/__main__.py), as dvc.yaml's commands do.

A stage's module run on its own (``python3 -m stages.train``, this project's older form) would
only define its functions and end without a word: it stops here instead, naming the runner.
"""

import sys

_argv = sys.orig_argv
_module = _argv[_argv.index("-m") + 1] if "-m" in _argv[:-1] else ""  # what python -m started
if _module.startswith("stages."):
    print(
        f"error: python3 -m {_module} runs nothing; run python3 -m stages {_module[7:]} ...",
        file=sys.stderr,
    )
    sys.exit(2)
