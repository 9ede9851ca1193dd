"""Reward scaling by the running spread of discounted returns (Cobbe et al. 2020; CleanRL's
ppo_procgen; Gymnasium's ``NormalizeReward``).

With rewards of 10 and a value clip of 0.2 the critic of a sparse-reward game moves a fiftieth
of the way to a new return per update; scaling returns to unit spread gives PPO's clipping and
loss weights the scale they were tuned at. The scaled rewards are the ones Gymnasium's vector
``NormalizeReward`` gives under next-step autoreset (a test holds them equal), clipped to
``[-CLIP, CLIP]`` as Cobbe et al. and CleanRL do. It is kept apart from the env wrapper because
PPO's episode statistics need the raw rewards and a resumed run needs the running statistics.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.wrappers.utils import RunningMeanStd

CLIP = 10.0
EPSILON = 1e-8


class RewardScaler:
    """Divides each reward by the running standard deviation of the discounted return."""

    def __init__(self, num_envs: int, gamma: float):
        self.gamma = gamma
        self.returns = RunningMeanStd(shape=())
        self.accumulated = np.zeros(num_envs, dtype=np.float32)
        self.previous_ended = np.zeros(num_envs, dtype=bool)

    def __call__(self, reward: np.ndarray, terminated: np.ndarray, truncated: np.ndarray) -> np.ndarray:
        """The scaled rewards of one vector step; a reset step (after an episode end) is no
        experience and leaves the statistics alone."""
        terminated, truncated = np.asarray(terminated), np.asarray(truncated)
        active = ~self.previous_ended
        self.accumulated[active] = (
            self.accumulated[active] * self.gamma * (1 - terminated[active]) + reward[active]
        )
        if active.any():
            self.returns.update(self.accumulated[active])
        self.previous_ended = np.logical_or(terminated, truncated)
        return np.clip(reward / np.sqrt(self.returns.var + EPSILON), -CLIP, CLIP)

    def state_dict(self) -> dict[str, Any]:
        return {"mean": float(self.returns.mean), "var": float(self.returns.var), "count": self.returns.count}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.returns.mean = np.float64(state["mean"])
        self.returns.var = np.float64(state["var"])
        self.returns.count = state["count"]
