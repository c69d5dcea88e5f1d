"""A sweep over several machines, tested as three (docs/sharing.md, "Past one machine"): clones
that share one bare git remote and one bucket of a real S3-protocol server (moto's), each
running `make sweep SHARD=k/n`, and one running `make gather`."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pytest
import yaml

from bench.workspace import pipeline_env
from tests.conftest import run
from tests.s3 import S3Server, on_s3, use_s3
from tests.sharing import MODEL
from tools.grid import plan

pytestmark = pytest.mark.e2e

RATES = "experiments.blobs4.train.learning_rate="
RAN = re.compile(r"^Ran experiment\(s\): (\S+)$", re.MULTILINE)
TRAINED = "Running stage 'train@blobs4'"
KILL_AFTER_SECONDS = 600


def machines(template, tmp_path, s3, count, name="team"):
    """``count`` clones of ``template`` sharing one bare git remote and one new bucket, each
    with the committed outputs pulled (`make pull`), as a fresh machine starts."""
    url = f"s3://{s3.new_bucket()}/dvc-keras-pipeline"
    use_s3(template, url, s3.endpoint)
    run(["dvc", "push"], template)  # the committed outputs, as the project's CI would share them
    remote = tmp_path / f"{name}.git"
    run(["git", "clone", "-q", "--bare", str(template), str(remote)], tmp_path)
    clones = []
    for number in range(1, count + 1):
        clone = tmp_path / f"{name}-{number}"
        run(["git", "clone", "-q", str(remote), str(clone)], tmp_path)
        for file in ("config.local", "plots-template.html"):  # what `make` writes
            (clone / ".dvc" / file).write_bytes((template / ".dvc" / file).read_bytes())
        run(["git", "config", "user.email", f"machine{number}@example.invalid"], clone)
        run(["git", "config", "user.name", f"machine {number}"], clone)
        run([sys.executable, "-m", "tools.pull"], clone)
        clones.append(clone)
    return remote, url, clones


def sweep(machine, values, shard, check=True):
    """`make sweep SET=... SHARD=...` in ``machine``; the finished process."""
    args = [sys.executable, "-m", "tools.sweep", "--set", RATES + values, "--shard", shard]
    return run(args, machine, check=check)


def gather(machine, values, shards, *extra, check=True):
    """`make gather SET=... SHARDS=...` in ``machine``; the finished process."""
    args = [sys.executable, "-m", "tools.gather", "--set", RATES + values]
    return run([*args, "--shards", str(shards), *extra], machine, check=check)


def ran(result):
    """The experiments a sweep's output says it ran."""
    return RAN.findall(result.stdout)


def shared_metrics(remote):
    """{run name: its metrics/blobs4.json, bytes} of every experiment on a bare git remote."""
    refs = run(["git", "for-each-ref", "--format=%(refname)", "refs/exps"], remote).stdout.split()
    return {
        ref.rsplit("/", 1)[1]: subprocess.run(
            ["git", "show", f"{ref}:metrics/blobs4.json"], cwd=remote, capture_output=True
        ).stdout
        for ref in refs
    }


def table_without_shards(report):
    """The report's table, its shard column left out (1/1 on one machine, k/3 on three)."""
    rows = [line.split(" | ") for line in report.splitlines() if line.startswith("| ")]
    return [row[:2] + row[3:] for row in rows]


def test_three_machines_run_each_run_once_and_gather_what_one_machine_makes(
    small_pipeline, s3, tmp_path
):
    values = "0.003,0.01,0.03,0.1"
    runs = plan([RATES + values], 3)

    _, _, (alone,) = machines(small_pipeline, tmp_path, s3, 1, name="alone")
    sweep(alone, values, "1/1")
    gather(alone, values, 1)

    remote, _, team = machines(small_pipeline, tmp_path, s3, 3)
    done = {f"{k}/3": ran(sweep(machine, values, f"{k}/3")) for k, machine in enumerate(team, 1)}
    assert done == {f"{k}/3": [r.name for r in runs if r.shard == k] for k in (1, 2, 3)}
    gathered = gather(team[1], values, 3)

    assert "missing" not in gathered.stderr
    assert shared_metrics(remote) == shared_metrics(tmp_path / "alone.git")  # byte for byte
    assert len(shared_metrics(remote)) == len(runs)
    three = (team[1] / "reports" / "sweep.md").read_text()
    one = (alone / "reports" / "sweep.md").read_text()
    assert table_without_shards(three) == table_without_shards(one)
    table = table_without_shards(three)
    column = table[0].index("blobs4 test_accuracy")
    assert table[2][:2] == ["| base", "HEAD"]
    accuracies = [float(row[column]) for row in table[3:]]  # the runs, best first
    assert sorted(r[1] for r in table[3:]) == sorted(r.name for r in runs)
    assert accuracies == sorted(accuracies, reverse=True)


