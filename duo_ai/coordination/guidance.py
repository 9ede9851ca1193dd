"""What the exact optimum can teach a coordinator on a simulated layout.

On a layout with known agents (``oracle.py``), backward induction gives the optimum's advantage
of asking the expert in every state and step; a coordinator that asks with probability p(s) can
be followed exactly too (its expected reward, and how often it reaches each state at each step).
Their product, summed over steps, is the exact gradient signal of imitating the optimum on the
coordinator's own state distribution (AggreVaTe, Ross & Bagnell 2014, with exact values in place
of sampled ones). Written here because it is the project's own idea: it needs the optimum.
"""

from __future__ import annotations

import numpy as np

from duo_ai.coordination.oracle import Backup, Layout
from duo_ai.policies.base import EXPERT, NOVICE


def optimum_advantages(
    layout: Layout, probs: tuple[np.ndarray, np.ndarray], expert_cost: float
) -> np.ndarray:
    """[T, S]: the optimum's value of asking the expert over letting the novice act, per step and
    state (no switch cost)."""
    backup = Backup.of(layout.next_state, layout.success, layout.max_steps)
    values = np.zeros(len(layout.observations))
    advantages = np.empty((layout.max_steps, len(values)))
    for t in reversed(range(layout.max_steps)):
        q = backup(probs, values, t, expert_cost)
        advantages[t] = q[EXPERT] - q[NOVICE]
        values = q.max(0)
    return advantages


def follow(
    layout: Layout,
    probs: tuple[np.ndarray, np.ndarray],
    asks: np.ndarray,
    expert_cost: float,
    advantages: np.ndarray | None = None,
    starts: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> tuple[float, np.ndarray | None]:
    """The expected episode reward of the coordinator that asks with probability ``asks[s]``, and
    (given the optimum's ``advantages``) each state's advantage weighted by how often the
    coordinator reaches it, summed over steps. Episodes start in state 0, or in ``starts`` with
    probabilities ``weights`` (layouts combined by ``oracle.combine``)."""
    starts = np.zeros(1, int) if starts is None else starts
    weights = np.ones(1) if weights is None else weights
    backup = Backup.of(layout.next_state, layout.success, layout.max_steps)
    values = np.zeros(len(asks))
    for t in reversed(range(layout.max_steps)):
        q = backup(probs, values, t, expert_cost)
        values = (1 - asks) * q[NOVICE] + asks * q[EXPERT]
    reward = float(values[starts] @ weights)
    if advantages is None:
        return reward, None
    acting = (1 - asks)[:, None] * probs[NOVICE] + asks[:, None] * probs[EXPERT]
    step = backup.spreader(acting)
    mass = np.zeros(len(asks))
    np.add.at(mass, starts, weights)
    weighted = np.zeros(len(asks))
    for t in range(layout.max_steps):
        weighted += mass * advantages[t]
        mass = step(mass)
    return reward, weighted
