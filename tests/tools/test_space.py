"""tools.space: SPACE in Hydra's Optuna sweeper syntax, checked before anything runs."""

import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from tests.notebook_params import notebook_params
from tools.space import SpaceError, override, parse_space, split_items

RATE = "experiments.blobs4.train.learning_rate"
BATCH = "experiments.blobs4.train.batch_size"
OPTIMIZER = "experiments.blobs4.train.optimizer"


@pytest.fixture(scope="module")
def params():
    """The notebook's params (not today's params.yaml, which users edit)."""
    return notebook_params()


def test_each_form_of_hydras_optuna_sweeper(params):
    space = parse_space(
        [
            f"{RATE}=tag(log,interval(1e-4,1e-1))",
            f"{BATCH}=range(8,33,8)",
            f"{OPTIMIZER}=choice(adam,sgd)",
        ],
        params,
    )
    assert list(space) == [RATE, BATCH, OPTIMIZER]
    assert space[RATE] == FloatDistribution(1e-4, 1e-1, log=True)
    assert space[BATCH] == CategoricalDistribution([8, 16, 24, 32])
    assert space[OPTIMIZER] == CategoricalDistribution(["adam", "sgd"])
    assert parse_space([f"{BATCH}=int(interval(8,64))"], params) == {BATCH: IntDistribution(8, 64)}
    assert parse_space([f"{RATE}=interval(0.01,0.1)"], params) == {
        RATE: FloatDistribution(0.01, 0.1)
    }


@pytest.mark.parametrize(
    "items, problems",
    [
        ([], ["nothing to search: give a params key and its values, SPACE='"]),
        ([f"{RATE}x=interval(0.1,0.2)"], [f"'{RATE}x' is not a key of params.yaml"]),
        ([f"{RATE}=interval(0.2,0.1)"], [f"'{RATE}=interval(0.2,0.1)': the interval is empty"]),
        ([f"{RATE}=interval(0.1,0.1)"], [f"'{RATE}=interval(0.1,0.1)': the interval is empty"]),
        (
            [f"{RATE}=tag(log,interval(0,0.1))"],
            [f"'{RATE}=tag(log,interval(0,0.1))': a log interval must lie above 0, this one"],
        ),
        ([f"{RATE}=tag(lin,interval(1,2))"], [f"'{RATE}=tag(lin,interval(1,2))': unknown tag lin"]),
        ([f"{RATE}=interval(-1,0.1)"], [f"{RATE}: got -1.0, expected a finite number > 0"]),
        ([f"{OPTIMIZER}=choice(adam,sgdd,adamm)"], [f"{OPTIMIZER}: got 'sgdd', expected one of"]),
        ([f"{RATE}=0.1"], [f"'{RATE}=0.1': not a space to search; expected KEY="]),
        ([f"{BATCH}=glob(*)"], [f"'{BATCH}=glob(*)': not a space to search; expected KEY="]),
        ([f"{BATCH}=range(10,1)"], [f"'{BATCH}=range(10,1)': a range of 0 values; expected 1 to"]),
        ([f"{BATCH}=range(1,1e9)"], [f"'{BATCH}=range(1,1e9)': a range of 999999999 values"]),
        (
            [f"{OPTIMIZER}=tag(log,choice(adam,sgd))"],
            [f"'{OPTIMIZER}=tag(log,choice(adam,sgd))': unknown tag log; only log, on an interval"],
        ),
        (
            [f"{BATCH}=interval(8,128)"],
            [f"{BATCH}: got 68.00000000000001, expected an integer >= 1 (interval(...) draws any"],
        ),
        (
            [f"{OPTIMIZER}=choice('x,y')"],
            [f"'{OPTIMIZER}=x,y': `dvc exp run -S` would not read this value back as it is"],
        ),
        ([f"{RATE}=interval(1,"], [f"'{RATE}=interval(1,': no viable alternative"]),
        (
            [f"{RATE}=interval(0.1,0.2)", f"{RATE}=choice(0.1,0.2)"],
            [f"'{RATE}' is given twice"],
        ),
        (
            [f"{RATE}=interval(0.2,0.1)", f"{BATCH}x=range(1,3)"],
            [f"'{RATE}=interval(0.2,0.1)': the interval", f"'{BATCH}x' is not a key"],
        ),
    ],
)
def test_every_problem_is_one_line(params, items, problems):
    with pytest.raises(SpaceError) as caught:
        parse_space(items, params)
    assert len(caught.value.problems) == len(problems)
    for line, start in zip(caught.value.problems, problems, strict=True):
        assert line.startswith(start), line
        assert "\n" not in line


def test_an_override_reads_back_as_the_same_value(params):
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    for value in (0.1 + 0.2, 1e-5, 32, "adam"):
        text = override(RATE, value)
        assert parser.parse_overrides([text])[0].value() == value


def test_items_are_split_on_spaces_outside_brackets_and_quotes():
    text = f"{RATE}=tag(log, interval(1e-4, 1e-1))  {OPTIMIZER}=choice(adam, 'a b')\n{BATCH}=range(8,33,8)"
    assert split_items(text) == [
        f"{RATE}=tag(log, interval(1e-4, 1e-1))",
        f"{OPTIMIZER}=choice(adam, 'a b')",
        f"{BATCH}=range(8,33,8)",
    ]
    assert split_items("  ") == []
