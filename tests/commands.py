"""A command run as the tests run one: with the pipeline's env, its output in the failure.

Its own module, not conftest.py's, so that a helper module such as tests/s3.py, which
conftest.py imports, can use it without importing conftest.py back.
"""

import subprocess

from bench.workspace import pipeline_env


def run(args, cwd, check=True):
    """Run a command (``dvc ...``, ``git ...``) in ``cwd``; returns the CompletedProcess."""
    result = subprocess.run(args, cwd=cwd, env=pipeline_env(), capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result
