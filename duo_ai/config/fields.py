"""Helpers to declare typed config fields with their documentation and valid range."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any


def param(
    default: Any,
    help: str = "",
    *,
    min: float | None = None,
    max: float | None = None,
    above: float | None = None,
    choices: Sequence[Any] | None = None,
    infinite: bool = False,
) -> Any:
    """A config field: ``min``/``max`` are inclusive bounds, ``above`` an exclusive lower bound;
    floats must be finite unless ``infinite`` (NaN never passes)."""
    metadata = {
        "help": help,
        "min": min,
        "max": max,
        "above": above,
        "choices": choices,
        "infinite": infinite,
    }
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def section(cls: type, help: str = "", **defaults: Any) -> Any:
    """A nested config section whose schema is the dataclass ``cls`` (``defaults`` override it)."""
    return dataclasses.field(default_factory=lambda: cls(**defaults), metadata={"help": help})


def component(kind: str, default_name: str, help: str = "") -> Any:
    """A section whose schema is chosen by its ``name`` key among registered ``kind`` classes."""
    return dataclasses.field(
        default=None, metadata={"component": kind, "default_name": default_name, "help": help}
    )


def check_range(path: str, value: Any, metadata: dict[str, Any]) -> str | None:
    """A one-line problem with ``value`` against the field's declared range, or None."""
    if value is None:
        return None
    if isinstance(value, float) and (
        math.isnan(value) or (math.isinf(value) and not metadata.get("infinite"))
    ):
        return f"{path}: must be a finite number, got {value}"
    choices = metadata.get("choices")
    if choices is not None and value not in choices:
        return f"{path}: '{value}' is not valid; valid choices: {', '.join(map(str, choices))}"
    low, high, above = metadata.get("min"), metadata.get("max"), metadata.get("above")
    if low is not None and value < low:
        return f"{path}: must be >= {low}, got {value}"
    if above is not None and value <= above:
        return f"{path}: must be > {above}, got {value}"
    if high is not None and value > high:
        return f"{path}: must be <= {high}, got {value}"
    return None
