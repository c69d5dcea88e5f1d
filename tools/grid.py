"""A sweep's runs, the same on every machine: DVC's own expansion of ``KEY=V1,V2`` overrides
into a grid, a name for each run, and the shard that owes it.

`dvc exp run --queue -S a=1,2 -S b=3,4` expands the overrides with Hydra's grammar
(`dvc.utils.hydra.get_hydra_sweeps`: lists, `range(...)`, `choice(...)`) into the product, in
a fixed order; this asks the same function, so `make sweep SHARD=k/n` on n machines and
`make gather` on one see the same runs. Run i (from 0) belongs to shard ``i % n + 1`` and is
named ``<sweep>-<i + 1>`` (DVC's own suffix for a named sweep), ``<sweep>`` being ``sweep-``
and the first 8 hex digits of the SET's SHA-256, so the names say which sweep a run is of.
"""

import hashlib
from dataclasses import dataclass

from dvc.dependency.param import ParamsDependency
from dvc.utils.cli_parse import to_path_overrides
from dvc.utils.hydra import get_hydra_sweeps

EXAMPLE_SHARD = "SHARD=2/3 (the second of three equal shares)"


class ShardError(ValueError):
    """A SHARD that is not k/n with 1 <= k <= n."""


@dataclass(frozen=True)
class Run:
    """One run of a sweep: its place in the grid, its name, its overrides and its shard."""

    index: int  # from 0, in DVC's order
    name: str
    overrides: tuple[str, ...]  # one `dvc exp run -S` value each: [file:]key=value
    shard: int  # from 1

    def describe(self) -> str:
        """``sweep-1a2b3c4d-2 (experiments.blobs4.train.learning_rate=0.01)``."""
        return f"{self.name} ({' '.join(self.overrides)})"


def sweep_name(overrides: list[str]) -> str:
    """``sweep-`` and 8 hex digits of the overrides as given: the same SET, the same names."""
    return "sweep-" + hashlib.sha256(" ".join(overrides).encode()).hexdigest()[:8]


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/3"`` -> (2, 3); a ShardError naming the value otherwise."""
    share, slash, count = text.partition("/")
    if slash and share.strip().isdigit() and count.strip().isdigit():
        k, n = int(share), int(count)
        if 1 <= k <= n:
            return k, n
    raise ShardError(f"SHARD={text!r} is not k/n with 1 <= k <= n; for example {EXAMPLE_SHARD}")


def grid(overrides: list[str]) -> list[tuple[str, ...]]:
    """Each run's ``-S`` values, in the order `dvc exp run --queue` would queue them."""
    runs = []
    for sweep in get_hydra_sweeps(to_path_overrides(overrides)):
        runs.append(
            tuple(
                value if path == ParamsDependency.DEFAULT_PARAMS_FILE else f"{path}:{value}"
                for path, values in sweep.items()
                for value in values
            )
        )
    return runs


def plan(overrides: list[str], shards: int) -> list[Run]:
    """Every run of the sweep, each with its name and the shard (of ``shards``) that owes it."""
    prefix = sweep_name(overrides)
    return [
        Run(index, f"{prefix}-{index + 1}", values, index % shards + 1)
        for index, values in enumerate(grid(overrides))
    ]
