"""`.ci/install-system-packages` on machines like CI's, with a fake apt-get that acts as Debian's."""

import os
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "install-system-packages"

# apt-get as Debian 12's, on a machine with NodeSource's nodejs: a package installs its command
# when asked for, npm is refused (NodeSource's nodejs conflicts with it), and a package named in
# $MISSING does not exist. Every call's arguments go to apt.log.
FAKE_APT = """#!/bin/bash
echo "$*" >> "$LOG"
[ "$1" = update ] && exit 0
packages=("${@:4}")
for package in "${packages[@]}"; do
    if [ "$package" = npm ]; then
        echo "The following packages have unmet dependencies:"
        echo " nodejs : Conflicts: npm"
        echo "E: Unable to correct problems, you have held broken packages." >&2
        exit 100
    fi
    if [ "$package" = "$MISSING" ]; then
        echo "E: Unable to locate package $package" >&2
        exit 100
    fi
done
for package in "${packages[@]}"; do
    case $package in
        chromium) command=chromium ;;
        qemu-user) command=qemu-x86_64 ;;
    esac
    printf '#!/bin/sh\\n' > "$BIN/$command" && chmod +x "$BIN/$command"
done
"""


def machine(tmp_path, commands):
    """A PATH holding only the shell tools the script uses, fake apt-get and sudo, and commands."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "grep", "tail", "id", "chmod"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    scripts = {
        "apt-get": FAKE_APT,
        "sudo": '#!/bin/bash\nexec "$@"\n',
        "uname": "#!/bin/sh\necho x86_64\n",
        **{command: "#!/bin/sh\n" for command in commands},
    }
    for name, text in scripts.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return bin_dir


def install(tmp_path, commands, missing=""):
    """Run the script on a machine with these commands; returns (result, apt-get calls)."""
    bin_dir = machine(tmp_path, commands)
    log = tmp_path / "apt.log"
    env = {"PATH": str(bin_dir), "LOG": str(log), "BIN": str(bin_dir), "MISSING": missing}
    result = subprocess.run(
        [str(bin_dir / "bash"), str(SCRIPT)], env=env, capture_output=True, text=True
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return result, calls


def test_nodesource_machine_gets_chromium_and_qemu_one_at_a_time(tmp_path):
    result, calls = install(tmp_path, ["node", "npm"])

    assert result.returncode == 0, result.stderr
    assert calls == [
        "update -qq",
        "install -y -qq chromium",
        "install -y -qq qemu-user",
    ]
    assert result.stdout.split() == ["chromium", "qemu-x86_64", "npm"]
    assert result.stderr == ""


def test_a_refused_package_is_one_line_and_the_others_still_install(tmp_path):
    result, calls = install(tmp_path, [], missing="qemu-user")

    assert calls == [
        "update -qq",
        "install -y -qq chromium",
        "install -y -qq qemu-user",
        "install -y -qq npm",
    ]
    assert result.stdout.split() == ["chromium"]
    assert result.stderr.splitlines() == [
        "install-system-packages: could not install qemu-user: "
        "E: Unable to locate package qemu-user",
        "install-system-packages: could not install npm:  nodejs : Conflicts: npm",
    ]


def test_nothing_missing_asks_apt_for_nothing(tmp_path):
    result, calls = install(tmp_path, ["google-chrome", "qemu-x86_64", "npm"])

    assert calls == []
    assert result.stdout.split() == ["chromium", "qemu-x86_64", "npm"]


def test_ci_run_uses_it_and_asks_apt_for_nothing_itself():
    run_script = (SCRIPT.parent / "run").read_text()

    assert "bash .ci/install-system-packages" in run_script
    assert "apt-get" not in run_script
    assert os.access(SCRIPT, os.X_OK)
