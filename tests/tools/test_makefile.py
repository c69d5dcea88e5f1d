"""The Makefile's set-up: what a newcomer sees before the long, quiet install."""

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_install_says_what_it_installs_and_how_long_first(tmp_path):
    # A dry run (-n) of the install as on a fresh clone (-B: as if .venv were missing).
    done = subprocess.run(
        ["make", "-n", "-B", ".venv/.installed"], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    commands = done.stdout.replace("\\\n", " ").splitlines()  # continued lines joined
    pip = next(i for i, line in enumerate(commands) if "pip install" in line)
    said = [line for line in commands[:pip] if line.startswith("echo ")]
    assert said and "requirements.txt" in said[0] and "minutes" in said[0]


def dry_run(*args):
    done = subprocess.run(["make", "-n", *args], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.replace("\\\n", " ").split("\n")


def test_make_tune_passes_every_variable_and_defaults_to_one_local_worker():
    space = "experiments.blobs4.train.learning_rate=tag(log,interval(1e-4,1e-1))"
    (command,) = [line for line in dry_run("tune", f"SPACE={space}") if "tools.tune" in line]
    assert f"--space '{space}'" in command and '--workers "1"' in command
    assert '--scheduler ""' in command and "--apply" not in command
    args = ["TRIALS=5", "BATCH=2", "SEED=3", "WORKERS=2", "BY=blobs4.test_loss", "APPLY=1"]
    (command,) = [line for line in dry_run("tune", f"SPACE={space}", *args) if "tools.tune" in line]
    for flag in ('--trials "5"', '--batch "2"', '--seed "3"', '--workers "2"', "--apply"):
        assert flag in command
    assert '--by "blobs4.test_loss"' in command


def test_make_sweep_goes_to_dask_only_when_asked():
    rates = "SET=experiments.blobs4.train.learning_rate=0.01,0.03"
    (queued,) = [line for line in dry_run("sweep", rates) if "tools.sweep" in line]
    assert "--workers" not in queued and "--scheduler" not in queued
    (local,) = [line for line in dry_run("sweep", rates, "WORKERS=2") if "tools.sweep" in line]
    assert '--workers "2"' in local
    cluster = [
        line for line in dry_run("sweep", rates, "SCHEDULER=tcp://h:8786") if "sweep" in line
    ]
    assert '--scheduler "tcp://h:8786" --remote "origin"' in cluster[-1]


def test_make_tune_passes_space_as_typed_dollars_and_quotes_included(tmp_path):
    space = "experiments.blobs4.train.optimizer=choice('a b',$HOME,${x},`id`)"
    (command,) = [line for line in dry_run("tune", f"SPACE={space}") if "tools.tune" in line]
    shown = subprocess.run(
        ["sh", "-c", command.replace("python -m tools.tune", "printf '%s\\n'", 1)],
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    assert shown[:2] == ["--space", space]


def make_line(target, *args):
    """The dry run's command of ``target`` with ``args``, continued lines joined, spaces single."""
    tools = {"promote": "tools.registry", "serve": "-m serve"}[target]
    (command,) = [" ".join(line.split()) for line in dry_run(target, *args) if tools in line]
    return command


def test_make_promote_passes_name_stage_and_version_as_typed():
    assert make_line("promote", "NAME=cancer") == (
        "python -m tools.registry promote --name 'cancer' --stage '' --version ''"
    )
    command = make_line("promote", "NAME=cancer", "STAGE=staging", "VERSION=v1.0.0")
    assert "--stage 'staging' --version 'v1.0.0'" in command


def test_make_serve_listens_on_loopback_unless_told_and_hands_signals_to_python():
    command = make_line("serve", "NAME=cancer")
    # exec: the server replaces make's shell, so Ctrl-C and SIGTERM reach Python itself.
    assert command.startswith("exec python -m serve --name 'cancer'")
    assert "--host '127.0.0.1' --port '8000'" in command and "--rev ''" in command
    args = ["NAME=cancer", "REV=HEAD~1", "HOST=0.0.0.0", "PORT=9000", "MAX_BODY=1024"]
    command = make_line("serve", *args)
    assert "--rev 'HEAD~1' --host '0.0.0.0' --port '9000' --max-body '1024'" in command


def test_make_passes_a_value_as_one_word_whatever_it_holds(tmp_path):
    # Quotes, backquotes and $ reach the tool as typed (it checks them), never the shell.
    for value in ["`touch pwned`", 'x" --host "0.0.0.0', "a'b", "$(id)"]:
        line = make_line("serve", f"NAME={value}")
        done = subprocess.run(
            ["sh", "-c", f"printf '%s\\n' {line.split(' --name ', 1)[1].split(' --stage')[0]}"],
            cwd=tmp_path, capture_output=True, text=True,
        )  # fmt: skip
        assert done.stdout == value + "\n" and not (tmp_path / "pwned").exists()
