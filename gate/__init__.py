"""The metric-regression gate for DVC projects: a DVC project's metrics in the workspace against
a base revision's, by the rules and the `project:` section of its gate.yaml.

    python -m gate --base main            # the gate (gate.cli); exit 1 on a regression
    python -m gate.history --commits 20   # each gated metric over the branch's last commits

Installed (`pip install path/to/gate`, by this folder's pyproject.toml), the same commands are
`dvc-gate` and `dvc-gate-history`. It imports nothing of the project it gates: DVC (its Python
API and `dvc plots diff`), pandas, NumPy, SciPy and ruamel.yaml are all it needs, and vl-convert
for PNG plots. Modules by role: rules (the rules file), project (its `project:` section),
revision_metrics (each side: one revision's metrics, as DVC returns them), dvc_reader (reading
both sides through DVC), messages (one-line errors, did-you-mean hints), stats (the noise tests),
compare (the comparison), report (the Markdown report), history, charts (Mermaid), plots (PNG
plots and training curves), cli.
"""
