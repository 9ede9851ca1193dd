"""Build the pieces a config names: policies and algorithms."""

from __future__ import annotations

from typing import Any

import torch
from gymnasium.vector import VectorEnv

from duo_ai import registry
from duo_ai.algorithms.base import Algorithm
from duo_ai.policies.base import Policy
from duo_ai.run import current_device


def make_policy(policy_config: Any, env: VectorEnv, device: torch.device | None = None) -> Policy:
    """A new policy of the class ``policy_config.name`` selects, shaped for ``env``, on ``device``
    (by default the current run's, as the tutorial's scripts expect)."""
    cls = registry.lookup("policy", policy_config.name, key="policy.name")
    return cls(policy_config, env, device=device or current_device())


def make_algorithm(algorithm_config: Any) -> Algorithm:
    cls = registry.lookup("algorithm", algorithm_config.name, key="algorithm.name")
    return cls(algorithm_config)
