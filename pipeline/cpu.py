"""The CPU kernels the numeric libraries may use, pinned so that outputs match across machines.

NumPy, OpenBLAS and oneDNN (TensorFlow's matrix products) each choose their SIMD code by the
CPU they find when they load, and TensorFlow's and OpenBLAS's reductions split work by thread
count; either changes the last bits of a float, and so the bytes of every output after it.
``pin_kernels`` caps all of them at the x86-64-v3 (AVX2 + FMA) kernels and one thread count,
the code every x86-64-v3 CPU runs, AVX-512 or not. It must run before NumPy or TensorFlow is
imported (they read these variables once, when they load): each stage's entry point calls it
first, through ``stages.__main__.prepare_process``.

This module imports nothing that loads NumPy: it reads the CPU's features through glibc.
"""

import ctypes
import os
import platform
from collections.abc import MutableMapping
from pathlib import Path

# What a machine must have for the committed bytes to be promised on it.
REFERENCE = "x86-64-v3 (AVX2 and FMA)"
# Set to 1 to let every library use the CPU's own best kernels (the benchmark measures the
# pinning's cost with it); outputs may then differ from the committed ones in the last bits.
NATIVE_SWITCH = "PIPELINE_NATIVE_KERNELS"
# The intra-op thread count: reductions over large arrays split work by it.
THREADS = "1"

# Bit positions in CPUID leaf 1 ECX and leaf 7 EBX (Intel SDM vol. 2A, "CPUID").
_FMA = (0, 2, 12)
_AVX2 = (1, 1, 5)
_AVX512F = (1, 1, 16)


class _CpuidLeaf(ctypes.Structure):
    # glibc's <sys/platform/x86.h> struct cpuid_feature: raw and usable registers EAX..EDX.
    _fields_ = [("cpuid", ctypes.c_uint * 4), ("active", ctypes.c_uint * 4)]


def x86_features() -> set[str] | None:
    """The CPU's usable {"avx2", "fma", "avx512f"} flags, or None where they cannot be read.

    Asks glibc (which ran CPUID when the process started, so an emulator's CPU model is
    seen, not the host's) and falls back to /proc/cpuinfo.
    """
    try:
        leaf = ctypes.CDLL(None).__x86_get_cpuid_feature_leaf
    except (AttributeError, OSError, TypeError):  # not glibc on x86-64
        return _features_from_cpuinfo(Path("/proc/cpuinfo"))
    leaf.restype = ctypes.POINTER(_CpuidLeaf)
    leaf.argtypes = [ctypes.c_uint]
    registers = {index: leaf(index).contents.active for index in (0, 1)}
    bits = {"fma": _FMA, "avx2": _AVX2, "avx512f": _AVX512F}
    return {
        name
        for name, (index, register, bit) in bits.items()
        if registers[index][register] >> bit & 1
    }


def _features_from_cpuinfo(path):
    try:
        text = path.read_text()
    except OSError:
        return None
    flags = next(
        (line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")),
        [],
    )
    return {"avx2", "fma", "avx512f"} & set(flags)


def is_reference(machine: str, features: set[str] | None) -> bool:
    """True where the committed bytes are promised: an x86-64 CPU with AVX2 and FMA."""
    return (
        machine.lower() in {"x86_64", "amd64"}
        and features is not None
        and {"avx2", "fma"} <= features
    )


def kernel_caps(machine: str, features: set[str] | None) -> dict[str, str]:
    """The environment variables that cap the kernels on this machine (empty off x86-64)."""
    if machine.lower() not in {"x86_64", "amd64"}:
        return {}
    caps = {
        # NumPy's AVX-512 loops (float64 exp among them) round differently from its AVX2 ones.
        "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
        # oneDNN's sgemm, behind TensorFlow's CPU matmul, picks its kernel by ISA at run time.
        "ONEDNN_MAX_CPU_ISA": "AVX2",
        "TF_NUM_INTRAOP_THREADS": THREADS,
        "OPENBLAS_NUM_THREADS": THREADS,
    }
    if is_reference(machine, features):
        # Only where AVX2 exists: a forced Haswell core on an older CPU is an illegal instruction.
        caps["OPENBLAS_CORETYPE"] = "Haswell"
    return caps


def pin_kernels(
    environ: MutableMapping[str, str] = os.environ,
    machine: str | None = None,
    features: set[str] | None = None,
) -> dict[str, str]:
    """Set the caps in ``environ`` unless the user set them, or asked for native kernels."""
    if environ.get(NATIVE_SWITCH) == "1":
        return {}
    machine = platform.machine() if machine is None else machine
    features = x86_features() if features is None else features
    caps = kernel_caps(machine, features)
    for name, value in caps.items():
        environ.setdefault(name, value)
    return caps


def describe(machine: str, features: set[str] | None) -> str:
    """One line: what this machine is, and whether the committed bytes are promised on it."""
    found = "unknown features" if features is None else "+".join(sorted(features)) or "none"
    if is_reference(machine, features):
        return f"{machine} with {found}: {REFERENCE}, the committed bytes are promised here"
    return f"{machine} with {found}: not {REFERENCE}, the committed bytes are not promised here"
