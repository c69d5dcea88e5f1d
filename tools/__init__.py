"""Project tools that run beside the pipeline rather than as DVC stages."""
