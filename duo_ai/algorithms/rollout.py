"""Preallocated storage for one PPO rollout, and the episode statistics it produces."""

from __future__ import annotations

from typing import Any

import torch


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


def tree_map_pair(fn, left: Any, right: Any) -> None:
    if isinstance(left, dict):
        for key in left:
            tree_map_pair(fn, left[key], right[key])
    else:
        fn(left, right)
