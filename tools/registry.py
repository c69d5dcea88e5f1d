"""A model registry in git: each experiment's weights file is an artifact in dvc.yaml, its
versions and stages are GTO's git tags, and only the metric gate promotes.

    make promote NAME=<exp> [STAGE=prod] [VERSION=<v>]   judge HEAD, then register and assign
    make registry                                       each experiment's versions and stages
    make serve NAME=<exp> [STAGE=prod | REV=<rev>]       serve.app, with model_files here

Promotion judges the model in HEAD against the version now in the stage, with the
experiment's rules in gate.yaml (gate.compare, as `make gate` does): HEAD must pass every rule
and be significantly better on the first one (its noise test, p below its significant_at, else
0.05), or the version stays. A stage with no version yet: the rules that need no base alone
(min, max, beats and within: better than its baselines). A version that held the stage before
goes back without a judgement: the rollback. Versions are v1.0.0 for the first, then a minor
bump; tags are written here and pushed by you (`git push --tags`).
"""

import argparse
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass

from gate.compare import check_rule_names, compare, format_p, format_value
from gate.dvc_reader import read_sides
from gate.errors import GateError
from gate.project import Project
from gate.revision_metrics import Side
from gate.rules import load_rules
from gate.stats import DEFAULT_LEVEL
from pipeline.errors import PipelineError
from pipeline.files import parse_yaml, read_yaml
from pipeline.inference import checked_weights
from pipeline.predictions import schema_of

FIRST_VERSION = "v1.0.0"
STAGES_FILE = ".gto"  # GTO's own configuration: the stages a version may be assigned to
WIDTH = 120  # `make registry` fits a terminal this wide


class RegistryError(ValueError):
    """A promotion or lookup that cannot go on, in one line."""


@dataclass(frozen=True)
class Holder:
    """The version in a stage, and its commit."""

    version: str
    commit: str


@dataclass(frozen=True)
class Judgement:
    """The gate's verdict on a promotion: whether it may go on, and the lines that say why."""

    passed: bool
    lines: list[str]


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
    """The version now in ``stage``: the last assignment's; None if none, or taken away."""
    from gto.constants import ACTION, Action
    from gto.tag import parse_name

    tags = assignments(git, name, stage)
    if not tags or parse_name(tags[-1].name)[ACTION] == Action.UNASSIGN:
        return None
    last = tags[-1]
    return Holder(registrations(git, name).get(last.target, "unregistered"), last.target)


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


def only(side: Side, name: str) -> Side:
    """One experiment's part of a Side: no other experiment has a say in its promotion."""

    def mine(values: dict) -> dict:
        return {key: value for key, value in values.items() if key == name}

    return Side(
        side.name,
        experiments=None
        if side.experiments is None
        else tuple(mine(dict.fromkeys(side.experiments))),
        params=side.params,
        metrics=mine(side.metrics),
        paths=mine(side.paths),
        errors=mine(side.errors),
        problems=side.problems,
        points=mine(side.points),
        point_errors=mine(side.point_errors),
    )


def judge(name: str, base: Side | None, new: Side, rules: dict, project: Project) -> Judgement:
    """May ``new`` replace ``base`` (None: a stage with no version yet)? Pure: gate.compare
    on the experiment alone, then its first rule's noise test must call the change an
    improvement. Without a base, the rules that need none (min, max, beats, within) alone."""
    if not rules.get(name):
        raise RegistryError(f"gate.yaml has no rules for {name!r}: nothing to judge it by")
    experiment_rules = {name: rules[name]}
    new = only(new, name)
    base = only(base, name) if base is not None else Side("no version", experiments=())
    check_rule_names(experiment_rules, base, new)
    comparison = compare(base, new, experiment_rules, project)
    if not comparison.passed:
        return Judgement(False, comparison.failures)
    rows = comparison.tables[0].rows
    if not base.metrics:
        shown = ", ".join(
            f"{row.metric} {format_value(row.new)}" for row in rows if row.verdict.startswith("ok")
        )
        return Judgement(True, [f"{name}: passes every rule that needs no base ({shown})"])
    metric, rule = next(iter(rules[name].items()))
    return improvement(name, next(row for row in rows if row.metric == metric), rule)


def improvement(name: str, row, rule) -> Judgement:
    """Whether a gate row's change is an improvement beyond noise (its rule's direction)."""
    values = f"{name} {row.metric}: {format_value(row.base)} -> {format_value(row.new)}"
    level = float(rule.significant_at) if rule.significant_at is not None else DEFAULT_LEVEL
    if row.test is None:
        return Judgement(False, [f"{values}: no per-point results to tell a change from noise"])
    better = row.test.change > 0 if rule.better == "higher" else row.test.change < 0
    p_value = f"p {format_p(row.test.p_value, level)}"
    if better and row.test.significant(level):
        return Judgement(True, [f"{values}: significantly better ({p_value} < {level:g})"])
    change = "better" if better else "no change" if not row.test.change else "worse"
    return Judgement(
        False, [f"{values}: not significantly better ({change}, {p_value} >= {level:g})"]
    )


def gate_setup() -> tuple[Project, dict]:
    """gate.yaml's project section and rules."""
    return load_rules("gate.yaml")


def verdict(name: str, base_rev: str | None, new_rev: str) -> Judgement:
    """Read both revisions' metrics through DVC and judge (see judge); the revisions are
    tags or HEAD, which name the sides in the lines."""
    project, rules = gate_setup()
    try:
        base, new = read_sides(base_rev or new_rev, project, new=new_rev)
        return judge(name, base if base_rev else None, new, rules, project)
    except GateError as error:
        return Judgement(False, [str(error)])


