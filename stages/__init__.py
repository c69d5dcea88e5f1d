"""The pipeline's stages (run as ``python -m stages.<stage>``) and their pure helpers."""

from keras_blobs.cpu import pin_kernels

# Before any stage module imports NumPy or TensorFlow: the same kernels on every x86-64-v3 CPU.
pin_kernels()
