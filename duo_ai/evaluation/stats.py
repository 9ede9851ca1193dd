"""Summary statistics of evaluated episodes."""

from __future__ import annotations

import numpy as np

Z_95 = 1.96


def mean_std_ci(values: np.ndarray) -> tuple[float, float, float]:
    """Mean, sample standard deviation, and the 95% confidence half-width 1.96*std/sqrt(n)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return float("nan"), float("nan"), float("nan")
    std = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return float(values.mean()), std, float(Z_95 * std / np.sqrt(values.size))


def mean_t_interval(values: np.ndarray) -> tuple[float, float]:
    """Mean and 95% half-width from Student's t: over a few seeds the normal 1.96 would claim far
    more certainty than two or three numbers carry (t is 12.7 for two, 4.3 for three)."""
    from scipy import stats

    values = np.asarray(values, dtype=np.float64)
    if values.size < 2:
        return float(values.mean()) if values.size else float("nan"), float("nan")
    half_width = stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
    return float(values.mean()), float(half_width)


def format_summary(summary: dict[str, float], coordination: bool = True) -> str:
    """The tutorial's evaluation block; an agent's (``coordination=False``) leaves out the base
    reward and the expert's share, which only a coordinator's episodes have."""
    lines = [
        f"Steps: {summary['steps']}",
        "   Episode length: mean {episode_length_mean:.2f} min {episode_length_min:.2f} "
        "max {episode_length_max:.2f}".format(**summary),
        "   Reward: mean {reward_mean:.2f} ± {reward_ci:.2f}".format(**summary),
    ]
    if coordination:
        lines += [
            "   Base Reward: mean {base_reward_mean:.2f} ± {base_reward_ci:.2f}".format(**summary),
            "   Action 1 fraction: {action_1_fraction:.2f}".format(**summary),
        ]
    if summary.get("num_cut"):
        lines.append(f"   Episodes cut at max_num_steps: {summary['num_cut']}")
    return "\n".join(lines)
