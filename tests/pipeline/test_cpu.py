"""The kernel caps: which machines get which, and that a stage's process has them in time."""

import json
import subprocess
import sys

import pytest

from pipeline import cpu
from tests.conftest import dvc_env

V3 = {"avx2", "fma"}
V4 = {"avx2", "fma", "avx512f"}


def test_a_cpu_with_avx2_and_fma_is_the_reference_kind_with_or_without_avx512():
    assert cpu.is_reference("x86_64", V3)
    assert cpu.is_reference("AMD64", V4)
    assert not cpu.is_reference("x86_64", {"avx2"})  # no FMA: Intel before Haswell
    assert not cpu.is_reference("x86_64", set())
    assert not cpu.is_reference("x86_64", None)  # features unreadable
    assert not cpu.is_reference("aarch64", V4)


def test_the_caps_on_a_reference_cpu():
    assert cpu.kernel_caps("x86_64", V4) == {
        "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
        "ONEDNN_MAX_CPU_ISA": "AVX2",
        "TF_NUM_INTRAOP_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "OPENBLAS_CORETYPE": "Haswell",
    }
    assert cpu.kernel_caps("x86_64", V3) == cpu.kernel_caps("x86_64", V4)


def test_an_older_x86_cpu_is_never_forced_onto_kernels_it_cannot_run():
    caps = cpu.kernel_caps("x86_64", {"avx2"})
    assert "OPENBLAS_CORETYPE" not in caps
    assert caps["ONEDNN_MAX_CPU_ISA"] == "AVX2"  # a ceiling, harmless below it
    assert "OPENBLAS_CORETYPE" not in cpu.kernel_caps("x86_64", None)


def test_no_caps_off_x86():
    assert cpu.kernel_caps("arm64", V4) == {}
    assert cpu.kernel_caps("aarch64", None) == {}


def test_pin_kernels_keeps_what_the_user_set():
    environ = {"ONEDNN_MAX_CPU_ISA": "AVX512_CORE"}
    caps = cpu.pin_kernels(environ, machine="x86_64", features=V4)
    assert environ["ONEDNN_MAX_CPU_ISA"] == "AVX512_CORE"
    assert environ["OPENBLAS_CORETYPE"] == "Haswell"
    assert set(environ) == set(caps)


def test_pin_kernels_does_nothing_when_native_kernels_are_asked_for():
    environ = {cpu.NATIVE_SWITCH: "1"}
    assert cpu.pin_kernels(environ, machine="x86_64", features=V4) == {}
    assert environ == {cpu.NATIVE_SWITCH: "1"}


def test_features_from_cpuinfo(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma bmi2 avx512f avx512bw\n")
    assert cpu._features_from_cpuinfo(path) == V4
    path.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx\n")
    assert cpu._features_from_cpuinfo(path) == set()
    assert cpu._features_from_cpuinfo(tmp_path / "missing") is None


def test_the_features_read_through_glibc_agree_with_proc_cpuinfo():
    from pathlib import Path

    if not Path("/proc/cpuinfo").exists():
        pytest.skip("no /proc/cpuinfo to compare with")
    assert cpu.x86_features() == cpu._features_from_cpuinfo(Path("/proc/cpuinfo"))


def test_describe_says_whether_bytes_are_promised():
    assert cpu.describe("x86_64", V4) == (
        "x86_64 with avx2+avx512f+fma: x86-64-v3 (AVX2 and FMA), the committed bytes are "
        "promised here"
    )
    assert cpu.describe("aarch64", None) == (
        "aarch64 with unknown features: not x86-64-v3 (AVX2 and FMA), the committed bytes are "
        "not promised here"
    )


# Run in a stage's own process: records the environment at the moment NumPy and TensorFlow
# are first imported, then asks each library what it actually chose.
_PROBE = """
import json, os, sys
seen = {}
class Watch:
    def find_spec(self, name, path=None, target=None):
        if name in ("numpy", "tensorflow") and name not in seen:
            seen[name] = {key: os.environ.get(key) for key in CAPS}
        return None
sys.meta_path.insert(0, Watch())
from stages.__main__ import prepare_process
prepare_process()
import stages.train
from pipeline import keras_model
import numpy, threadpoolctl
from numpy._core._multiarray_umath import __cpu_features__ as features
blas = [lib for lib in threadpoolctl.threadpool_info() if lib["internal_api"] == "openblas"]
print(json.dumps({"seen": seen, "avx512_loops": features["X86_V4"],
                  "blas": [[lib["architecture"], lib["num_threads"]] for lib in blas]}))
"""


@pytest.mark.skipif(
    not cpu.is_reference("x86_64", cpu.x86_features()),
    reason="the caps checked here are a reference (x86-64-v3) CPU's",
)
def test_a_stage_process_has_the_caps_before_numpy_and_tensorflow_load():
    caps = cpu.kernel_caps("x86_64", cpu.x86_features())
    env = {key: value for key, value in dvc_env().items() if key not in caps}
    env["ONEDNN_VERBOSE"] = "1"  # oneDNN then prints the ISA it runs
    code = f"CAPS = {sorted(caps)!r}\n{_PROBE}"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["seen"] == {"numpy": caps, "tensorflow": caps}
    assert report["avx512_loops"] is False
    assert report["blas"] and all(lib == ["Haswell", 1] for lib in report["blas"])
    result_tf = subprocess.run(
        [
            sys.executable,
            "-c",
            "from stages.__main__ import prepare_process; prepare_process();"
            "import pipeline.keras_model as m, numpy as np;"
            "m.keras.ops.matmul(np.ones((8, 8), 'float32'), np.ones((8, 8), 'float32'))",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "cpu,isa:Intel AVX2\n" in result_tf.stdout + result_tf.stderr
