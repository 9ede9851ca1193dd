"""Generalized advantage estimation under next-step autoreset.

A terminated step has no future: it is not bootstrapped. A truncated step is bootstrapped from
the value of its final observation, which under next-step autoreset is the observation the env
returned with it (values[t + 1], computed on the following reset step, or ``next_value`` at the
end of the rollout). Neither lets advantages flow back across the episode boundary. Where the
time limit is part of the game (Procgen's own ``done`` has it so, and the literature's Procgen
agents learn with it), ``bootstrap_truncated=False`` treats a truncated step as terminated.
"""

from __future__ import annotations

import torch


def compute_gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    next_value: torch.Tensor,
    terminated: torch.Tensor,
    truncated: torch.Tensor,
    gamma: float,
    gae_lambda: float,
    bootstrap_truncated: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Advantages and returns, all shaped [num_steps, num_envs]."""
    if not bootstrap_truncated:
        terminated = terminated | truncated
    num_steps = rewards.shape[0]
    advantages = torch.zeros_like(rewards)
    not_terminal = 1.0 - terminated.float()
    continues = 1.0 - (terminated | truncated).float()
    last = torch.zeros_like(next_value)
    for t in reversed(range(num_steps)):
        following = next_value if t == num_steps - 1 else values[t + 1]
        delta = rewards[t] + gamma * following * not_terminal[t] - values[t]
        last = delta + gamma * gae_lambda * continues[t] * last
        advantages[t] = last
    return advantages, advantages + values
