"""The benchmark: the pipeline against the notebook it came from (run ``python -m bench.run``)."""
