"""Build the pieces a config names: policies, algorithms, coordination envs."""

from __future__ import annotations

from typing import Any

from gymnasium.vector import VectorEnv

from duo_ai import registry
from duo_ai.algorithms.base import Algorithm
from duo_ai.checkpoint import load_policy
from duo_ai.coordination.coord_env import CoordEnv
from duo_ai.coordination.costs import run_base_penalty
from duo_ai.envs.base import TRAINING_SPLITS
from duo_ai.errors import ConfigError
from duo_ai.policies.base import Policy
from duo_ai.run import current_device


def make_policy(policy_config: Any, env: VectorEnv) -> Policy:
    """A new policy of the class ``policy_config.name`` selects, shaped for ``env``."""
    cls = registry.lookup("policy", policy_config.name, key="policy.name")
    return cls(policy_config, env, device=current_device())


def make_algorithm(algorithm_config: Any) -> Algorithm:
    cls = registry.lookup("algorithm", algorithm_config.name, key="algorithm.name")
    return cls(algorithm_config)


def make_coord_envs(config: Any, base_envs: dict[str, VectorEnv]) -> dict[str, CoordEnv]:
    """Wrap each split's base env with its novice/expert pair and set the costs.

    YRC-0: train and val_sim use the training pair, val_true and test the test pair (a skyline
    run uses the test pair everywhere).
    """
    agents = {}
    for key in ("train_novice", "train_expert", "test_novice", "test_expert"):
        if not config[key]:
            raise ConfigError(f"{key}: a checkpoint path is required to train or evaluate a coordinator")
        split = "train" if key.startswith("train") else "test"
        agents[key] = load_policy(config[key], base_envs.get(split) or next(iter(base_envs.values())))
    envs = {}
    for split, base_env in base_envs.items():
        pair = "train" if split in TRAINING_SPLITS and not config.get("skyline", False) else "test"
        novice, expert = agents[f"{pair}_novice"], agents[f"{pair}_expert"]
        envs[split] = CoordEnv(config.coordination, base_env, novice, expert)
    test_env = base_envs.get("test") or next(iter(base_envs.values()))
    base_penalty = run_base_penalty(config, test_env, agents["test_expert"])
    for env in envs.values():
        env.set_costs(base_penalty)
    return envs
