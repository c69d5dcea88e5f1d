"""The pipeline's stages, run as ``python -m stages.<stage>`` by dvc.yaml: the entry points.

Each entry point calls ``startup.prepare_process()`` before its other imports; importing this
package does nothing else.
"""
