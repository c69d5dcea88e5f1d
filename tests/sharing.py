"""What the sharing tests have in common, whatever the remote (a folder, an S3 bucket): a run
made in one clone and undone there, restored instead of rerun in another (docs/sharing.md)."""

from bench.workspace import ran_stages, set_params
from tests.conftest import run

MISSING = "do not exist neither locally nor on remote"
RESTORED = "Stage 'train@blobs4' is cached - skipping run"
MODEL = "models/blobs4/model.keras"
RUN_OUTPUTS = (MODEL, "metrics/blobs4.json", "plots/blobs4/anatomy.png")
EPOCHS = "experiments.blobs4.train.epochs"  # the run: blobs4 for one epoch


def outputs(repo):
    """The bytes of the files a blobs4 run writes: its model, metrics and anatomy picture."""
    return {path: (repo / path).read_bytes() for path in RUN_OUTPUTS}


def run_and_undo(here):
    """Issue #14's case: `dvc exp run` (blobs4, one epoch), then back to the committed results.
    Returns the run's outputs, now in the cache and no longer in the workspace."""
    run(["dvc", "exp", "run", "-S", f"{EPOCHS}=1"], here)
    made = outputs(here)
    run(["git", "checkout", "--", "."], here)  # params.yaml, dvc.lock and metrics as committed
    run(["dvc", "checkout"], here)
    assert (here / MODEL).read_bytes() != made[MODEL]
    return made


def assert_repro_pull_restores(there, made):
    """In another clone, the run's params: `dvc repro --pull` restores the training from the
    remote instead of rerunning it, and the run's files come back byte for byte."""
    set_params(there, {EPOCHS: 1})
    result = run(["dvc", "repro", "--pull"], there)
    output = result.stdout + result.stderr
    assert RESTORED in output, output
    assert MISSING not in output, output
    # evaluate has a git-tracked plain output (its per-point results): DVC keeps no run record
    # for such a stage, so it reruns (no TensorFlow); train and plot come from the run-cache.
    assert ran_stages(result.stdout) == ["evaluate@blobs4", "validate"], output
    for path, content in made.items():
        assert (there / path).read_bytes() == content, path
    assert "Data and pipelines are up to date." in run(["dvc", "status"], there).stdout
