"""The exact optimum of coordination on MiniGrid: the best expected test reward that any
coordinator can reach with a given novice, expert and costs.

Once the agents are fixed, coordination is a finite-horizon MDP: the state is the MiniGrid state
(agent position and direction, what it carries, doors and keys) plus the step count (MiniGrid's
success reward, 1 - 0.9 t / max_steps, depends on it) and the agent that acted last (the switch
cost depends on it); the coordinator's two actions are the agents' action distributions at the
coordination temperature. Backward induction over the states reachable from a layout gives the
optimum exactly; a task with random layouts averages it over layouts drawn by the reference
``minigrid`` package. Written here because no library solves an MDP whose transitions come from
a MiniGrid layout: the search and the dynamic program are this module.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from duo_ai.coordination import layout_cache
from duo_ai.policies.base import EXPERT, NOVICE, AgentPolicy

NOBODY = 2  # the index of "nobody acted yet" among the previous-agent values


@dataclass
class Layout:
    """The states reachable from one MiniGrid layout's start, and how actions move between them."""

    observations: np.ndarray  # [S, 7, 7, 3] uint8: what the agents see in each state
    next_state: np.ndarray  # [S, A]: the state an action leads to; -1 where the episode ends
    success: np.ndarray  # [S, A]: the action reaches the goal (the episode ends with a reward)
    max_steps: int
    start: bytes = b""  # the start state's grid, agent position and direction: the layout's identity


@dataclass
class Optimum:
    reward: float  # expected episode reward, costs included (what the Evaluator reports)
    base_reward: float  # expected episode reward of the base task (no costs)
    expert_fraction: float  # expected expert steps over expected steps
    episode_length: float  # expected steps


class TooManyStates(ValueError):
    """A layout has more states than the search was allowed."""


def explore(env: Any, max_states: int | None = None) -> Layout:
    """Breadth-first search of the states reachable from ``env``'s current state (a reset
    ``minigrid.MiniGridEnv``), under every action sequence; ``TooManyStates`` past ``max_states``."""
    start = state_key(env)
    keys = {start: 0}
    states, observations, next_states, successes = [_copy(env, start)], [], [], []
    num_actions = int(env.action_space.n)
    env.gen_obs = _no_observation  # the search steps without drawing what each step shows: 3x faster
    try:
        for state in states:  # grows while it is walked
            _restore(env, state)
            observations.append(type(env).gen_obs(env)["image"])
            row_next, row_success = [], []
            for action in range(num_actions):
                env.agent_pos, env.agent_dir = state[2], state[3]
                env.step_count = 0  # the step count is part of the dynamic program, not of the search
                _, reward, terminated, _, _ = env.step(action)
                if terminated:
                    row_next.append(-1)
                    row_success.append(reward > 0)
                else:
                    key = state_key(env)
                    if key not in keys:
                        keys[key] = len(states)
                        states.append(_copy(env, key))
                        if max_states is not None and len(states) > max_states:
                            raise TooManyStates(f"the layout has more than {max_states} states")
                    row_next.append(keys[key])
                    row_success.append(False)
                    if key[2:] != state[0][2:]:
                        _restore(env, state)  # the grid or what the agent carries changed: start afresh
            next_states.append(row_next)
            successes.append(row_success)
    finally:
        del env.gen_obs
    layout = Layout(np.stack(observations), np.array(next_states), np.array(successes), int(env.max_steps))
    layout.start = start_identity(start)
    return layout


def state_key(env: Any) -> tuple:
    carrying = env.carrying.encode() if env.carrying is not None else None
    return (tuple(env.agent_pos), int(env.agent_dir), carrying, env.grid.encode().tobytes())


def start_identity(key: tuple) -> bytes:
    """A start state's identity: its grid, the agent's position and direction."""
    return repr(key[:2]).encode() + key[3]


def _no_observation() -> None:
    return None


def _copy(env: Any, key: tuple) -> tuple:
    """What restoring the state ``key`` needs (the key itself is computed once, by the caller).
    The grid and what the agent carries are kept as one pickle of duo's own making: a copy that
    restores 3x faster than ``copy.deepcopy``, never read from outside the process."""
    return (
        key,
        pickle.dumps((env.grid, env.carrying), pickle.HIGHEST_PROTOCOL),
        tuple(env.agent_pos),
        int(env.agent_dir),
    )


def _restore(env: Any, state: tuple) -> None:
    _, objects, position, direction = state
    env.grid, env.carrying = pickle.loads(objects)  # noqa: S301 - made by _copy in this process
    env.agent_pos, env.agent_dir = position, direction


