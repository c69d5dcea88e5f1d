"""`make tune`: a Bayesian search (Optuna's TPE sampler) whose every trial is a DVC experiment,
and whose every proposal and result is the same on one machine or many.

    python -m tools.tune \
        --space "experiments.blobs4.train.learning_rate=tag(log,interval(1e-4,1e-1))" \
        --trials 12 --batch 4 --workers 2

The sampler, seeded, is asked for BATCH trials at a time; they run on Dask (tools.runner), and
are told their results in trial order once the batch is done, so what it proposes next never
depends on which worker finished first. Trial n of study S is the experiment ``S-n``; S names
the SPACE, BATCH, seed and metric, so the same command finds its finished trials again
(resumed after Ctrl-C or a lost machine: they are read back, not trained again).

It writes reports/tune/S.csv (a row per trial, after every batch) and S.md with S.png (the
table, the best trial, the gate's verdict of it against HEAD, the metric per trial and the
search space). ``--apply`` applies the best trial that passes the gate.

Exit codes: 0 done; 1 no trial passed the gate (with --apply); 2 a bad command line, SPACE,
rules file, remote or cluster (one line each, nothing run); 130 interrupted.
"""

import argparse
import hashlib
import json
import math
import signal
import sys
from pathlib import Path

from dvc.repo import Repo

from gate.errors import GateError
from gate.project import Project
from gate.rules import load_rules
from pipeline.files import read_json, read_yaml
from tools.gather import PASSED, Order, apply_best, parse_by, pull, shown_runs, verdict
from tools.remote import RemoteError, try_s3_remote
from tools.runner import Origin, dask_client, origin_of, run_all, uncommitted_problem
from tools.runs import ShowError
from tools.shard import ShareError, local_names, remote_names
from tools.space import SpaceError, override, parse_space, split_items
from tools.study_report import Trial, ranked, write_csv, write_report

STARTUP_TRIALS = 4  # random trials before TPE models the results (Optuna's default is 10)
PARAMS_FILE = "params.yaml"


def study_name(items: list[str], batch: int, seed: int, order: Order) -> str:
    """``tune-`` and 8 hex digits of what decides the proposals: the same study, the same names."""
    what = json.dumps([items, batch, seed, order.experiment, order.metric, order.higher])
    return "tune-" + hashlib.sha256(what.encode()).hexdigest()[:8]


def sampler_study(seed: int, higher: bool):
    """An in-memory Optuna study with the seeded TPE sampler; the results decide the rest."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(
        seed=seed, n_startup_trials=STARTUP_TRIALS, constant_liar=True
    )
    return optuna.create_study(direction="maximize" if higher else "minimize", sampler=sampler)


def metric_value(values: dict | None, order: Order) -> float | None:
    """The ranking metric of a run's values, if it is a finite number."""
    value = (values or {}).get(order.key())
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def finished(args, names: list[str]) -> set[str]:
    """The runs among ``names`` that are experiments here (pulled first from the git remote
    when a cluster ran them)."""
    if args.scheduler:
        pull(args.remote, sorted(set(names) & remote_names(args.remote)))
    with Repo() as repo:
        return set(names) & set(local_names(repo))


class StudyError(Exception):
    """A study that cannot go on as the same study, with the line saying why."""


def param_key(key: str) -> tuple:
    """A params key as `dvc exp show` values name it: experiments.a.b.c -> (params, a, b, c)."""
    return ("params", *key.split(".")[1:])


def check_read_back(run_name: str, values: dict, proposed: dict) -> None:
    """A trial read back must have the params the study proposes now; a StudyError if not
    (its earlier run was of another study: a failed trial that passed later, another Optuna)."""
    for key, value in proposed.items():
        if values.get(param_key(key)) != value:
            raise StudyError(
                f"the experiment {run_name} has {key}={values.get(param_key(key))!r}, but the "
                f"study now proposes {value!r}: its earlier trials went otherwise. Remove them "
                f"(dvc exp remove {run_name.rsplit('-', 1)[0]}-<n>) or change SEED"
            )


class CtrlC:
    """Ctrl-C, remembered: a library call that catches KeyboardInterrupt on its way (DVC's,
    Dask's) cannot make the study go on; run_study stops at its next step."""

    pressed = False

    @classmethod
    def press(cls, signum: int, frame: object) -> None:
        cls.pressed = True
        raise KeyboardInterrupt

    @classmethod
    def stop_if_pressed(cls) -> None:
        if cls.pressed:
            raise KeyboardInterrupt


