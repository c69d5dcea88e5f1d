"""The pipeline's stages, one module each, all run through one runner: ``python3 -m stages
<stage> ...`` (stages/__main__.py), as dvc.yaml's commands do. Importing this package does
nothing.
"""
