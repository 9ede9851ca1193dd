"""Preallocated storage for one PPO rollout, and the episode statistics it produces."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from gymnasium.vector import VectorEnv

from duo_ai.errors import ConfigError

BYTES_PER_SAMPLE = 40  # action, log-probability, value, reward, flags, advantage, return


def tree_map(fn, tree: Any) -> Any:
    if isinstance(tree, dict):
        return {key: tree_map(fn, value) for key, value in tree.items()}
    return fn(tree)


class RolloutBuffer:
    """Tensors shaped [num_steps, num_envs, ...], allocated once, on the policy's device."""

    def __init__(self, num_steps: int, num_envs: int, device: torch.device):
        self.num_steps, self.num_envs, self.device = num_steps, num_envs, device
        self.obs: Any = None
        shape = (num_steps, num_envs)
        self.actions = torch.zeros(shape, dtype=torch.long, device=device)
        self.logprobs = torch.zeros(shape, device=device)
        self.values = torch.zeros(shape, device=device)
        self.rewards = torch.zeros(shape, device=device)
        self.terminated = torch.zeros(shape, dtype=torch.bool, device=device)
        self.truncated = torch.zeros(shape, dtype=torch.bool, device=device)
        self.valid = torch.zeros(shape, dtype=torch.bool, device=device)  # False on reset steps

    def store_obs(self, step: int, obs: Any) -> None:
        if self.obs is None:
            self.obs = tree_map(
                lambda x: torch.zeros((self.num_steps, *x.shape), dtype=x.dtype, device=self.device),
                obs,
            )
        tree_map_pair(lambda store, x: store[step].copy_(x), self.obs, obs)

    def flat_valid(self, advantages: torch.Tensor, returns: torch.Tensor) -> dict[str, Any]:
        """Training samples: flat views of the rollout (no copy of the observations) and ``rows``,
        the positions of the decision steps (reset steps are left out)."""
        flat = lambda x: x.flatten(0, 1)  # noqa: E731
        return {
            "rows": self.valid.flatten().nonzero().squeeze(1),
            "obs": tree_map(flat, self.obs),
            "actions": flat(self.actions),
            "logprobs": flat(self.logprobs),
            "values": flat(self.values),
            "advantages": flat(advantages),
            "returns": flat(returns),
        }


def check_rollout_fits(num_steps: int, env: VectorEnv, device: torch.device) -> None:
    """Refuse a rollout larger than the memory free on ``device`` before anything is allocated:
    a huge ``num_steps`` or ``num_envs`` would otherwise end in the kernel's or Ray's out-of-memory
    kill, which takes other processes with it and says nothing."""
    needed = num_steps * env.num_envs * (observation_bytes(env.single_observation_space) + BYTES_PER_SAMPLE)
    free = free_memory(device)
    if free is not None and needed > free:
        raise ConfigError(
            f"algorithm.num_steps x env.num_envs: a rollout of {num_steps} steps of {env.num_envs} copies "
            f"needs {needed / 2**30:.1f} GiB, more than the {free / 2**30:.1f} GiB free on {device}; "
            "lower algorithm.num_steps or env.num_envs"
        )


def observation_bytes(space: spaces.Space) -> int:
    """Bytes of one observation of ``space`` (a Dict's parts added up)."""
    if isinstance(space, spaces.Dict):
        return sum(observation_bytes(part) for part in space.spaces.values())
    return int(np.prod(space.shape or ())) * np.dtype(space.dtype or np.float32).itemsize


def free_memory(device: torch.device) -> int | None:
    """Bytes free on ``device`` (the kernel's MemAvailable for the CPU), or None where unknown."""
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def tree_map_pair(fn, left: Any, right: Any) -> None:
    if isinstance(left, dict):
        for key in left:
            tree_map_pair(fn, left[key], right[key])
    else:
        fn(left, right)
