"""Environment suites: a registered suite builds one vectorised base env per split."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv

from duo_ai import registry
from duo_ai.errors import EnvError

SPLITS = ("train", "val_sim", "val_true", "test")
TRAINING_SPLITS = ("train", "val_sim")  # what a coordinator sees while it is trained and selected
# A bound on env.num_envs: far above what one machine steps usefully, far below what would exhaust
# its memory while the copies are made (a typo such as num_envs=1000000000 ends in one line).
MAX_COPIES = 2**16


class EnvironmentSuite(ABC):
    """A family of tasks with the four splits of the YRC protocol."""

    config_class: type

    @classmethod
    @abstractmethod
    def make(cls, config: Any, split: str, seed: int) -> VectorEnv:
        """A Gymnasium vector env (next-step autoreset) for ``split``."""

    @classmethod
    def implied(cls, config: Any) -> list[str]:
        """Settings the config leaves unset and the suite fills in (``duo config`` shows them)."""
        return []

    @classmethod
    def label(cls, config: Any) -> str:
        """What results call the task: ``<suite>/<pair or task>``."""
        detail = config.get("pair") or config.get("task") or ""
        return f"{config.name}/{detail}" if detail else str(config.name)


def tag_identity(env: VectorEnv, **identity: Any) -> VectorEnv:
    """Record what this env is, so checkpoints can say what they were trained on."""
    env.metadata = {**getattr(env, "metadata", {}), "duo_env": identity}
    return env


def env_identity(env: VectorEnv) -> dict[str, Any]:
    return dict(getattr(env, "metadata", {}).get("duo_env", {"class": type(env).__name__}))


def make_env(env_config: Any, split: str, seed: int = 0) -> VectorEnv:
    """The base env of one split, built by the suite that ``env_config.name`` selects."""
    suite = registry.lookup("environment", env_config.name)
    env = suite.make(env_config, split, seed)
    check_runnable(env, f"env '{env_config.name}' ({split} split)")
    return tag_identity(env, suite=env_config.name, split=split, **env_identity(env))


def check_runnable(env: VectorEnv, name: str) -> None:
    """duo's agents pick one of n actions, and its rollouts assume next-step autoreset (the step
    after an episode ends only resets): refuse anything else before it silently miscounts."""
    if not isinstance(env.single_action_space, spaces.Discrete):
        raise EnvError(
            f"{name}: its action space is {env.single_action_space}; duo's agents need a Discrete one"
        )
    mode = getattr(env, "metadata", {}).get("autoreset_mode", AutoresetMode.NEXT_STEP)
    if mode != AutoresetMode.NEXT_STEP:
        raise EnvError(
            f"{name}: its autoreset mode is {mode}; duo needs AutoresetMode.NEXT_STEP "
            "(gymnasium.make_vec(..., vector_kwargs={'autoreset_mode': AutoresetMode.NEXT_STEP}))"
        )
