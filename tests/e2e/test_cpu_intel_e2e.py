"""End to end: the same bytes on an emulated Intel CPU, and a run on one below the reference kind.

See test_cpu_amd_e2e.py and tests/emulation.py.
"""

import pytest

from tests.emulation import assert_same_bytes, native, run_emulated  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.emulated]


def test_every_output_is_byte_identical_on_an_intel_haswell(native, tmp_path):  # noqa: F811
    assert_same_bytes(native, tmp_path, "Haswell")


def test_the_pipeline_runs_on_a_cpu_below_the_reference_kind(native, tmp_path):  # noqa: F811
    # Sandy Bridge has AVX but no AVX2 or FMA: bytes are not promised there, but no pinned
    # kernel may need what the CPU lacks (a forced OpenBLAS core would be an illegal
    # instruction). The regression's chain runs NumPy, OpenBLAS and TensorFlow.
    repo, paths = run_emulated(native, tmp_path, "SandyBridge", experiments=("regression",))
    assert len(paths) > 5 and all((repo / path).stat().st_size > 0 for path in paths)
