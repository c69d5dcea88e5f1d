"""A model registry in git: each experiment's weights file is an artifact in dvc.yaml, its
versions and stages are GTO's git tags, and only the metric gate promotes.

    make promote NAME=<exp> [STAGE=prod] [VERSION=<v>]   judge HEAD, then register and assign
    make registry                                       each experiment's versions and stages
    make registry-check                                 every promotion in the tags, judged again

Promotion judges the model in HEAD against the version last put in the stage
(tools.promotion), and tags it only if it is significantly better. A version that held the
stage before goes back without a judgement: the rollback. Versions are v1.0.0 for the first,
then a minor bump; tags are written here and pushed by you (`git push --tags`). The version
in a stage is read by replaying the stage's tags (holder); serve.version reads its files.
"""

import argparse
import re
import sys
import time
from dataclasses import dataclass

from gate.errors import GateError
from gate.messages import one_line
from pipeline.errors import PipelineError
from pipeline.files import read_yaml
from tools.promotion import RegistryError, verdict

FIRST_VERSION = "v1.0.0"
STAGES_FILE = ".gto"  # GTO's own configuration: the stages a version may be assigned to
WIDTH = 120  # `make registry` fits a terminal this wide


@dataclass(frozen=True)
class Holder:
    """The version in a stage (None: a commit assigned without a registration), its commit."""

    version: str | None
    commit: str


def scm():
    """The repository's git, as GTO and DVC read it."""
    from scmrepo.git import Git

    return Git(".")


def artifacts(dvc_yaml: str = "dvc.yaml") -> dict[str, str]:
    """dvc.yaml's artifacts: {name: path}."""
    entries = read_yaml(dvc_yaml).get("artifacts") or {}
    return {name: entry["path"] for name, entry in entries.items()}


def stages() -> list[str]:
    """The stages .gto allows a version into."""
    from gto.config import read_registry_config

    return list(read_registry_config(STAGES_FILE).stages or [])


def check_names(name: str, stage: str | None) -> None:
    """One line for an experiment without an artifact, or a stage .gto does not list."""
    known = artifacts()
    if name not in known:
        raise RegistryError(
            f"NAME: {name!r} is not an artifact in dvc.yaml (artifacts: {', '.join(known)})"
        )
    if stage is not None and stage not in stages():
        raise RegistryError(f"STAGE: got {stage!r}, expected one of {', '.join(stages())} (.gto)")


def registrations(git, name: str) -> dict[str, str]:
    """{commit: version} of an artifact's registered versions (GTO's tags NAME@vX.Y.Z)."""
    from gto.constants import VERSION, Action
    from gto.tag import find, parse_name

    return {
        tag.target: parse_name(tag.name)[VERSION]
        for tag in find(action=Action.REGISTER, name=name, scm=git)
    }


def assignments(git, name: str, stage: str) -> list:
    """An artifact's tags that assign ``stage`` or take it away (NAME#stage#N), oldest first:
    by time, then within a second (tags keep whole seconds) by GTO's counter N."""
    from gto.constants import COUNTER, Action
    from gto.tag import find, parse_name

    actions = frozenset({Action.ASSIGN, Action.UNASSIGN})
    tags = find(action=actions, name=name, stage=stage, scm=git)
    return sorted(tags, key=lambda tag: (tag.tag_time, parse_name(tag.name).get(COUNTER, 0)))


def holder(git, name: str, stage: str) -> Holder | None:
    """The version now in ``stage``, replaying its tags in order: an assignment puts its
    version there; a removal (NAME#stage!) empties the stage only if it names that version."""
    current = None
    for tag in assignments(git, name, stage):
        if not is_removal(tag):
            current = tag.target
        elif tag.target == current:
            current = None
    return None if current is None else as_holder(git, name, current)


def last_assigned(git, name: str, stage: str) -> Holder | None:
    """The version most recently put in ``stage``, even if taken out since: a promotion is
    judged against it, so that emptying a stage by hand opens no way past the gate."""
    assigned = [tag for tag in assignments(git, name, stage) if not is_removal(tag)]
    return as_holder(git, name, assigned[-1].target) if assigned else None


