"""The pipeline's stages (run as ``python -m stages.<stage>``) and their pure helpers."""
