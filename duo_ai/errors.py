"""Errors a user can cause and fix; the CLI prints their message as one line and exits 2."""


class DuoError(Exception):
    """Base of every error that is the user's input, not a bug in duo. Its message is one line
    even where it quotes the user's input: line breaks and other control characters in it are
    shown escaped (``\\n``)."""

    def __str__(self) -> str:
        return "".join(
            character if character.isprintable() else repr(character)[1:-1] for character in super().__str__()
        )


class ConfigError(DuoError):
    """A configuration file, key or value is invalid."""


class CheckpointError(DuoError):
    """A checkpoint is missing, corrupt, unsafe or does not fit the environment."""


class ExperimentError(DuoError):
    """An experiment folder cannot be used as asked."""


class EnvError(DuoError):
    """An environment is unusable: it returned a non-finite value, or its spaces or reset mode
    are ones duo cannot run."""
