"""Name -> class tables for every piece a configuration selects by name.

Each registered class carries a ``config_class`` dataclass: its typed schema. Users add their
own environments, policies, algorithms and models with the ``register_*`` functions, usable as
decorators or plain calls.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable
from typing import Any, TypeVar

from duo_ai.errors import ConfigError

COMPONENT_KINDS = ("environment", "policy", "algorithm", "model")
_TABLES: dict[str, dict[str, type]] = {kind: {} for kind in COMPONENT_KINDS}

T = TypeVar("T", bound=type)


def _register(kind: str, name: str, cls: T | None) -> Any:
    def add(registered: T) -> T:
        config_class = getattr(registered, "config_class", None)
        if config_class is None or not dataclasses.is_dataclass(config_class):
            raise TypeError(f"{registered.__name__} needs a dataclass `config_class` to be a {kind}")
        _TABLES[kind][name] = registered
        return registered

    return add if cls is None else add(cls)


def register_environment(name: str, cls: T | None = None) -> T | Callable[[T], T]:
    """Register an environment suite class (see ``duo_ai.envs.EnvironmentSuite``)."""
    return _register("environment", name, cls)


def register_policy(name: str, cls: T | None = None) -> T | Callable[[T], T]:
    """Register a policy class (see ``duo_ai.policies.Policy``)."""
    return _register("policy", name, cls)


def register_algorithm(name: str, cls: T | None = None) -> T | Callable[[T], T]:
    """Register a training algorithm class (see ``duo_ai.algorithms.Algorithm``)."""
    return _register("algorithm", name, cls)


def register_model(name: str, cls: T | None = None) -> T | Callable[[T], T]:
    """Register a torch model class (see ``duo_ai.models``)."""
    return _register("model", name, cls)


def lookup(kind: str, name: str, key: str | None = None) -> type:
    """The class registered as ``name``, or a ConfigError naming the config key and valid choices."""
    table = _TABLES[kind]
    if name in table:
        return table[name]
    where = f" for {key}" if key else ""
    message = f"unknown {kind} '{name}'{where}; valid choices: {', '.join(sorted(table)) or '(none)'}"
    close = difflib.get_close_matches(str(name), table, n=1)
    if close:
        message += f" (did you mean '{close[0]}'?)"
    raise ConfigError(message)
