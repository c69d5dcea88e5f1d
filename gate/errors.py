"""The gate's one error, for a bad command line, rules file or base revision (exit code 2),
and the two shapes of its message about a rules file."""

from gate.messages import did_you_mean


class GateError(ValueError):
    """A bad command line, rules file or base revision: reported as one line, exit code 2."""


def bad_value(source, path, value, expected):
    """Raise ``<source>: <path>: got <value>, expected <expected>``."""
    raise GateError(f"{source}: {path}: got {value!r}, expected {expected}")


def check_keys(source, path, raw, keys):
    """Raise ``<source>: <path>.<key>: unknown key; ...`` for a key of ``raw`` not in ``keys``."""
    for key in raw:
        if key not in keys:
            hint = did_you_mean(key, keys)
            raise GateError(
                f"{source}: {path}.{key}: unknown key; {hint}allowed: {', '.join(keys)}"
            )
