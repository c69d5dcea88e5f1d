"""The errors a stage reports as one line: a bad setting, input file or training run."""


class PipelineError(ValueError):
    """An error a stage reports as one line (a bad setting, input file or training run)."""


class InputError(PipelineError):
    """An input file that is missing, damaged or not what the stage expects."""


class SettingsError(PipelineError):
    """A params value that the pipeline cannot use."""


class DivergedError(PipelineError):
    """Training produced a non-finite loss."""
