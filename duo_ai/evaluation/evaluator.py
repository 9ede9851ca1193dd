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

from duo_ai.config.schema import EvaluationConfig
from duo_ai.coordination.coord_env import CoordEnv
from duo_ai.envs.copies import copies_mask, put, reset_copies, step_copies, take
from duo_ai.evaluation.episodes import Episode, GroupEpisodes
from duo_ai.evaluation.stats import format_summary, mean_std_ci
from duo_ai.policies.base import Policy, act_on_copies
from duo_ai.progress import progress

logger = logging.getLogger("duo_ai")


class Evaluator:
    def __init__(self, config: EvaluationConfig, env: VectorEnv):
        """``config`` is the ``evaluation`` section (a ``DictConfig`` of ``EvaluationConfig``)."""
        self.config, self.env = config, env

    def evaluate(
        self, policy: Policy, num_episodes: int | None = None, keep_episodes: bool = False
    ) -> dict[str, Any]:
        """Run the episodes and return their summary (see ``summarize``).

        ``keep_episodes`` adds each episode's reward (``episode_rewards``), e.g. for bootstrapping.
        The policy sees the observations of the copies still playing only. The global random state
        is restored afterwards, so validating during training leaves the training run unchanged.
        """
        return self.evaluate_groups(policy, 1, num_episodes, keep_episodes)[0]

    def evaluate_groups(
        self, policy: Policy, groups: int, num_episodes: int | None = None, keep_episodes: bool = False
    ) -> list[dict[str, Any]]:
        """``evaluate`` for ``groups`` equal blocks of the env's copies at once (the runs of a
        group, each with its own copies): every block plays its own ``num_episodes`` and gets its
        own summary, as if it were evaluated alone."""
        if groups < 1 or self.env.num_envs % groups:
            raise ValueError(f"{self.env.num_envs} copies do not split into {groups} equal groups")
        with torch.random.fork_rng():
            return self._evaluate(policy, num_episodes or self.config.num_episodes, keep_episodes, groups)

    def _evaluate(
        self, policy: Policy, num_episodes: int, keep_episodes: bool, groups: int
    ) -> list[dict[str, Any]]:
        max_len = self.config.max_num_steps
        n = self.env.num_envs
        per_group = n // groups
        episodes = GroupEpisodes(groups, per_group)
        bar = progress(num_episodes * groups, "evaluating", "episode", leave=False)

        policy.eval()
        obs, _ = self.env.reset()
        policy.reset(np.ones(n, bool))
        first = min(per_group, num_episodes)
        playing = (np.arange(groups)[:, None] * per_group + np.arange(first)).ravel()
        started = np.full(groups, first)
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
            # A group's next episodes go to its copies that just finished, lowest index first.
            group = playing // per_group
            next_episode = done & (episodes.rank_within_group(done, group) <= num_episodes - started[group])
            np.add.at(started, group[next_episode], 1)
            stays = ~done | next_episode
            restarts = next_episode[stays]
            obs, playing = take(obs, stays), playing[stays]
            if restarts.any():
                first_obs, _ = reset_copies(self.env, playing[restarts])
                put(obs, restarts, first_obs)
                policy.reset(copies_mask(playing[restarts], n))
        bar.close()
        summaries = []
        for finished in episodes.finished:
            summary = summarize(finished)
            if keep_episodes:
                summary["episode_rewards"] = [episode.reward for episode in finished]
            summaries.append(summary)
        return summaries

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
