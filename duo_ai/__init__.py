"""duo: learning when to ask an expert for help.

The public API follows the tutorial: ``make_config``, ``make_policy``, ``make_algorithm``,
``load_policy``, ``Evaluator``, ``CoordEnv`` and the ``register_*`` functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

# Importing these modules registers the built-in environments, models, policies and algorithms.
from duo_ai import envs, models  # noqa: F401
from duo_ai.algorithms import optimum_imitation as _optimum_imitation  # noqa: F401
from duo_ai.algorithms import ppo as _ppo  # noqa: F401
from duo_ai.algorithms import simple as _simple_algorithms  # noqa: F401
from duo_ai.algorithms.callbacks import Callback
from duo_ai.checkpoint import load_policy, save_checkpoint
from duo_ai.config import load_config
from duo_ai.coordination import EXPERT, NOVICE, CoordEnv
from duo_ai.envs import make_env
from duo_ai.errors import CheckpointError, ConfigError, DuoError, ExperimentError
from duo_ai.evaluation import Evaluator
from duo_ai.factory import make_algorithm, make_policy
from duo_ai.policies import logit as _logit_policy  # noqa: F401
from duo_ai.policies import ood as _ood_policy  # noqa: F401
from duo_ai.policies import ppo as _ppo_policy  # noqa: F401
from duo_ai.policies import simple as _simple_policies  # noqa: F401
from duo_ai.protocol import carry_to_test_novice, make_base_envs, make_coord_envs
from duo_ai.protocol.costs import reward_per_action
from duo_ai.registry import (
    register_algorithm,
    register_environment,
    register_model,
    register_policy,
)
from duo_ai.run import start_run

__version__ = "0.1.0"


def make_config(args: Any = None, dotlist: Sequence[str] | None = None) -> DictConfig:
    """Config from ``args.config`` (a YAML path) and ``key=value`` overrides; starts the run.

    The run (``args.mode``: train, the default, or eval) prepares the experiment folder and logs.
    """
    path = args if isinstance(args, (str, Path)) else getattr(args, "config", None)
    config = load_config(path, dotlist or ())
    start_run(config, getattr(args, "mode", None) or "train")
    return config


__all__ = [
    "Callback",
    "EXPERT",
    "NOVICE",
    "carry_to_test_novice",
    "CheckpointError",
    "ConfigError",
    "CoordEnv",
    "DuoError",
    "Evaluator",
    "ExperimentError",
    "load_config",
    "load_policy",
    "make_algorithm",
    "make_base_envs",
    "make_config",
    "make_coord_envs",
    "make_env",
    "make_policy",
    "register_algorithm",
    "register_environment",
    "register_model",
    "register_policy",
    "reward_per_action",
    "save_checkpoint",
    "start_run",
]
