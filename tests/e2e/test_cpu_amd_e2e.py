"""End to end: each stage's bytes on an emulated AMD CPU (x86-64-v3, no AVX-512) are the native ones.

Native here is this machine's CPU (AVX-512 on the machines CI has run on so far). The emulated
runs are in tests/emulation.py; the Intel model is in test_cpu_intel_e2e.py, a file of its own
so that the two run on different test workers.
"""

import pytest

from tests.emulation import assert_same_bytes, native  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.emulated]


def test_every_output_is_byte_identical_on_an_amd_epyc_rome(native, tmp_path):  # noqa: F811
    assert_same_bytes(native, tmp_path, "EPYC-Rome")
