"""How well can a coordinator do that sees only the view? A searched-for answer, evaluated exactly.

The exact optimum (``oracle.py``) decides on the full MiniGrid state and the step count. A duo
coordinator on MiniGrid sees the agent's 7x7 view and what the agents compute from it, so the
best it can be is a map from views to {novice, expert}. Finding the best such map is a
memoryless policy search on a partially observed problem, hard in general; this module runs
policy iteration restricted to such maps: evaluate a map exactly over every layout's states and
steps (backward values, forward occupancy), flip the views whose flip the evaluation says gains,
and keep the flip only if the exact value rises (else try the single most promising view).

Every map it returns is evaluated exactly, so its value is reachable by a view-only coordinator:
a lower bound on the best one, not the best itself (a stochastic map can beat every
deterministic one on a partially observed problem, and the search stops at a local optimum).
Without a switch cost only (the agent that acted last would be part of the state otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from duo_ai.coordination.oracle import Backup, Layout, action_probabilities, combine
from duo_ai.policies.base import EXPERT, NOVICE, AgentPolicy


@dataclass
class ViewPolicy:
    rewards: np.ndarray  # [layouts]: expected episode reward (costs included) in each listed layout
    expert_fraction: float  # expected expert steps over expected steps, over the listed layouts
    visited_views: int  # distinct views the map's episodes reach
    expert_views: int  # of those, the views on which it asks the expert
    evaluations: int  # exact evaluations the search made (at most max_evaluations, both starts together)
    views: np.ndarray  # [V, 7, 7, 3]: the distinct views of the layouts it was found or evaluated on
    asks: np.ndarray  # [V] bool: the map, True where it asks the expert

    def lookup(self, unseen: int) -> Callable[[np.ndarray], np.ndarray]:
        """The map as a function of views, for other layouts: views it never met get ``unseen``."""
        table = {view.tobytes(): bool(ask) for view, ask in zip(self.views, self.asks, strict=True)}
        return lambda views: np.array([table.get(view.tobytes(), unseen == EXPERT) for view in views])


@dataclass
class _Union:
    """The distinct layouts side by side as one state space (no action crosses between them)."""

    next_state: np.ndarray  # [S, A], -1 where the episode ends
    success: np.ndarray  # [S, A]
    starts: np.ndarray  # [L]: each distinct layout's start state
    owner: np.ndarray  # [S]: the distinct layout a state belongs to
    weights: np.ndarray  # [L]: each distinct layout's share of the listed layouts
    listed: np.ndarray  # [layouts]: the distinct layout of each listed one
    views: np.ndarray  # [S]: the index of the state's view among the distinct views
    distinct_views: np.ndarray  # [V, 7, 7, 3]
    horizon: int


def _union(layouts: list[Layout]) -> tuple[_Union, np.ndarray]:
    """The union of the distinct layouts, and the observations of its states."""
    combined, starts, weights = combine(layouts)
    unique = list({id(layout): layout for layout in layouts}.values())
    distinct = {id(layout): index for index, layout in enumerate(unique)}
    sizes = np.array([len(layout.observations) for layout in unique])
    observations = combined.observations
    distinct_views, views = np.unique(
        observations.reshape(len(observations), -1), axis=0, return_inverse=True
    )
    union = _Union(
        next_state=combined.next_state,
        success=combined.success,
        starts=starts,
        owner=np.repeat(np.arange(len(unique)), sizes),
        weights=weights,
        listed=np.array([distinct[id(layout)] for layout in layouts]),
        views=views.reshape(-1),
        distinct_views=distinct_views.reshape(-1, *observations.shape[1:]),
        horizon=combined.max_steps,
    )
    return union, observations


def _evaluate(
    union: _Union, probs: tuple[np.ndarray, np.ndarray], asks: np.ndarray, expert_cost: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The map ``asks`` (per view) evaluated exactly: per distinct layout its expected reward;
    per state its expected visits (summed over steps) and the expected gain of flipping its
    choice alone (visits times the flip's advantage, summed over steps)."""
    choice = asks[union.views].astype(int)
    num_states, rows = len(choice), np.arange(len(choice))
    backup = Backup.of(union.next_state, union.success, union.horizon)
    acting = np.where((choice == EXPERT)[:, None], probs[EXPERT], probs[NOVICE])
    values = np.zeros(num_states)
    flip_advantage = np.empty((union.horizon, num_states))
    for t in reversed(range(union.horizon)):
        q = backup(probs, values, t, expert_cost)
        values = q[choice, rows]
        flip_advantage[t] = q[1 - choice, rows] - values

    mass = np.zeros(num_states)
    mass[union.starts] = 1.0
    occupancy, gain = np.zeros(num_states), np.zeros(num_states)
    step = backup.spreader(acting)
    for t in range(union.horizon):
        occupancy += mass
        gain += mass * flip_advantage[t]
        mass = step(mass)
    return values[union.starts], occupancy, gain


