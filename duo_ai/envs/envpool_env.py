"""envpool's batched C++ environments behind Gymnasium's vector API.

envpool already batches and autoresets (next-step mode); this adapter only gives it the
``single_*`` spaces of ``gymnasium.vector.VectorEnv``, picks one key of dict observations, and
exposes envpool's stepping and resetting of chosen copies (see ``duo_ai.envs.copies``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from duo_ai.errors import ConfigError


def envpool_ids() -> list[str]:
    import envpool

    return list(envpool.list_all_envs())


class EnvpoolVectorEnv(VectorEnv):
    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        task_id: str,
        num_envs: int,
        seed: int,
        obs_key: str | None = None,
        scale_pixels: bool = False,
        **kwargs: Any,
    ):
        """``obs_key`` picks one key of dict observations; ``scale_pixels`` turns uint8 frames into
        float32 in [0, 1]."""
        import envpool

        try:
            # rendering on request costs nothing while unused, and does not change the episodes
            self.pool = envpool.make_gymnasium(
                task_id, num_envs=num_envs, seed=seed, render_mode="rgb_array", **kwargs
            )
        except ImportError as error:
            raise ConfigError(f"cannot start envpool task {task_id}: {str(error).splitlines()[0]}") from None
        self.task_id, self.obs_key, self.num_envs = task_id, obs_key, num_envs
        self.scale_pixels = scale_pixels
        space = self.pool.observation_space
        space = space[obs_key] if obs_key else space
        if scale_pixels:
            space = spaces.Box(0.0, 1.0, space.shape, np.float32)
        self.single_observation_space = space
        self.single_action_space = self.pool.action_space
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.metadata = {**self.metadata, "duo_env": {"task": task_id}}

    def _obs(self, obs: Any) -> np.ndarray:
        obs = obs[self.obs_key] if self.obs_key else obs
        return np.multiply(obs, 1.0 / 255.0, dtype=np.float32) if self.scale_pixels else obs

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        obs, info = self.pool.reset()
        return self._obs(obs), info

    def step(self, actions: np.ndarray):
        obs, reward, terminated, truncated, info = self.pool.step(np.asarray(actions, dtype=np.int32))
        return self._obs(obs), reward, terminated, truncated, info

    def step_copies(self, actions: np.ndarray, copies: np.ndarray):
        obs, reward, terminated, truncated, info = self.pool.step(
            np.asarray(actions, dtype=np.int32), self._env_ids(copies)
        )
        self._check_order(info, copies)
        return self._obs(obs), reward, terminated, truncated, info

    def reset_copies(self, copies: np.ndarray):
        obs, info = self.pool.reset(self._env_ids(copies))
        self._check_order(info, copies)
        return self._obs(obs), info

    @staticmethod
    def _env_ids(copies: np.ndarray) -> np.ndarray:
        return np.asarray(copies, dtype=np.int32)

    @staticmethod
    def _check_order(info: dict[str, Any], copies: np.ndarray) -> None:
        """envpool's synchronous mode answers in the order asked; rows must match ``copies``."""
        if not np.array_equal(info["env_id"], copies):
            raise RuntimeError(f"envpool answered for copies {info['env_id']}, asked {copies}")

    def render(self, copies: np.ndarray | None = None) -> np.ndarray:
        """The current frames of ``copies`` (default: all), ``[copies, H, W, 3]`` uint8, from the
        game's own renderer (about 10 ms a MiniGrid frame: ask for the copies you need)."""
        copies = np.arange(self.num_envs) if copies is None else copies
        return self.pool.render(env_ids=self._env_ids(copies))

    def close(self, **kwargs: Any) -> None:
        self.pool.close()