def is_removal(tag) -> bool:
    from gto.constants import ACTION, Action
    from gto.tag import parse_name

    return parse_name(tag.name)[ACTION] == Action.UNASSIGN


def as_holder(git, name: str, commit: str) -> Holder:
    return Holder(registrations(git, name).get(commit), commit)


def revision(name: str, held: Holder) -> str:
    """How the gate reads a version: its registration tag, or its commit if it has none (a
    stage assigned by hand with `gto assign --skip-registration`)."""
    return f"{name}@{held.version}" if held.version else held.commit


def held_before(git, name: str, stage: str, commit: str) -> bool:
    """Whether the version at ``commit`` was in ``stage`` once: it may go back (a rollback)."""
    return any(tag.target == commit for tag in assignments(git, name, stage))


def commit_of(git, rev: str) -> str:
    """The commit of a git revision, or one line."""
    from scmrepo.exceptions import RevError

    try:
        return git.resolve_rev(rev)
    except RevError:
        raise RegistryError(f"REV: {rev!r} is not a git revision of this repository") from None


def version_commit(git, name: str, version: str) -> str:
    """The commit of a registered version, or one line naming the versions there are."""
    found = {v: commit for commit, v in registrations(git, name).items()}
    if version not in found:
        listed = ", ".join(sorted(found)) or "none yet"
        raise RegistryError(f"VERSION: {name} has no version {version!r} (versions: {listed})")
    return found[version]


def next_version(versions: list[str]) -> str:
    """v1.0.0 for an artifact's first version, then the next minor after its highest."""
    if not versions:
        return FIRST_VERSION
    major, minor, _ = max(semver(version) for version in versions)
    return f"v{major}.{minor + 1}.0"


def semver(version: str) -> tuple[int, int, int]:
    """vX.Y.Z's numbers, for ordering (a pre-release or build suffix, GTO allows one, aside)."""
    match = re.match(r"v(\d+)\.(\d+)\.(\d+)", version)
    return (int(match[1]), int(match[2]), int(match[3])) if match else (0, 0, 0)


def write_tags(git, name: str, stage: str, version: str, commit: str, register: bool) -> None:
    """Register ``version`` at ``commit`` (when asked) and assign it to ``stage``: GTO's tags.
    A new assignment comes a second after the last (tags keep whole seconds), so that every
    reader (GTO, `dvc artifacts get`) orders them alike."""
    import gto.api
    from scmrepo.exceptions import SCMError

    tags = assignments(git, name, stage)
    # Wait for the next second only if the last tag is of this second: one dated later
    # (another machine's clock) is left to GTO's counter, never waited for.
    while tags and int(time.time()) == tags[-1].tag_time:
        time.sleep(0.05)
    try:
        if register:
            gto.api.register(".", name, commit, version=version)
        gto.api.assign(".", name, stage, version=version, force=True)
    except SCMError as error:
        raise RegistryError(f"git could not write the tag: {error}") from None


def promote(name: str, stage: str, version: str | None) -> int:
    """`make promote`: judge, then register and assign; a refusal writes no tag."""
    check_names(name, stage)
    git = scm()
    current = holder(git, name, stage)
    was = f"{describe(current)} in {stage}" if current else f"no version in {stage}"
    if version is None:
        from tools.runner import uncommitted_problem

        if problem := uncommitted_problem("the promotion judges and tags the model"):
            raise RegistryError(problem)
        commit = commit_of(git, "HEAD")
        version = registrations(git, name).get(commit)
    else:
        commit = version_commit(git, name, version)
    if current is not None and current.commit == commit:
        print(f"{name} {describe(current)} is in {stage} already")
        return 0
    if version is not None and held_before(git, name, stage, commit):
        write_tags(git, name, stage, version, commit, register=False)
        print(f"rolled back: {name} {version} is in {stage} again, was {was}")
        return push_hint()
    base = last_assigned(git, name, stage)
    new_rev = f"{name}@{version}" if version else "HEAD"
    judged = verdict(name, base and revision(name, base), new_rev, commit)
    if not judged.passed:
        for line in judged.lines:
            print(f"refused, {was} stays: {line}", file=sys.stderr)
        return 1
    new_version = version or next_version(list(registrations(git, name).values()))
    write_tags(git, name, stage, new_version, commit, register=version is None)
    print(f"promoted: {name} {new_version} ({commit[:7]}) is in {stage}, was {was}")
    for line in judged.lines:
        print(f"  {line}")
    return push_hint()


