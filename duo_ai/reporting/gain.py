"""The share of the available gain: the headline number of a coordination method.

At a cost weight α, the *available gain* is what the best coordinator (the exact optimum, or a
skyline run where no optimum can be computed) earns above the better of always-novice and
always-expert. A method's share of the gain is its area over the α grid above that best-fixed
envelope, divided by the best coordinator's area above it: 0% is no better than picking the
right fixed agent for each α, 100% is the optimum, below 0% is worse than the fixed agents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from duo_ai.evaluation.stats import mean_t_interval

MIN_GAIN = 0.01  # a share of a smaller available gain (area in reward units) is noise: not shown
FIXED_METHODS = ("always novice", "always expert")


@dataclass
class Share:
    point: float  # the method's share, from its mean reward at each α
    seeds_mean: float | None  # mean of the seeds' own shares (each seed's area), None under 2 seeds
    seeds_ci: float | None  # 95% Student's t half-width over those seeds
    seeds: int  # seeds run at every α of the grid
    reference: str  # what the denominator is: "optimum" (exact) or "skyline"


def envelope_area(alphas: np.ndarray, novice: np.ndarray, expert: np.ndarray) -> float:
    """Area of the better fixed agent's mean reward at each α (trapezoid over the grid)."""
    return float(np.trapezoid(np.maximum(novice, expert), alphas))


def share_of_gain(area: float, envelope: float, best: float) -> float | None:
    """``area``'s share of the gain ``best - envelope``; None where that gain is under MIN_GAIN."""
    gain = best - envelope
    return (area - envelope) / gain if gain >= MIN_GAIN else None


def method_share(
    area: float, seed_areas: dict[int, float], envelope: float, best: float, reference: str
) -> Share | None:
    """A method's share of the gain, with an interval over its seeds' own areas."""
    point = share_of_gain(area, envelope, best)
    if point is None:
        return None
    per_seed = np.array([share_of_gain(a, envelope, best) for a in seed_areas.values()], dtype=float)
    mean, ci = mean_t_interval(per_seed) if len(per_seed) >= 2 else (None, None)
    return Share(point, mean, ci, len(per_seed), reference)