def wait_for(condition, what, timeout=KILL_AFTER_SECONDS):
    """Poll ``condition`` every half second until it holds; fail naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def test_a_killed_shard_is_named_by_the_gather_and_its_rerun_redoes_nothing(
    small_pipeline, s3, tmp_path
):
    values = "0.003,0.03,0.1"  # shard 1/2 owes runs 1 and 3, shard 2/2 run 2
    first, second, third = plan([RATES + values], 2)
    remote, _, (doomed, other) = machines(small_pipeline, tmp_path, s3, 2)

    args = [sys.executable, "-m", "tools.sweep", "--set", RATES + values, "--shard", "1/2"]
    log = (tmp_path / "doomed.log").open("w")
    process = subprocess.Popen(
        args,
        cwd=doomed,
        env=pipeline_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: DVC's children die with it
    )
    wait_for(lambda: first.name in shared_metrics(remote), f"{first.name} on the git remote")
    os.killpg(process.pid, signal.SIGKILL)  # the machine dies during its second run
    process.wait()
    sweep(other, values, "2/2")

    missing = gather(other, values, 2, check=False)
    assert missing.returncode == 1
    assert [line for line in missing.stderr.splitlines() if "missing" in line] == [
        f"gather: missing {third.describe()}, owed by shard 1/2"
    ]
    assert f"- {third.describe()}: owed by shard 1/2" in (other / "reports/sweep.md").read_text()

    rerun = sweep(doomed, values, "1/2")
    assert f"{first.describe()} is on 'origin' already: not rerun" in rerun.stdout
    assert ran(rerun) == [third.name]
    assert rerun.stdout.count(TRAINED) == 1  # the third run's training, not the first's
    assert set(shared_metrics(remote)) == {first.name, second.name, third.name}
    complete = gather(other, values, 2)
    assert "missing" not in complete.stderr
    assert "gather: 3 of 3 runs" in complete.stdout


def cached_model(machine):
    """The cache file of the blobs4 model of the clone's one experiment."""
    (ref,) = run(
        ["git", "for-each-ref", "--format=%(refname)", "refs/exps"], machine
    ).stdout.split()
    lock = yaml.safe_load(run(["git", "show", f"{ref}:dvc.lock"], machine).stdout)
    (md5,) = [o["md5"] for o in lock["stages"]["train@blobs4"]["outs"] if o["path"] == MODEL]
    return machine / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]


class DyingS3:
    """moto's S3 server, which stops once the first file of a push has landed (mid-push): it
    closes its port and drops every open connection unanswered. ``start`` brings it back at
    the same address with the same buckets (moto keeps them in this process)."""

    def __init__(self):
        self.down = threading.Event()
        self.armed = threading.Event()
        self.server = None
        self.port = 0

    def start(self):
        from moto.server import ThreadedMotoServer

        self.down.clear()
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()
        self.port = self.server.get_host_and_port()[1]

    def stop(self):
        self.down.set()
        self.server.stop()
        self.server._server.server_close()  # stop() leaves the port listening

    def landed(self, key):
        """Called by moto for each object stored: the first file, once armed, kills it."""
        if self.armed.is_set() and "/files/md5/" in key:
            self.armed.clear()
            threading.Thread(target=self.stop).start()


@contextmanager
def dying_s3(monkeypatch):
    """A DyingS3 running, as an S3Server with the usual credentials in the environment."""
    from moto.s3.models import S3Backend
    from moto.server import MotoRequestHandler

    from tests.s3 import CREDENTIALS

    s3 = DyingS3()
    put_object = S3Backend.put_object
    handle = MotoRequestHandler.handle_one_request

    def put_and_watch(backend, bucket_name, key_name, *args, **kwargs):
        stored = put_object(backend, bucket_name, key_name, *args, **kwargs)
        s3.landed(key_name)
        return stored

    def handle_unless_down(handler):
        if s3.down.is_set():
            handler.close_connection = True  # a dead server answers nothing
            return None
        return handle(handler)

    monkeypatch.setattr(S3Backend, "put_object", put_and_watch)
    monkeypatch.setattr(MotoRequestHandler, "handle_one_request", handle_unless_down)
    s3.start()
    try:
        yield s3, S3Server(f"http://127.0.0.1:{s3.port}", dict(CREDENTIALS))
    finally:
        if not s3.down.is_set():
            s3.stop()


def test_the_s3_server_stopped_mid_push_is_one_line_nothing_lost_and_a_rerun_completes(
    small_pipeline, s3, tmp_path, monkeypatch
):
    values = "0.03"
    (only,) = plan([RATES + values], 1)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # botocore retries a refused connection for long
    with dying_s3(monkeypatch) as (dying, server):
        remote, url, (machine,) = machines(small_pipeline, tmp_path, server, 1)
        dying.armed.set()
        failed = sweep(machine, values, "1/1", check=False)
        assert dying.down.is_set()

        assert failed.returncode == 1, failed.stdout + failed.stderr
        (line,) = [line for line in failed.stderr.splitlines() if line.startswith("sweep:")]
        assert line.startswith(f"sweep: run '{only.name}' finished but could not be shared: ")
        assert line.endswith("run the same command again to push it without rerunning")
        assert shared_metrics(remote) == {}  # no name on the git remote without its files
        assert ran(failed) == [only.name]
        listed = run(["dvc", "exp", "list", "--name-only"], machine).stdout.split()
        assert listed == [only.name]  # the run is kept here, its model in the cache
        model = cached_model(machine).read_bytes()

        dying.start()
        rerun = sweep(machine, values, "1/1")
        assert TRAINED not in rerun.stdout and ran(rerun) == []  # pushed, not rerun
        assert f"{only.describe()} shared" in rerun.stdout
        assert set(shared_metrics(remote)) == {only.name}
        assert on_s3(server, url, model)
        gathered = gather(machine, values, 1)
        assert "gather: 1 of 1 runs" in gathered.stdout
