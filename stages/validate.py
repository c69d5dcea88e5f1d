"""Stage: validate params.yaml once, before any other stage runs.

Writes one settings file per experiment and stage; a stage whose settings did not
change keeps a byte-identical file, so DVC leaves it cached. A bad value fails
here, before DVC has removed any other stage's outputs.
"""

from stages.startup import prepare_process

prepare_process()  # first: the project's Python, and the same CPU kernels on every machine

import shutil
from pathlib import Path

from pipeline.files import StrPath, write_json
from pipeline.settings import STAGE_SECTIONS, Experiment, load_params, stage_settings
from stages import cli


def write_settings(experiments: dict[str, Experiment], out_dir: StrPath) -> None:
    """Write ``<out_dir>/<experiment>/<stage>.json`` and drop removed experiments."""
    out_dir = Path(out_dir)
    for name, experiment in experiments.items():
        for stage in STAGE_SECTIONS:
            write_json(out_dir / name / f"{stage}.json", stage_settings(experiment, stage))
    if out_dir.is_dir():
        for stale in out_dir.iterdir():
            if stale.is_dir() and stale.name not in experiments:
                shutil.rmtree(stale)


def main() -> None:
    args = cli.parse_paths(__doc__, "params", "out")
    experiments = load_params(args.params)
    write_settings(experiments, args.out)
    print(f"params valid: {', '.join(experiments)}")


if __name__ == "__main__":
    cli.run(main)