@dataclass
class Backup:
    """One step of backward induction over a layout's transitions, set up once: what letting the
    novice or the expert act at step ``t`` is worth, given the values from ``t`` + 1 on (no
    switch cost). Shared by the coordinators that are followed exactly (guidance, view maps)."""

    ends: np.ndarray  # [S, A]: the action ends the episode
    following: np.ndarray  # [S, A]: the next state (0 where the episode ends)
    success: np.ndarray  # [S, A]
    horizon: int

    def __post_init__(self) -> None:
        # An ended action leads to a last, extra state of value 0: one gather, no masking per step.
        self._next = np.where(self.ends, len(self.ends), self.following)
        self._success = self.success.astype(np.float64)
        self._extended = np.zeros(len(self.ends) + 1)

    @classmethod
    def of(cls, next_state: np.ndarray, success: np.ndarray, horizon: int) -> Backup:
        ends = next_state < 0
        return cls(ends, np.where(ends, 0, next_state), success, horizon)

    def __call__(
        self, probs: tuple[np.ndarray, np.ndarray], values: np.ndarray, t: int, expert_cost: float
    ) -> np.ndarray:
        """[2, S]: the expected reward of the novice or the expert acting at step ``t``."""
        self._extended[:-1] = values
        outcome = self._extended[self._next]
        outcome += self._success * (1 - 0.9 * (t + 1) / self.horizon)
        q = np.stack([np.einsum("sa,sa->s", probs[agent], outcome) for agent in (NOVICE, EXPERT)])
        q[EXPERT] -= expert_cost
        return q

    def spreader(self, acting: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        """Where a coordinator that acts with distribution ``acting`` [S, A] takes its probability
        mass in one step: a map from each state's mass at step t to its mass at t + 1 (forward
        passes of followed coordinators; the transitions that move are set up once)."""
        moving = np.flatnonzero(~self.ends)  # the (state, action) pairs that lead to another state
        targets, weights = self.following.ravel()[moving], acting.ravel()[moving]
        sources, size = moving // self.ends.shape[1], len(self.ends)
        return lambda mass: np.bincount(targets, mass[sources] * weights, minlength=size)


def action_probabilities(agent: AgentPolicy, observations: np.ndarray, temperature: float) -> np.ndarray:
    """The agent's action distribution in each state, as CoordEnv samples it."""
    with torch.inference_mode():
        logits = agent.forward_agent(observations).logits.float().cpu()
    if temperature == 0:
        return torch.nn.functional.one_hot(logits.argmax(1), logits.shape[1]).double().numpy()
    return torch.softmax(logits.double() / temperature, dim=1).numpy()


def solve(
    layout: Layout,
    probs: tuple[np.ndarray, np.ndarray],
    expert_cost: float,
    switch_cost: float = 0.0,
    allowed: tuple[int, ...] = (NOVICE, EXPERT),
) -> Optimum:
    """Backward induction from the last step, then the optimal policy's expected statistics by
    a forward pass from the start state. ``probs`` holds the novice's and the expert's action
    distributions per state; ``allowed`` restricts the coordinator (e.g. to always-expert)."""
    horizon, num_states = layout.max_steps, len(layout.observations)
    ends = layout.next_state < 0
    following = np.where(ends, 0, layout.next_state)
    # Without a switch cost the agent that acted last does not matter: one value per state.
    previous_agents = (NOVICE, EXPERT, NOBODY) if switch_cost else (NOBODY,)
    values = np.zeros((3, num_states))  # by previous agent: novice, expert, nobody yet
    choices = np.zeros((horizon, 3, num_states), np.int8)
    for t in reversed(range(horizon)):
        success_reward = 1 - 0.9 * (t + 1) / horizon
        acting = [
            (probs[agent] * np.where(ends, layout.success * success_reward, values[agent][following])).sum(1)
            - expert_cost * (agent == EXPERT)
            for agent in (NOVICE, EXPERT)
        ]  # fmt: skip
        new_values = np.empty_like(values)
        for previous in previous_agents:
            q = np.stack(
                [acting[agent] - switch_cost * (previous not in (NOBODY, agent)) for agent in (NOVICE, EXPERT)]
            )  # fmt: skip
            q[[agent for agent in (NOVICE, EXPERT) if agent not in allowed]] = -np.inf
            choices[t, previous] = np.argmax(q, axis=0)  # ties: the novice
            new_values[previous] = q.max(axis=0)
        if not switch_cost:
            new_values[:], choices[t, :] = new_values[NOBODY], choices[t, NOBODY]
        values = new_values

    mass = np.zeros((3, num_states))
    mass[NOBODY, 0] = 1.0
    steps = expert_steps = base_reward = 0.0
    for t in range(horizon):
        success_reward = 1 - 0.9 * (t + 1) / horizon
        new_mass = np.zeros_like(mass)
        for previous in previous_agents:
            for agent in (NOVICE, EXPERT):
                here = mass[previous] * (choices[t, previous] == agent)
                flow = here[:, None] * probs[agent]
                steps += here.sum()
                expert_steps += here.sum() * (agent == EXPERT)
                base_reward += (flow * layout.success).sum() * success_reward
                np.add.at(new_mass[agent if switch_cost else NOBODY], following[~ends], flow[~ends])
        mass = new_mass
    return Optimum(
        float(values[NOBODY, 0]), float(base_reward), float(expert_steps / max(steps, 1e-12)), float(steps)
    )


def combine(layouts: list[Layout]) -> tuple[Layout, np.ndarray, np.ndarray]:
    """The distinct layouts of one step limit side by side as one (no action crosses between
    them), each one's start state, and each one's share of the listed layouts."""
    unique = list({id(layout): layout for layout in layouts}.values())
    if len({layout.max_steps for layout in unique}) != 1:
        raise ValueError("combined layouts must share one step limit")
    sizes = np.array([len(layout.observations) for layout in unique])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    next_state = np.concatenate(
        [
            np.where(layout.next_state < 0, -1, layout.next_state + start)
            for layout, start in zip(unique, starts, strict=True)
        ]
    )
    combined = Layout(
        np.concatenate([layout.observations for layout in unique]),
        next_state,
        np.concatenate([layout.success for layout in unique]),
        unique[0].max_steps,
    )
    counts = np.array([sum(listed is layout for listed in layouts) for layout in unique])
    return combined, starts, counts / len(layouts)


def resets(task_id: str, seeds: Iterable[int], kwargs: dict[str, Any] | None = None) -> Iterator[Any]:
    """The reference ``minigrid`` task, reset with each of ``seeds`` in turn (one env, yielded
    after each reset)."""
    import gymnasium as gym
    import minigrid  # noqa: F401 - registers the MiniGrid tasks with Gymnasium

    env = gym.make(task_id, **(kwargs or {})).unwrapped
    for seed in seeds:
        env.reset(seed=seed)
        yield env


def task_layouts(
    task_id: str, num_layouts: int, first_seed: int = 0, kwargs: dict[str, Any] | None = None
) -> list[Layout]:
    """The layouts of ``num_layouts`` reference resets (seeds ``first_seed``, ``first_seed`` + 1,
    ...), each explored once per process: a layout drawn twice appears twice (the list is a sample
    of the task's layout distribution). ``kwargs`` are the task's constructor options
    (``strip2_row``)."""
    layouts = []
    for env in resets(task_id, range(first_seed, first_seed + num_layouts), kwargs):
        start = (type(env).__name__, env.max_steps, state_key(env))
        if start not in _EXPLORED:
            _EXPLORED[start] = _kept_or_explored(env, start)
        layouts.append(_EXPLORED[start])
    return layouts


# Explored layouts by start state, task class and step limit: a layout is searched once per process,
# and kept on disk for the next processes (``layout_cache``).
_EXPLORED: dict[tuple, Layout] = {}
SEARCH_CODE = Path(__file__).read_bytes()  # a change to the search is a new cache entry


def _kept_or_explored(env: Any, start: tuple) -> Layout:
    key = layout_cache.layout_key(start, SEARCH_CODE)
    kept = layout_cache.load(key)
    if kept is not None:
        return Layout(kept["observations"], kept["next_state"], kept["success"], int(kept["max_steps"]),
                      kept["start"].tobytes())  # fmt: skip
    layout = explore(env)
    layout_cache.store(key, {
        "observations": layout.observations, "next_state": layout.next_state, "success": layout.success,
        "max_steps": np.array(layout.max_steps), "start": np.frombuffer(layout.start, np.uint8),
    })  # fmt: skip
    return layout


def coordination_optimum(
    layouts: list[Layout],
    novice: AgentPolicy,
    expert: AgentPolicy,
    temperature: float,
    expert_cost: float,
    switch_cost: float = 0.0,
    allowed: tuple[int, ...] = (NOVICE, EXPERT),
) -> list[Optimum]:
    """The optimum of each layout (exact for the layout; their mean estimates the task's)."""
    solved: dict[int, Optimum] = {}
    for layout in layouts:
        if id(layout) not in solved:
            probs = (
                action_probabilities(novice, layout.observations, temperature),
                action_probabilities(expert, layout.observations, temperature),
            )
            solved[id(layout)] = solve(layout, probs, expert_cost, switch_cost, allowed)
    return [solved[id(layout)] for layout in layouts]
