"""Stage: each stage's code fingerprint, the one code dep every other stage lists.

For each stage named, data/fingerprints/<stage>.json holds the project files ``python3 -m stages
<stage>`` runs and their MD5s (pipeline.fingerprint). Depending on that one file instead of
a list of the files it imports, a stage still reruns exactly when the code it runs changes,
and dvc.lock stays short: DVC parses and rewrites all of it after every stage it runs.
"""

import argparse
from pathlib import Path

from pipeline.files import write_json
from pipeline.fingerprint import fingerprint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="the folder of the fingerprints")
    parser.add_argument("stages", nargs="+", help="stages, as python3 -m stages names them")
    args = parser.parse_args()
    for stage in args.stages:
        write_json(
            Path(args.out) / f"{stage}.json", fingerprint("stages.__main__", f"stages.{stage}")
        )
