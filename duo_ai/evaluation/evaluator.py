"""Evaluate a policy on exactly ``num_episodes`` complete episodes.

Episodes are handed to copies in the order they start: the first ``num_envs`` start at once, and
a copy whose episode ends (or is cut at ``max_num_steps``) starts the next one at once while fewer
than ``num_episodes`` have started (``duo_ai.envs.copies``). Every started episode is counted, and
whether one starts is decided before it is played, never by its own length or outcome: a copy that
plays short episodes plays more of them, yet each episode is a fair draw, so the mean is unbiased
wherever a copy's episodes are independent draws of the task (every env duo makes; an env whose
copies each keep one fixed level would weigh the fast levels more). The copies stay busy until the
last episodes, so batches stay full, and every step taken is a counted step of some episode.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch
from gymnasium.vector import VectorEnv

from duo_ai.coordination.coord_env import CoordEnv
from duo_ai.envs.copies import copies_mask, put, reset_copies, step_copies, take
from duo_ai.evaluation.episodes import Episode, EpisodeTracker
from duo_ai.evaluation.stats import format_summary, mean_std_ci
from duo_ai.policies.base import Policy, act_on_copies
from duo_ai.progress import progress

logger = logging.getLogger("duo_ai")


class Evaluator:
    def __init__(self, config: Any, env: VectorEnv):
        self.config, self.env = config, env

    def evaluate(
        self, policy: Policy, num_episodes: int | None = None, keep_episodes: bool = False
    ) -> dict[str, Any]:
        """Run the episodes and return their summary (see ``summarize``).

        ``keep_episodes`` adds each episode's reward (``episode_rewards``), e.g. for bootstrapping.
        The policy sees the observations of the copies still playing only. The global random state
        is restored afterwards, so validating during training leaves the training run unchanged.
        """
        with torch.random.fork_rng():
            return self._evaluate(policy, num_episodes, keep_episodes)

    def _evaluate(self, policy: Policy, num_episodes: int | None, keep_episodes: bool) -> dict[str, Any]:
        num_episodes = num_episodes or self.config.num_episodes
        max_len = self.config.max_num_steps
        n = self.env.num_envs
        episodes = EpisodeTracker(n)
        bar = progress(num_episodes, "evaluating", "episode", leave=False)

        policy.eval()
        obs, _ = self.env.reset()
        policy.reset(np.ones(n, bool))
        playing = np.arange(min(n, num_episodes))
        started = playing.size
        obs = take(obs, playing)
        while playing.size:  # each pass is one counted step of every playing copy
            actions = act_on_copies(policy, obs, playing, self.config.temperature)
            obs, reward, terminated, truncated, info = step_copies(self.env, actions, playing)
            episodes.step(playing, reward, np.asarray(info.get("base_reward", reward), np.float64), actions)
            ended = np.asarray(terminated) | np.asarray(truncated)
            cut = ~ended & (episodes.length[playing] >= max_len)
            done = ended | cut
            episodes.end(playing[done], cut[done])
            bar.update(int(done.sum()))
            # The next episodes go to the copies that just finished, lowest index first.
            next_episode = done & (np.cumsum(done) <= num_episodes - started)
            started += int(next_episode.sum())
            stays = ~done | next_episode
            restarts = next_episode[stays]
            obs, playing = take(obs, stays), playing[stays]
            if restarts.any():
                first_obs, _ = reset_copies(self.env, playing[restarts])
                put(obs, restarts, first_obs)
                policy.reset(copies_mask(playing[restarts], n))
        bar.close()
        summary = summarize(episodes.finished)
        if keep_episodes:
            summary["episode_rewards"] = [episode.reward for episode in episodes.finished]
        return summary

    def evaluate_and_log(self, policy: Policy, title: str) -> dict[str, float]:
        summary = self.evaluate(policy)
        logger.info(title)
        logger.info(self.describe(summary))
        return summary

    def describe(self, summary: dict[str, Any]) -> str:
        """The evaluation block of ``summary``, with the coordination lines where there is one."""
        return format_summary(summary, coordination=isinstance(self.env, CoordEnv))


def summarize(episodes: list[Episode]) -> dict[str, Any]:
    if not episodes:
        raise RuntimeError("no episode finished: raise evaluation.max_num_steps or check the environment")
    rewards, bases, lengths, experts, cuts = (
        np.array([getattr(episode, key) for episode in episodes])
        for key in ("reward", "base_reward", "length", "expert_steps", "cut")
    )
    reward_mean, reward_std, reward_ci = mean_std_ci(rewards)
    base_mean, base_std, base_ci = mean_std_ci(bases)
    steps = int(lengths.sum())
    return {
        "steps": steps,
        "num_episodes": len(episodes),
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
