"""Stepping and resetting some copies of a vector env, not all of them.

Evaluation needs this: a copy whose episode is cut at ``max_num_steps`` should start its next
episode at once, and a copy that has played its episodes should cost nothing. Gymnasium's vector
API steps every copy, so envs that can do better offer two methods, with ``copies`` an ascending
array of copy indices and every result holding those copies' rows only:

- ``step_copies(actions, copies) -> (obs, reward, terminated, truncated, info)``
- ``reset_copies(copies) -> (obs, info)``

envpool, the toy chain and CoordEnv have them. For Gymnasium's own vector envs (and wrappers of
them) the functions below fall back to a full step (the other copies take random actions: they
are idle or about to be reset) and to the ``reset_mask`` option of their ``reset``. Any other vector
env must offer the two methods: a ``reset`` that ignored the mask would restart every copy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AsyncVectorEnv, SyncVectorEnv, VectorEnv

Observation = Any  # a batch: an array, or a dict of arrays


def take(obs: Observation, rows: np.ndarray) -> Observation:
    """The rows (a mask or indices) of a batched observation."""
    if isinstance(obs, dict):
        return {key: value[rows] for key, value in obs.items()}
    return obs[rows]


def put(obs: Observation, rows: np.ndarray, values: Observation) -> None:
    """Write ``values`` into the rows (a mask or indices) of a batched observation, in place."""
    if isinstance(obs, dict):
        for key, value in obs.items():
            value[rows] = values[key]
    else:
        obs[rows] = values


def copies_mask(copies: np.ndarray, num_envs: int) -> np.ndarray:
    """A boolean mask over all copies, set at ``copies``."""
    mask = np.zeros(num_envs, bool)
    mask[copies] = True
    return mask


def copy_batch(obs: Observation) -> Observation:
    if isinstance(obs, dict):
        return {key: np.array(value) for key, value in obs.items()}
    return np.array(obs)


def step_copies(env: VectorEnv, actions: np.ndarray, copies: np.ndarray) -> tuple:
    """Step only ``copies`` with ``actions`` (one per copy listed); their rows of the results."""
    if hasattr(env, "step_copies"):
        return env.step_copies(actions, copies)
    full = env.action_space.sample()
    full[copies] = actions
    obs, reward, terminated, truncated, info = env.step(full)
    rows = {key: value[copies] for key, value in info.items() if _per_copy(value, env.num_envs)}
    return take(obs, copies), reward[copies], terminated[copies], truncated[copies], rows


def reset_copies(env: VectorEnv, copies: np.ndarray) -> tuple[Observation, dict[str, Any]]:
    """Start a new episode on ``copies`` only; their first observations."""
    if hasattr(env, "reset_copies"):
        return env.reset_copies(copies)
    if not isinstance(env.unwrapped, (SyncVectorEnv, AsyncVectorEnv)):
        raise TypeError(
            f"{type(env.unwrapped).__name__} cannot reset single copies: give it step_copies and reset_copies "
            "methods (see duo_ai.envs.copies), or build it with Gymnasium's SyncVectorEnv or AsyncVectorEnv"
        )
    obs, info = env.reset(options={"reset_mask": copies_mask(copies, env.num_envs)})
    rows = {key: value[copies] for key, value in info.items() if _per_copy(value, env.num_envs)}
    return take(obs, copies), rows


def _per_copy(value: Any, num_envs: int) -> bool:
    return isinstance(value, np.ndarray) and value.ndim > 0 and len(value) == num_envs
