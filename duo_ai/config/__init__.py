"""Configuration: typed schemas, YAML + override loading, validation."""

from duo_ai.config.fields import component, param, section
from duo_ai.config.loader import build_section, load_config
from duo_ai.config.schema import ComponentConfig, CoordinationConfig, DuoConfig, EvaluationConfig

__all__ = [
    "ComponentConfig",
    "CoordinationConfig",
    "DuoConfig",
    "EvaluationConfig",
    "build_section",
    "component",
    "load_config",
    "param",
    "section",
]
