"""The base penalty BP: what one expert action is worth, in the task's reward units."""

from __future__ import annotations

import logging
from typing import Any

from gymnasium.vector import VectorEnv

from duo_ai.evaluation import Evaluator
from duo_ai.policies.base import Policy

logger = logging.getLogger("duo_ai")


def reward_per_action(expert: Policy, env: VectorEnv, evaluation_config: Any) -> dict[str, float]:
    """The expert's mean episode reward over its mean episode length on ``env``, with counts."""
    summary = Evaluator(evaluation_config, env).evaluate(expert)
    return {
        "reward_per_action": summary["reward_mean"] / summary["episode_length_mean"],
        "reward_mean": summary["reward_mean"],
        "episode_length_mean": summary["episode_length_mean"],
        "num_episodes": summary["num_episodes"],
    }
