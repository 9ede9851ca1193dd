"""Errors a user can cause and fix; the CLI prints their message as one line and exits 2."""


class DuoError(Exception):
    """Base of every error that is the user's input, not a bug in duo."""


class ConfigError(DuoError):
    """A configuration file, key or value is invalid."""


class CheckpointError(DuoError):
    """A checkpoint is missing, corrupt, unsafe or does not fit the environment."""


class ExperimentError(DuoError):
    """An experiment folder cannot be used as asked."""


class EnvError(DuoError):
    """An environment is unusable: it returned a non-finite value, or its spaces or reset mode
    are ones duo cannot run."""
