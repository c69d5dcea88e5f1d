"""The metric-regression gate for DVC projects: a DVC project's metrics in the workspace against
a base revision's, by the rules and the `project:` section of its gate.yaml.

    python -m gate --base main            # the gate (gate.cli); exit 1 on a regression
    python -m gate.history --commits 20   # each gated metric over the branch's last commits

It imports nothing of the project it gates: DVC (its Python API and `dvc plots diff`), pandas,
NumPy, SciPy and ruamel.yaml are all it needs, and vl-convert for PNG plots. Modules by role:
rules (the rules file), project (its `project:` section), sides and read (both sides, as DVC
returns them and read through DVC), stats (the noise tests), compare (the comparison), report
(the Markdown report), history, charts (Mermaid), plots (PNG plots and training curves), cli.
"""
