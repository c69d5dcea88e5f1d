"""What every stage's entry point shares: argument parsing and one-line errors."""

import argparse
import sys

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
