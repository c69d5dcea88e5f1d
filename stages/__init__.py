"""The pipeline's stages, run as ``python -m stages.<stage>`` by dvc.yaml: the entry points."""

from pipeline.cpu import pin_kernels
from pipeline.interpreter import check_interpreter

# Before any stage module imports NumPy or TensorFlow: the project's own packages, and the same
# kernels on every x86-64-v3 CPU.
check_interpreter()
pin_kernels()
