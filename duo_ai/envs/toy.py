"""A tiny deterministic chain task whose rewards are known in closed form.

The agent stands on a chain of ``length`` cells. At cell ``p`` the rewarded action is
``(p + shift) % num_actions``: it pays 1 and moves one cell on; any other action pays 0 and
stays. Reaching the end terminates; ``time_limit`` steps truncate. Splits differ by ``shift``,
which makes a distribution shift for a novice trained on one split. Used by tests and the
quick demo; batched in numpy, with Gymnasium's next-step autoreset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from duo_ai import registry
from duo_ai.config import ComponentConfig, param, section
from duo_ai.envs.base import MAX_COPIES, EnvironmentSuite


class ChainEnv(VectorEnv):
    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        num_envs: int,
        length: int = 5,
        num_actions: int = 3,
        time_limit: int = 8,
        shift: int = 0,
    ):
        self.num_envs, self.length, self.time_limit, self.shift = (
            num_envs,
            length,
            time_limit,
            shift,
        )
        self.single_observation_space = spaces.Box(0.0, 1.0, (length + 1,), np.float32)
        self.single_action_space = spaces.Discrete(num_actions)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.position = np.zeros(num_envs, np.int64)
        self.elapsed = np.zeros(num_envs, np.int64)
        self.needs_reset = np.zeros(num_envs, bool)

    def rewarded_action(self) -> np.ndarray:
        return (self.position + self.shift) % self.single_action_space.n

    def _obs(self) -> np.ndarray:
        obs = np.zeros((self.num_envs, self.length + 1), np.float32)
        obs[np.arange(self.num_envs), self.position] = 1.0
        return obs

    def reset(self, *, seed=None, options=None):
        return self.reset_copies(np.arange(self.num_envs))

    def step(self, actions):
        return self.step_copies(actions, np.arange(self.num_envs))

    def step_copies(self, actions, copies):
        """Step only ``copies`` (see ``duo_ai.envs.copies``)."""
        actions = np.asarray(actions)
        resetting = self.needs_reset[copies]
        correct = (actions == self.rewarded_action()[copies]) & ~resetting
        position = np.where(resetting, 0, self.position[copies] + correct)
        elapsed = np.where(resetting, 0, self.elapsed[copies] + 1)
        terminated = position == self.length
        truncated = ~terminated & (elapsed >= self.time_limit)
        self.position[copies], self.elapsed[copies] = position, elapsed
        self.needs_reset[copies] = terminated | truncated
        return self._obs()[copies], correct.astype(np.float32), terminated, truncated, {}

    def reset_copies(self, copies):
        self.position[copies] = 0
        self.elapsed[copies] = 0
        self.needs_reset[copies] = False
        return self._obs()[copies], {}


@dataclass
class ToySplitConfig:
    shift: int = param(0, "offset of the rewarded action: the distribution shift", min=0)


@dataclass
class ToyConfig(ComponentConfig):
    num_envs: int = param(4, "parallel copies", min=1, max=MAX_COPIES)
    length: int = param(5, "cells to cross", min=1)
    num_actions: int = param(3, "size of the action set", min=2)
    time_limit: int = param(8, "steps before truncation", min=1)
    train: ToySplitConfig = section(ToySplitConfig)
    val_sim: ToySplitConfig = section(ToySplitConfig)
    val_true: ToySplitConfig = section(ToySplitConfig, shift=1)
    test: ToySplitConfig = section(ToySplitConfig, shift=1)


@registry.register_environment("toy")
class ToySuite(EnvironmentSuite):
    config_class = ToyConfig

    @classmethod
    def make(cls, config: ToyConfig, split: str, seed: int) -> ChainEnv:
        env = ChainEnv(
            config.num_envs, config.length, config.num_actions, config.time_limit, config[split].shift
        )
        env.metadata = {**env.metadata, "duo_env": {"task": "chain", "shift": config[split].shift}}
        return env
