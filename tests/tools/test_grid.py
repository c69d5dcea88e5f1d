"""tools.grid: DVC's grid, in DVC's order, the same names and shards on every machine."""

import pytest

from tools import grid

RATES = "experiments.blobs4.train.learning_rate=0.003,0.01,0.03,0.1"


def test_the_grid_is_dvc_s_product_in_dvc_s_order():
    assert grid.grid([RATES, "experiments.blobs4.train.epochs=range(1,3)"]) == [
        (f"experiments.blobs4.train.learning_rate={rate}", f"experiments.blobs4.train.epochs={e}")
        for rate in ("0.003", "0.01", "0.03", "0.1")
        for e in (1, 2)
    ]


def test_a_named_params_file_stays_in_the_override():
    assert grid.grid(["other.yaml:a.b=1,2"]) == [("other.yaml:a.b=1",), ("other.yaml:a.b=2",)]


def test_run_k_belongs_to_shard_k_mod_n_and_is_named_after_the_sweep():
    runs = grid.plan([RATES], 3)
    assert [(run.index, run.shard) for run in runs] == [(0, 1), (1, 2), (2, 3), (3, 1)]
    prefix = grid.sweep_name([RATES])
    assert [run.name for run in runs] == [f"{prefix}-{i}" for i in (1, 2, 3, 4)]
    assert prefix == grid.plan([RATES], 1)[0].name[: -len("-1")]  # names do not depend on n
    assert prefix != grid.sweep_name(["experiments.blobs4.train.learning_rate=0.003,0.01"])
    assert runs[1].describe() == f"{prefix}-2 (experiments.blobs4.train.learning_rate=0.01)"


@pytest.mark.parametrize("text", ["", "3", "0/3", "4/3", "a/b", "1/0", "-1/2"])
def test_a_shard_is_k_of_n(text):
    with pytest.raises(grid.ShardError, match=rf"^SHARD='{text}' is not k/n with 1 <= k <= n;"):
        grid.parse_shard(text)


def test_shards_parse():
    assert grid.parse_shard("2/3") == (2, 3)
    assert grid.parse_shard("1/1") == (1, 1)
