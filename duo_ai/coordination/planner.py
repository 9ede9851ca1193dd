"""A simulated expert that exists on every MiniGrid task: a shortest-path planner, and the
generated families of tasks it serves.

On a layout explored by ``oracle.explore``, the planner knows the full state and takes, in every
state, the action that reaches the goal in the fewest steps (breadth-first search backwards from
the goal's transitions; ties go to the lowest action). It needs no training, so a simulated
pairing can cover many generated variants of the novice's task, each with an expert.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from duo_ai.coordination.oracle import Layout, resets, start_identity, state_key, task_layouts
from duo_ai.errors import ConfigError

SAME_TASK_SEEDS = 8  # resets compared to decide whether two task settings are the same task


def planner_probabilities(layout: Layout) -> np.ndarray:
    """[S, A] one-hot: the planner's action in each state of ``layout`` (action 0 where the goal
    cannot be reached)."""
    num_states, num_actions = layout.next_state.shape
    distance = np.full(num_states, np.inf)
    distance[layout.success.any(1)] = 1
    predecessors: list[list[int]] = [[] for _ in range(num_states)]
    for state, following in zip(*np.nonzero(layout.next_state >= 0), strict=True):
        predecessors[layout.next_state[state, following]].append(state)
    queue = deque(np.flatnonzero(np.isfinite(distance)))
    while queue:
        state = queue.popleft()
        for previous in predecessors[state]:
            if distance[previous] == np.inf:
                distance[previous] = distance[state] + 1
                queue.append(previous)
    following = np.where(layout.next_state >= 0, layout.next_state, 0)
    steps_left = np.where(layout.success, 0.0, np.where(layout.next_state >= 0, distance[following], np.inf))
    best = np.where(np.isfinite(steps_left).any(1), steps_left.argmin(1), 0)
    return np.eye(num_actions)[best]


def family_layouts(family: list[dict[str, Any]], per_task: int, first_seed: int) -> list[Layout]:
    """The layouts of ``per_task`` resets (seeds from ``first_seed``; a member's own ``layouts``
    where it gives one) of each family member, a ``{task: <gym id>, kwargs: {...}}`` setting of
    the reference ``minigrid`` package."""
    return [
        layout
        for member in family
        for layout in task_layouts(
            member["task"], member.get("layouts", per_task), first_seed, member.get("kwargs") or {}
        )
    ]


def check_excludes(
    family: list[dict[str, Any]], test_task: str, test_kwargs: dict[str, Any], key: str
) -> None:
    """Refuse a family member that is the test task: the same generator gives the same start
    states from the same seeds, so members are compared with the test task reset by reset."""
    test = start_states(test_task, test_kwargs)
    for index, member in enumerate(family):
        if start_states(member["task"], member.get("kwargs") or {}) == test:
            raise ConfigError(
                f"{key}[{index}]: {member['task']} {dict(member.get('kwargs') or {})} is the test task "
                f"{test_task}; the simulated family must leave the test task out"
            )


def start_states(task_id: str, kwargs: dict[str, Any]) -> list[bytes]:
    """The start states (grid, position, direction) of the task's first resets."""
    return [start_identity(state_key(env)) for env in resets(task_id, range(SAME_TASK_SEEDS), kwargs)]