def describe(held: Holder) -> str:
    return held.version or f"commit {held.commit[:7]} (unregistered)"


def push_hint() -> int:
    print("The tags are in this clone only: `git push --tags` shares them (docs/registry.md)")
    return 0


def registry_rows(git) -> list[list[str]]:
    """Each artifact's versions, newest first: name, version, stages held, commit, date."""
    import gto.api

    rows = []
    for name in artifacts():
        holders = {stage: holder(git, name, stage) for stage in stages()}
        found = sorted(registrations(git, name).items(), key=lambda item: semver(item[1]))
        if not found:
            rows.append([name, "-", "", "", "no version yet"])
        shown = {v["version"]: v for v in gto.api.show(".", name)} if found else {}
        for commit, version in reversed(found):
            held = [stage for stage, h in holders.items() if h and h.commit == commit]
            when = str(shown.get(version, {}).get("created_at", ""))[:16]
            rows.append([name, version, ", ".join(held), commit[:7], when])
    return rows


def table_text(rows: list[list[str]], width: int = WIDTH) -> str:
    """A plain table whose lines are at most ``width`` characters (long cells cut with ~)."""
    header = ["experiment", "version", "stages", "commit", "registered"]
    caps = [28, 12, 40, 7, 16]
    cells = [
        [c if len(c) <= cap else c[: cap - 1] + "~" for c, cap in zip(r, caps, strict=True)]
        for r in [header, *rows]
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(line[:width] for line in lines)


def check() -> int:
    """CI's check of the tags: every version put in a stage passed the gate, by the rules its
    commit held, against the version assigned before it (a version the stage held before goes
    back unjudged: a rollback). A tag written by hand (`gto assign`) past the gate fails."""
    git, judged, failed = scm(), 0, []
    for name in artifacts():
        for stage in stages():
            before, held = None, set()
            for tag in assignments(git, name, stage):
                if is_removal(tag):
                    continue
                version = as_holder(git, name, tag.target)
                if tag.target not in held:
                    judged += 1
                    rev = revision(name, version)
                    verdict_of = verdict(name, before and revision(name, before), rev, tag.target)
                    if not verdict_of.passed:
                        failed.append(tag.name)
                        for line in verdict_of.lines:
                            print(f"{tag.name}: not allowed by the gate: {line}", file=sys.stderr)
                held.add(tag.target)
                before = version
    print(f"registry: {judged} promotions judged, {len(failed)} not allowed by the gate")
    return 1 if failed else 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    promote_args = commands.add_parser("promote", help="judge HEAD, then register and assign")
    promote_args.add_argument("--name", required=True)
    promote_args.add_argument("--stage", default="prod")
    promote_args.add_argument("--version", default="")
    commands.add_parser("show", help="each experiment's versions and stages")
    commands.add_parser("check", help="every promotion in the tags passed the gate")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from gto.exceptions import GTOException  # a tag or .gto that GTO refuses

    args = parse_args(argv)
    try:
        if args.command == "promote":
            return promote(args.name, args.stage or "prod", args.version or None)
        if args.command == "check":
            return check()
        print(table_text(registry_rows(scm())))
        return 0
    except (RegistryError, PipelineError, GateError, GTOException) as error:
        print(f"error: {one_line(error)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