def run_study(args, space: dict, order: Order, name: str, client, origin: Origin) -> list:
    """Ask, run and tell, BATCH trials at a time, until TRIALS; every trial, in order."""
    from optuna.trial import TrialState

    study, trials = sampler_study(args.seed, order.higher), []
    while len(trials) < args.trials:
        CtrlC.stop_if_pressed()
        asked = [study.ask(space) for _ in range(min(args.batch, args.trials - len(trials)))]
        runs = [
            (f"{name}-{t.number}", tuple(override(k, t.params[k]) for k in space)) for t in asked
        ]
        before = finished(args, [run_name for run_name, _ in runs])
        values = shown_runs(sorted(before))[1] if before else {}  # read back (a resume)
        for t, (run_name, _) in zip(asked, runs, strict=True):
            if run_name in before:
                check_read_back(run_name, values.get(run_name, {}), t.params)
        todo, errors = [run for run in runs if run[0] not in before], {}
        if todo:
            print(f"tune: {name}: running {', '.join(r for r, _ in todo)}", flush=True)
            errors = dict(zip([r for r, _ in todo], run_all(client, todo, origin), strict=True))
            CtrlC.stop_if_pressed()
            ran = finished(args, [r for r, _ in todo if errors[r] is None])
            CtrlC.stop_if_pressed()
            values.update(shown_runs(sorted(ran))[1] if ran else {})
        for t, (run_name, _) in zip(asked, runs, strict=True):
            value = metric_value(values.get(run_name), order)
            error = errors.get(run_name) or (None if value is not None else "no metric")
            if error is None:
                study.tell(t, value)
            else:
                study.tell(t, state=TrialState.FAIL)
                print(f"tune: trial {run_name} failed: {error}", file=sys.stderr)
            trials.append(Trial(t.number, t.params, value, run_name, error))
        write_csv(Path(args.reports) / f"{name}.csv", trials, space, order)
    return trials


def metric_problems(project: Project, order: Order) -> list[str]:
    """A line if HEAD's metrics file of the experiment lacks the metric to optimise (none
    when there is no such file yet: the trials write it)."""
    if project.metrics_file is None:
        return []
    path = Path(project.metrics_file.format(experiment=order.experiment))
    try:
        node = read_json(path)
    except (OSError, ValueError):
        return []
    for part in order.metric.split("."):
        if not isinstance(node, dict) or part not in node:
            return [f"BY: {path} has no metric {order.metric}; the trials could not be ranked"]
        node = node[part]
    return []


def check(args) -> tuple[dict, Order, Project, dict, list[str]]:
    """The space, the ranking, the gate's project and rules; or every problem, one line each."""
    problems, items = [], split_items(args.space)
    space = order = project = rules = None
    for flag, value in (("TRIALS", args.trials), ("BATCH", args.batch), ("WORKERS", args.workers)):
        if value < 1:
            problems.append(f"{flag}={value}: expected a whole number >= 1")
    if not 0 <= args.seed < 2**32:
        problems.append(f"SEED={args.seed}: expected a whole number from 0 to 2**32 - 1")
    try:
        space = parse_space(items, read_yaml(PARAMS_FILE))
    except SpaceError as error:
        problems += error.problems
    try:
        project, rules = load_rules(args.rules)
        order = parse_by(args.by, rules, items)
        problems += metric_problems(project, order)
    except GateError as error:
        problems.append(str(error))
    if (problem := uncommitted_problem("the trials run")) is not None:
        problems.append(problem)
    return space, order, project, rules, problems


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", default="", help="KEY=SPEC items, space-separated")
    parser.add_argument("--trials", type=int, default=12, help="how many trials (12)")
    parser.add_argument("--batch", type=int, default=4, help="trials proposed at a time (4)")
    parser.add_argument("--seed", type=int, default=0, help="the sampler's seed (0)")
    parser.add_argument("--workers", type=int, default=1, help="local Dask workers (1)")
    parser.add_argument("--scheduler", default="", help="a Dask scheduler's address instead")
    parser.add_argument("--remote", default="origin", help="the git remote a cluster clones")
    parser.add_argument("--by", default="", help="EXP.METRIC[:higher|:lower] to optimise")
    parser.add_argument("--rules", default="gate.yaml")
    parser.add_argument("--reports", default="reports/tune")
    parser.add_argument("--apply", action="store_true", help="apply the best that passes")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    space, order, project, rules, problems = check(args)
    for problem in problems:
        print(f"tune: {problem}", file=sys.stderr)
    if problems:
        return 2
    name = study_name(split_items(args.space), args.batch, args.seed, order)
    try:
        with Repo() as repo:
            try_s3_remote(repo)  # a bucket out of reach: one line before any training
        origin = origin_of(args.scheduler, args.remote, Path.cwd().resolve())
        print(
            f"tune: study {name}: {args.trials} trials, {args.batch} at a time, by "
            f"{order.describe(args.rules)}",
            flush=True,
        )
        signal.signal(signal.SIGINT, CtrlC.press)
        with dask_client(args.workers, args.scheduler) as client:
            trials = run_study(args, space, order, name, client, origin)
    except (RemoteError, ShareError, ShowError, StudyError, OSError) as error:
        print(f"tune: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"tune: interrupted; finished trials are kept: run the same command to resume "
            f"study {name}",
            file=sys.stderr,
        )
        return 130
    best_first = ranked(trials, order.higher)
    verdicts = {}
    for trial in best_first:  # the best's verdict, and the next ones' until one passes
        verdicts[trial.experiment] = verdict("HEAD", trial.experiment, project, rules)
        if verdicts[trial.experiment][0] == PASSED or not args.apply:
            break
    report = write_report(Path(args.reports), name, args.space, trials, space, order, verdicts)
    print(f"tune: {len(best_first)} of {len(trials)} trials finished; report: {report}")
    if args.apply:
        return apply_best(
            [t.experiment for t in best_first if t.experiment in verdicts], verdicts, "tune"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