def best_view_policy(
    layouts: list[Layout],
    novice: AgentPolicy,
    expert: AgentPolicy,
    temperature: float,
    expert_cost: float,
    max_evaluations: int = 200,
) -> ViewPolicy:
    """The best map from views to agents that the search finds, from always-novice and from
    always-expert; its exact statistics on the listed layouts (a random-layout task's sample)."""
    union, probs = _problem(layouts, novice, expert, temperature)
    num_views = int(union.views.max()) + 1
    state_weight = union.weights[union.owner]
    evaluations, best = 0, None
    for start in (np.zeros(num_views, bool), np.ones(num_views, bool)):
        asks = start
        rewards, occupancy, gain = _evaluate(union, probs, asks, expert_cost)
        evaluations += 1
        while evaluations < max_evaluations:
            view_gain = np.bincount(union.views, gain * state_weight, minlength=num_views)
            if view_gain.max() <= 1e-12:
                break
            single = asks.copy()
            single[view_gain.argmax()] ^= True
            improved = False
            for trial in (asks ^ (view_gain > 1e-12), single):
                result = _evaluate(union, probs, trial, expert_cost)
                evaluations += 1
                if result[0] @ union.weights > rewards @ union.weights + 1e-12:
                    asks, (rewards, occupancy, gain), improved = trial, result, True
                    break
            if not improved:
                break
        if best is None or rewards @ union.weights > best[1] @ union.weights:
            best = (asks, rewards, occupancy)
    return _statistics(union, *best, evaluations)


def evaluate_view_map(
    asks_on: Callable[[np.ndarray], np.ndarray],
    layouts: list[Layout],
    novice: AgentPolicy,
    expert: AgentPolicy,
    temperature: float,
    expert_cost: float,
) -> ViewPolicy:
    """A map from views to agents, evaluated exactly on ``layouts``: ``asks_on`` takes the
    layouts' distinct views [V, 7, 7, 3] and says where it asks the expert ([V] bool). Used for
    a found map on other layouts (``ViewPolicy.lookup``) and for a trained coordinator's choices."""
    union, probs = _problem(layouts, novice, expert, temperature)
    asks = np.asarray(asks_on(union.distinct_views), bool)
    rewards, occupancy, _ = _evaluate(union, probs, asks, expert_cost)
    return _statistics(union, asks, rewards, occupancy, evaluations=1)


def _problem(
    layouts: list[Layout], novice: AgentPolicy, expert: AgentPolicy, temperature: float
) -> tuple[_Union, tuple[np.ndarray, np.ndarray]]:
    """The layouts' union and the agents' action distributions in each of its states."""
    union, observations = _union(layouts)
    return union, (
        action_probabilities(novice, observations, temperature),
        action_probabilities(expert, observations, temperature),
    )


def _statistics(
    union: _Union, asks: np.ndarray, rewards: np.ndarray, occupancy: np.ndarray, evaluations: int
) -> ViewPolicy:
    visits = occupancy * union.weights[union.owner]  # expected steps in each state, per listed layout
    view_visits = np.bincount(union.views, visits, minlength=len(asks))
    return ViewPolicy(
        rewards=rewards[union.listed],
        expert_fraction=float(view_visits[asks].sum() / view_visits.sum()),
        visited_views=int((view_visits > 0).sum()),
        expert_views=int((asks & (view_visits > 0)).sum()),
        evaluations=evaluations,
        views=union.distinct_views,
        asks=asks,
    )
