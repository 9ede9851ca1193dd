"""Any registered Gymnasium environment id as a base environment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
from gymnasium.vector import AutoresetMode, VectorEnv

from duo_ai import registry
from duo_ai.config import ComponentConfig, param, section
from duo_ai.envs.base import EnvironmentSuite
from duo_ai.errors import ConfigError


@dataclass
class GymSplitConfig:
    task: str | None = param(None, "environment id for this split; unset = env.task")
    kwargs: dict[str, Any] = param({}, "keyword arguments for gymnasium.make on this split")


@dataclass
class GymConfig(ComponentConfig):
    task: str = param("CartPole-v1", "Gymnasium environment id")
    num_envs: int = param(8, "parallel copies", min=1)
    kwargs: dict[str, Any] = param({}, "keyword arguments for gymnasium.make")
    train: GymSplitConfig = section(GymSplitConfig)
    val_sim: GymSplitConfig = section(GymSplitConfig)
    val_true: GymSplitConfig = section(GymSplitConfig)
    test: GymSplitConfig = section(GymSplitConfig)


@registry.register_environment("gym")
class GymSuite(EnvironmentSuite):
    config_class = GymConfig

    @classmethod
    def make(cls, config: GymConfig, split: str, seed: int) -> VectorEnv:
        task = config[split].task or config.task
        kwargs = {**config.kwargs, **config[split].kwargs}
        if task not in gym.registry:
            raise ConfigError(f"env.task: unknown Gymnasium environment id '{task}'")
        env = gym.make_vec(
            task,
            num_envs=config.num_envs,
            vectorization_mode="sync",
            vector_kwargs={"autoreset_mode": AutoresetMode.NEXT_STEP},
            **kwargs,
        )
        env.reset(seed=seed)
        env.metadata = {**env.metadata, "duo_env": {"task": task}}
        return env
