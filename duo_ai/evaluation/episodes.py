"""Per-copy running totals of episodes in progress, and a record of each one that ends: the
one bookkeeping behind PPO's training statistics and the Evaluator's results."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Episode:
    reward: float
    base_reward: float
    length: int
    expert_steps: int
    cut: bool  # stopped at the evaluation's step limit, not ended by the env


class EpisodeTracker:
    """Add each step of the copies that took one; end a copy's episode to record it.

    Besides finished episodes, it counts every decision since the last ``read`` (finished or not),
    which is what a training window's expert share is over.
    """

    def __init__(self, num_envs: int):
        self.reward, self.base_reward = np.zeros(num_envs), np.zeros(num_envs)
        self.length, self.expert_steps = np.zeros(num_envs, np.int64), np.zeros(num_envs, np.int64)
        self.finished: list[Episode] = []
        self.decisions = self.expert_decisions = 0

    def step(
        self, copies: np.ndarray, reward: np.ndarray, base_reward: np.ndarray, actions: np.ndarray
    ) -> None:
        """One step of ``copies`` (indices), with their rewards and the coordinator's actions."""
        asked = np.asarray(actions) == 1
        self.reward[copies] += reward
        self.base_reward[copies] += base_reward
        self.length[copies] += 1
        self.expert_steps[copies] += asked
        self.decisions += len(copies)
        self.expert_decisions += int(asked.sum())

    def end(self, copies: np.ndarray, cut: np.ndarray | None = None) -> None:
        """Record the episodes of ``copies`` as finished (``cut`` marks those stopped early)."""
        cut = np.zeros(len(copies), bool) if cut is None else cut
        for copy, was_cut in zip(copies, cut, strict=True):
            self.finished.append(
                Episode(
                    float(self.reward[copy]), float(self.base_reward[copy]), int(self.length[copy]),
                    int(self.expert_steps[copy]), bool(was_cut),
                )
            )  # fmt: skip
        self.reward[copies] = self.base_reward[copies] = 0.0
        self.length[copies] = self.expert_steps[copies] = 0

    def read(self) -> dict[str, float]:
        """A training window: its finished episodes and every decision in it; starts the next."""
        summary = window(self.finished, self.decisions, self.expert_decisions)
        self.finished, self.decisions, self.expert_decisions = [], 0, 0
        return summary


def window(finished: list[Episode], decisions: int, expert_decisions: int) -> dict[str, float]:
    """A training window's statistics: its finished episodes' means and the expert share of its
    decisions."""
    rewards = [episode.reward for episode in finished]
    return {
        "episodes": len(rewards),
        "episode_reward": float(np.mean(rewards)) if rewards else float("nan"),
        "episode_base_reward": float(np.mean([e.base_reward for e in finished])) if rewards else float("nan"),
        "episode_length": float(np.mean([e.length for e in finished])) if rewards else float("nan"),
        "action_1_fraction": expert_decisions / max(decisions, 1),
    }


class GroupEpisodes:
    """``EpisodeTracker``'s bookkeeping for the copies of several runs at once (copy c belongs to
    group c // copies_per_group): one tracker keeps every copy's running totals, and each group's
    finished episodes and decisions are kept apart."""

    def __init__(self, groups: int, copies_per_group: int):
        self.copies, self.groups = copies_per_group, groups
        self.tracker = EpisodeTracker(groups * copies_per_group)
        self.length = self.tracker.length  # each copy's episode length so far
        self.finished: list[list[Episode]] = [[] for _ in range(groups)]
        self.decisions = np.zeros(groups, np.int64)
        self.expert_decisions = np.zeros(groups, np.int64)

    def step(
        self, copies: np.ndarray, reward: np.ndarray, base_reward: np.ndarray, actions: np.ndarray
    ) -> None:
        self.tracker.step(copies, reward, base_reward, actions)
        owner = copies // self.copies
        self.decisions += np.bincount(owner, minlength=self.groups)
        self.expert_decisions += np.bincount(owner[np.asarray(actions) == 1], minlength=self.groups)

    def end(self, copies: np.ndarray, cut: np.ndarray | None = None) -> None:
        self.tracker.end(copies, cut)
        for copy, episode in zip(copies, self.tracker.finished, strict=True):
            self.finished[copy // self.copies].append(episode)
        self.tracker.finished = []

    @staticmethod
    def rank_within_group(flags: np.ndarray, group: np.ndarray) -> np.ndarray:
        """For each row, how many flagged rows of its group come up to it (inclusive); rows are
        ordered by copy, so a group's rows are contiguous."""
        counts = np.cumsum(flags)
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        before = (counts - flags)[starts]
        return counts - np.repeat(before, np.diff(np.r_[starts, len(group)]))

    def read(self) -> list[dict[str, float]]:
        """Each group's training window (``EpisodeTracker.read``); starts the next."""
        windows = [
            window(finished, int(decisions), int(asked))
            for finished, decisions, asked in zip(
                self.finished, self.decisions, self.expert_decisions, strict=True
            )
        ]
        self.finished = [[] for _ in range(self.groups)]
        self.decisions[:], self.expert_decisions[:] = 0, 0
        return windows