def uncommitted(name: str) -> str | None:
    """A line when the workspace's run of ``name`` differs from HEAD's: promote judges and
    tags HEAD, never the workspace."""
    metrics = gate_setup()[0].metrics_file.format(experiment=name)
    listed = subprocess.run(
        ["git", "status", "--porcelain", "--", "dvc.lock", metrics], capture_output=True, text=True
    )
    if listed.stdout.strip():
        return f"dvc.lock or {metrics} differ from HEAD: commit the run to promote it"
    return None


def write_tags(git, name: str, stage: str, version: str, commit: str, register: bool) -> None:
    """Register ``version`` at ``commit`` (when asked) and assign it to ``stage``: GTO's tags.
    A new assignment comes a second after the last (tags keep whole seconds), so that every
    reader (GTO, `dvc artifacts get`) orders them alike."""
    import gto.api
    from scmrepo.exceptions import SCMError

    tags = assignments(git, name, stage)
    while tags and int(time.time()) <= tags[-1].tag_time:
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
    was = f"{current.version} in {stage}" if current else f"no version in {stage}"
    if version is None:
        if problem := uncommitted(name):
            raise RegistryError(problem)
        commit = commit_of(git, "HEAD")
        version = registrations(git, name).get(commit)
    else:
        commit = version_commit(git, name, version)
    if current is not None and current.commit == commit:
        print(f"{name} {current.version} is in {stage} already")
        return 0
    if version is not None and held_before(git, name, stage, commit):
        write_tags(git, name, stage, version, commit, register=False)
        print(f"rolled back: {name} {version} is in {stage} again, was {was}")
        return push_hint()
    base_rev = current and f"{name}@{current.version}"
    judged = verdict(name, base_rev, f"{name}@{version}" if version else "HEAD")
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


def model_files(name: str, stage: str | None, rev: str | None) -> tuple[dict, dict]:
    """The checked weights of ``name`` in ``stage`` (or at ``rev``), read through DVC at the
    version's commit, and what the server's /metadata shows of them: version, stage, commit,
    features, classes, the weights' hash in dvc.lock, the metrics of that commit."""
    from dvc.api import DVCFileSystem

    if stage and rev:
        raise RegistryError(f"STAGE={stage} and REV={rev}: give one of them")
    stage = None if rev else stage or "prod"
    check_names(name, stage)
    git = scm()
    if rev:
        commit = commit_of(git, rev)
        version = registrations(git, name).get(commit)
    else:
        current = holder(git, name, stage)
        if current is None:
            raise RegistryError(
                f"no version of {name} in {stage}: make promote NAME={name} first, or REV=HEAD"
            )
        commit, version = current.commit, current.version
    path = artifacts()[name]
    source = f"{path} at {version or commit[:7]}"
    files = DVCFileSystem(".", rev=commit)
    try:
        text = files.read_text(path)
    except Exception as error:  # DVC raises several types for an output it cannot find
        raise RegistryError(
            f"{source}: cannot read it ({type(error).__name__}): `make pull` fetches the "
            "DVC remote's outputs"
        ) from None
    try:
        weights = checked_weights(json.loads(text), source)
    except json.JSONDecodeError as error:
        raise RegistryError(f"{source}: not a weights file ({error})") from None
    schema = schema_of(weights)
    metrics_path = gate_setup()[0].metrics_file.format(experiment=name)
    metadata = {
        "experiment": name,
        "version": version,
        "stage": stage,
        "revision": rev,
        "commit": commit,
        "features": [{"name": feature, "type": "number"} for feature in schema.features],
        "target": schema.target,
        "classes": None if schema.classes is None else list(schema.classes),
        "model": {"path": path, "md5": lock_md5(parse_yaml(files.read_text("dvc.lock")), path)},
        "metrics": json.loads(files.read_text(metrics_path))
        if files.exists(metrics_path)
        else None,
    }
    return weights, metadata


def lock_md5(lock: dict, path: str) -> str | None:
    """An output's hash in dvc.lock."""
    for stage in (lock.get("stages") or {}).values():
        for out in stage.get("outs") or []:
            if out.get("path") == path:
                return out.get("md5")
    return None


def check() -> int:
    """CI's check of the tags: every version put in a stage passed the gate against the one
    it replaced (a rollback to a version the stage held before needs none). A tag written by
    hand (`gto assign`) past the gate fails here."""
    git, failed, judged = scm(), 0, 0
    for name in artifacts():
        versions = registrations(git, name)
        for stage in stages():
            before, held = None, set()
            for tag in assignments(git, name, stage):
                rev = f"{name}@{versions[tag.target]}" if tag.target in versions else tag.target
                if tag.target not in held:
                    judged += 1
                    verdict_of = verdict(name, before, rev)
                    for line in [] if verdict_of.passed else verdict_of.lines:
                        print(f"{tag.name}: not allowed by the gate: {line}", file=sys.stderr)
                        failed += 1
                held.add(tag.target)
                before = rev
    print(f"registry: {judged} promotions judged, {failed} failures")
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
    args = parse_args(argv)
    try:
        if args.command == "promote":
            return promote(args.name, args.stage or "prod", args.version or None)
        if args.command == "check":
            return check()
        print(table_text(registry_rows(scm())))
        return 0
    except (RegistryError, PipelineError, GateError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
