"""End to end: a run made in one clone is restored, not recomputed, in another (docs/sharing.md)."""

import hashlib
import re
import sys

import pytest

from bench.workspace import ran_stages, set_params
from tests.conftest import run
from tests.sharing import RESTORED, RUN_OUTPUTS, assert_repro_pull_restores, run_and_undo

pytestmark = pytest.mark.e2e


def use_remote(repo, remote):
    """The committed default remote, pointed elsewhere without editing committed files."""
    run(["dvc", "remote", "modify", "--local", "storage", "url", str(remote)], repo)


def on_remote(remote, content):
    digest = hashlib.md5(content).hexdigest()
    return (remote / "files" / "md5" / digest[:2] / digest[2:]).is_file()


def clone(repo, target, remote):
    run(["git", "clone", "-q", str(repo), str(target)], target.parent)
    use_remote(target, remote)
    return target


def test_make_share_sends_a_run_no_longer_in_the_workspace(small_pipeline, tmp_path):
    """Issue #14: `dvc exp run`, then back to the committed results, then share."""
    here, remote = small_pipeline, tmp_path / "remote"
    use_remote(here, remote)
    made = run_and_undo(here)

    # Why `dvc push --run-cache` is not enough: it sends the run record, not the run's model.
    run(["dvc", "push", "--run-cache"], here)
    assert not on_remote(remote, made["models/blobs4/model.keras"])
    shared = run([sys.executable, "-m", "tools.share"], here)  # what `make share` runs
    assert on_remote(remote, made["models/blobs4/model.keras"]), shared.stdout

    assert_repro_pull_restores(clone(here, tmp_path / "clone", remote), made)


def test_run_cache_through_a_remote_restores_instead_of_rerunning(small_pipeline, tmp_path):
    """`dvc push --run-cache` alone: enough for training while the run is in the workspace."""
    remote = tmp_path / "remote"
    use_remote(small_pipeline, remote)
    run(["dvc", "push"], small_pipeline)
    clone_dir = clone(small_pipeline, tmp_path / "clone", remote)

    # Elsewhere: a new learning rate, computed and pushed with its run records.
    run(["dvc", "exp", "run", "-S", "experiments.blobs4.train.learning_rate=0.05"], small_pipeline)
    run(["dvc", "push", "--run-cache"], small_pipeline)

    # Here: the committed results come from the remote, the new run from the run-cache.
    assert ran_stages(run(["dvc", "repro", "--pull"], clone_dir).stdout) == []
    set_params(clone_dir, {"experiments.blobs4.train.learning_rate": 0.05})
    output = run(["dvc", "repro", "--pull"], clone_dir).stdout
    assert RESTORED in output
    # Training is restored, not rerun. evaluate and plot (seconds, no TensorFlow) do rerun:
    # their outputs are git-tracked (cache: false), and `dvc push` never uploads those, so
    # another clone cannot check them out from the run-cache (DVC 3.67 behaviour).
    assert ran_stages(output) == ["evaluate@blobs4", "plot@blobs4", "validate"]
    for path in RUN_OUTPUTS:
        assert (clone_dir / path).read_bytes() == (small_pipeline / path).read_bytes(), path
    assert "Data and pipelines are up to date." in run(["dvc", "status"], clone_dir).stdout


def test_share_names_the_runs_whose_files_dvc_gc_removed(small_pipeline, tmp_path):
    """Runs whose files are gone cannot be shared: said in one line, the rest still pushed."""
    remote = tmp_path / "remote"
    use_remote(small_pipeline, remote)
    # `dvc gc -w` keeps what dvc.lock names in the cache: not the run records' git-tracked copies.
    run(["dvc", "gc", "--workspace", "--force"], small_pipeline)
    result = run([sys.executable, "-m", "tools.share"], small_pipeline)
    assert re.fullmatch(r"share: \d+ run records and \d+ new files pushed\n", result.stdout)
    assert re.fullmatch(
        r"share: \d+ run records name files no longer in this clone's cache \(removed by "
        r"`dvc gc`\?\): another clone reruns those stages",
        result.stderr.splitlines()[-1],
    )
    assert on_remote(remote, (small_pipeline / "models/blobs4/model.keras").read_bytes())
