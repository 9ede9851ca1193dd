"""Evaluate a policy on exactly ``num_episodes`` complete episodes.

Episodes are spread evenly over the copies and each copy contributes only its first quota of
episodes, so short episodes are not over-represented. Reset steps (the step after an episode
ends, under next-step autoreset) are not counted.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from gymnasium.vector import VectorEnv

from duo_ai.evaluation.stats import format_summary, mean_std_ci
from duo_ai.policies.base import Policy

logger = logging.getLogger("duo_ai")


def episode_quotas(num_episodes: int, num_envs: int) -> np.ndarray:
    """How many episodes each copy contributes: as equal as possible, summing to the total."""
    quotas = np.full(num_envs, num_episodes // num_envs)
    quotas[: num_episodes % num_envs] += 1
    return quotas


class Evaluator:
    def __init__(self, config: Any, env: VectorEnv):
        self.config, self.env = config, env

    def evaluate(
        self, policy: Policy, num_episodes: int | None = None, keep_episodes: bool = False
    ) -> dict[str, Any]:
        """Run the episodes and return their summary (see ``summarize``).

        ``keep_episodes`` adds each episode's reward (``episode_rewards``), e.g. for bootstrapping.
        """
        num_episodes = num_episodes or self.config.num_episodes
        max_len = self.config.max_num_steps
        n = self.env.num_envs
        quota = episode_quotas(num_episodes, n)
        finished = np.zeros(n, np.int64)
        ep_reward, ep_base, ep_len, ep_expert = (np.zeros(n) for _ in range(4))
        skipping = np.zeros(n, bool)  # copy is finishing an episode that was cut
        resetting = np.zeros(n, bool)
        records: list[tuple[float, float, int, float, bool]] = []
        # Bound for episodes that never end: every counted episode fits in max_len + 1 steps.
        step_budget = (int(quota.max()) + 1) * (max_len + 1) * 2

        policy.eval()
        obs, _ = self.env.reset()
        policy.reset(np.ones(n, bool))
        for _ in range(step_budget):
            if (finished >= quota).all():
                break
            actions = policy.act(obs, temperature=self.config.temperature)
            obs, reward, terminated, truncated, info = self.env.step(actions)
            ended = np.asarray(terminated) | np.asarray(truncated)
            counted = ~resetting & ~skipping & (finished < quota)
            base = np.asarray(info.get("base_reward", reward), dtype=np.float64)
            ep_reward += np.where(counted, reward, 0.0)
            ep_base += np.where(counted, base, 0.0)
            ep_len += counted
            ep_expert += counted & (np.asarray(actions) == 1)
            cut = counted & ~ended & (ep_len >= max_len)
            for i in np.flatnonzero(counted & (ended | cut)):
                records.append((ep_reward[i], ep_base[i], int(ep_len[i]), ep_expert[i], bool(cut[i])))
                finished[i] += 1
                ep_reward[i] = ep_base[i] = ep_len[i] = ep_expert[i] = 0
            skipping = (skipping | cut) & ~ended
            policy.reset(resetting)  # their observation is the first of a new episode
            resetting = ended
        if len(records) < num_episodes:
            logger.warning("evaluation stopped after %d of %d episodes", len(records), num_episodes)
        summary = summarize(records)
        if keep_episodes:
            summary["episode_rewards"] = [float(record[0]) for record in records]
        return summary

    def evaluate_and_log(self, policy: Policy, title: str) -> dict[str, float]:
        summary = self.evaluate(policy)
        logger.info(title)
        logger.info(format_summary(summary))
        return summary


def summarize(records: list[tuple[float, float, int, float, bool]]) -> dict[str, Any]:
    if not records:
        raise RuntimeError("no episode finished: raise evaluation.max_num_steps or check the environment")
    rewards, bases, lengths, experts, cuts = (np.array(column) for column in zip(*records, strict=True))
    reward_mean, reward_std, reward_ci = mean_std_ci(rewards)
    base_mean, base_std, base_ci = mean_std_ci(bases)
    steps = int(lengths.sum())
    return {
        "steps": steps,
        "num_episodes": len(records),
        "episode_length_mean": float(lengths.mean()),
        "episode_length_min": float(lengths.min()),
        "episode_length_max": float(lengths.max()),
        "reward_mean": reward_mean,
        "reward_std": reward_std,
        "reward_ci": reward_ci,
        "base_reward_mean": base_mean,
        "base_reward_std": base_std,
        "base_reward_ci": base_ci,
        "action_1_fraction": float(experts.sum() / max(steps, 1)),
        "num_cut": int(cuts.sum()),
    }
