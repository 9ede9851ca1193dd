"""Any registered Gymnasium environment id as a base environment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv, VectorWrapper

from duo_ai import registry
from duo_ai.config import ComponentConfig, param, section
from duo_ai.envs.base import MAX_COPIES, EnvironmentSuite
from duo_ai.errors import ConfigError, EnvError


@dataclass
class GymSplitConfig:
    task: str | None = param(None, "environment id for this split; unset = env.task")
    kwargs: dict[str, Any] = param({}, "keyword arguments for gymnasium.make on this split")


@dataclass
class GymConfig(ComponentConfig):
    task: str = param("CartPole-v1", "Gymnasium environment id")
    num_envs: int = param(8, "parallel copies", min=1, max=MAX_COPIES)
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
        try:
            env = gym.make_vec(
                task,
                num_envs=config.num_envs,
                vectorization_mode="sync",
                vector_kwargs={"autoreset_mode": AutoresetMode.NEXT_STEP},
                **kwargs,
            )
        except (TypeError, ValueError) as error:
            raise ConfigError(
                f"env.kwargs: gymnasium.make('{task}') refused {kwargs}: {str(error).splitlines()[0]}"
            ) from None
        env = FiniteValues(env, task)
        env.reset(seed=seed)
        env.metadata = {**env.metadata, "duo_env": {"task": task}}
        return env


class FiniteValues(VectorWrapper):
    """Stops at the first non-finite observation or reward with the step that produced it: an
    environment of unknown provenance must not feed NaN into training."""

    def __init__(self, env: VectorEnv, task: str):
        super().__init__(env)
        self.task, self.steps = task, 0

    def reset(self, **kwargs: Any):
        obs, info = self.env.reset(**kwargs)
        self._check(obs, 0.0, "reset")
        return obs, info

    def step(self, actions: Any):
        obs, reward, terminated, truncated, info = self.env.step(actions)
        self.steps += 1
        self._check(obs, reward, f"step {self.steps}")
        return obs, reward, terminated, truncated, info

    def _check(self, obs: Any, reward: Any, when: str) -> None:
        for what, value in (("reward", reward), ("observation", obs)):
            array = np.asarray(value)
            if array.dtype.kind == "f" and not np.isfinite(array).all():
                raise EnvError(f"environment {self.task} returned a non-finite {what} at {when}")
