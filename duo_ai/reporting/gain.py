"""The share of the available gain: the headline number of a coordination method.

At a cost weight α, the *available gain* is what the best coordinator (the exact optimum, or a
skyline run where no optimum can be computed) earns above the better of always-novice and
always-expert. A method's share of the gain is its area over the α grid above that best-fixed
envelope, divided by the best coordinator's area above it: 0% is no better than picking the
right fixed agent for each α, 100% is the optimum, below 0% is worse than the fixed agents.

Whether a method beats the fixed agents at all is read over its seeds (a one-sided Student's t
test that its seeds' mean share is above 0), and a claim about the best of K methods tried on a
task is read after Holm's correction over those K: the best of ten methods clears p < 0.05 by
chance far more often than one method does.
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
    p_above: float | None = None  # one-sided t over seeds: chance of a mean share this far above 0
    p_holm: float | None = None  # p_above after Holm's correction over the task's honest methods
    family: int = 0  # how many methods that correction counts


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
    return Share(point, mean, ci, len(per_seed), reference, p_above=p_above_zero(per_seed))


def p_above_zero(per_seed: np.ndarray) -> float | None:
    """One-sided p-value of Student's t for "the seeds' mean share is above 0" (better than the
    better fixed agent); None under two seeds."""
    from scipy import stats

    if len(per_seed) < 2:
        return None
    if np.std(per_seed, ddof=1) == 0:  # identical seeds: t is infinite either way
        return 0.0 if per_seed[0] > 0 else 1.0
    return float(stats.ttest_1samp(per_seed, 0.0, alternative="greater").pvalue)


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment: each p-value as the family-wise error rate it carries among
    all of ``p_values`` (the smallest is multiplied by their count, the next by one less, ...).
    Written here because it is five lines; statsmodels' ``multipletests`` computes the same."""
    adjusted, running = [0.0] * len(p_values), 0.0
    for rank, index in enumerate(np.argsort(p_values, kind="stable")):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def correct_for_many(shares: list[Share]) -> None:
    """Holm's correction over the shares of the methods tried on one task (those with seeds)."""
    tested = [share for share in shares if share.p_above is not None]
    for share, adjusted in zip(tested, holm([share.p_above for share in tested]), strict=True):
        share.p_holm, share.family = adjusted, len(tested)
