"""The share of the available gain: the headline number of a coordination method.

At a cost weight α, the *available gain* is what the best coordinator (the exact optimum, or a
skyline run where no optimum can be computed) earns above the better of always-novice and
always-expert. A method's share of the gain is its area over the α grid above that best-fixed
envelope, divided by the best coordinator's area above it: 0% is no better than picking the
right fixed agent for each α, 100% is the optimum, below 0% is worse than the fixed agents.

A share is defined only where the available gain is clear of noise: at least ``MIN_GAIN`` and
its 95% bootstrap interval over episodes above 0. A skyline whose gain lies within its own noise
would otherwise turn every method's small differences into shares of any size (-5000%, +170%).

Whether a method beats the fixed agents at all is read over its seeds (a one-sided Student's t
test that its seeds' mean share is above 0), and a claim about the best of K methods tried on a
task is read after Holm's correction over those K: the best of ten methods clears p < 0.05 by
chance far more often than one method does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    seed_shares: dict[int, float] = field(default_factory=dict)  # each seed's own share, by seed


@dataclass
class AvailableGain:
    """What the best coordinator of a task earns above the better fixed agent over one α grid."""

    reference: str  # "optimum" (exact) or "skyline"
    method: str  # the reference's row
    best: float  # its area
    envelope: float  # the better fixed agent's area
    interval: tuple[float, float]  # 95% bootstrap interval over episodes of best - envelope

    @property
    def clear(self) -> bool:
        """Large enough to divide by: at least MIN_GAIN, its interval above 0."""
        return self.best - self.envelope >= MIN_GAIN and self.interval[0] > 0

    def why_no_share(self, task: str, alphas: list[float]) -> str:
        gain, (low, high) = self.best - self.envelope, self.interval
        return (
            f"{task} (α {', '.join(f'{a:g}' for a in alphas)}): no share of the gain is shown: the best "
            f"{self.reference} ({self.method}) earns {gain:+.3f} over the better fixed agent, 95% interval "
            f"over episodes [{low:+.3f}, {high:+.3f}], not clearly above 0 (or under {MIN_GAIN}): "
            "a share would divide by noise"
        )


def gain_interval(
    alphas: np.ndarray,
    reference: list[np.ndarray],
    novice: list[np.ndarray],
    expert: list[np.ndarray],
    rng: np.random.Generator,
    samples: int = 1000,
) -> tuple[float, float]:
    """95% bootstrap interval of the reference's area above the better fixed agent's: every
    row's episodes at every α resampled together, so the fixed agents' noise counts too."""

    def resampled(rewards: list[np.ndarray]) -> np.ndarray:
        return np.array([rng.choice(episodes, size=episodes.size).mean() for episodes in rewards])

    gains = [
        np.trapezoid(resampled(reference), alphas)
        - envelope_area(alphas, resampled(novice), resampled(expert))
        for _ in range(samples)
    ]
    low, high = np.percentile(gains, [2.5, 97.5])
    return float(low), float(high)


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
    seed_shares = {seed: share_of_gain(a, envelope, best) for seed, a in seed_areas.items()}
    per_seed = np.array(list(seed_shares.values()), dtype=float)
    mean, ci = mean_t_interval(per_seed) if len(per_seed) >= 2 else (None, None)
    return Share(
        point, mean, ci, len(per_seed), reference, p_above=p_above_zero(per_seed), seed_shares=seed_shares
    )


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
