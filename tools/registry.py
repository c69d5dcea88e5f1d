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
from gate.messages import one_line
from gate.project import Project
from gate.revision_metrics import Side
from gate.rules import load_rules, parse_gate_file
from gate.stats import DEFAULT_LEVEL
from pipeline.errors import PipelineError
from pipeline.files import parse_yaml, read_yaml
from pipeline.inference import checked_weights
from pipeline.predictions import schema_of

FIRST_VERSION = "v1.0.0"
RULES_FILE = "gate.yaml"
STAGES_FILE = ".gto"  # GTO's own configuration: the stages a version may be assigned to
WIDTH = 120  # `make registry` fits a terminal this wide


class RegistryError(ValueError):
    """A promotion or lookup that cannot go on, in one line."""


@dataclass(frozen=True)
class Holder:
    """The version in a stage (None: a commit assigned without a registration), its commit."""

    version: str | None
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
    on the experiment alone, then the noise test of its first rule that has one (a metric
    with per-point results) must call the change an improvement. Without a base, the rules
    that need none (min, max, beats, within) alone."""
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
    tested = [row for row in rows if row.metric in rules[name] and row.test is not None]
    if not tested:  # rows are by metric name: the first tested rule in gate.yaml's order
        return Judgement(False, [f"{name}: no rule's metric has per-point results on both "
                                 "sides to tell a change from noise"])  # fmt: skip
    first = min(tested, key=lambda row: list(rules[name]).index(row.metric))
    return improvement(name, first, rules[name][first.metric])


def improvement(name: str, row, rule) -> Judgement:
    """Whether a gate row's change is an improvement beyond noise (its rule's direction)."""
    values = f"{name} {row.metric}: {format_value(row.base)} -> {format_value(row.new)}"
    level = float(rule.significant_at) if rule.significant_at is not None else DEFAULT_LEVEL
    better = row.test.change > 0 if rule.better == "higher" else row.test.change < 0
    p_value = f"p {format_p(row.test.p_value, level)}"
    if better and row.test.significant(level):
        return Judgement(True, [f"{values}: significantly better ({p_value} < {level:g})"])
    change = "better" if better else "no change" if not row.test.change else "worse"
    return Judgement(
        False, [f"{values}: not significantly better ({change}, {p_value} >= {level:g})"]
    )


def gate_setup(commit: str | None = None) -> tuple[Project, dict]:
    """gate.yaml's project section and rules: the workspace's, or as ``commit`` has them."""
    if commit is None:
        return load_rules(RULES_FILE)
    shown = subprocess.run(
        ["git", "show", f"{commit}:{RULES_FILE}"], capture_output=True, text=True
    )
    if shown.returncode:
        raise RegistryError(f"{commit[:7]} has no {RULES_FILE}: nothing to judge it by")
    return parse_gate_file(parse_yaml(shown.stdout), f"{RULES_FILE} at {commit[:7]}")


def verdict(name: str, base_rev: str | None, new_rev: str, new_commit: str) -> Judgement:
    """Read both revisions' metrics through DVC and judge them (see judge) by the rules of
    gate.yaml as the new side's commit has them (as make promote read them then); the
    revisions are tags or HEAD, which name the sides in the lines."""
    try:
        project, rules = gate_setup(new_commit)
        base, new = read_sides(base_rev or new_rev, project, new=new_rev)
        return judge(name, base if base_rev else None, new, rules, project)
    except (GateError, RegistryError) as error:
        return Judgement(False, [str(error)])


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
    metrics_path = gate_setup(commit)[0].metrics_file.format(experiment=name)
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
