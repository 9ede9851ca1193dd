"""Evaluation: exact episode counts, confidence intervals, the tutorial's log block."""

from duo_ai.evaluation.evaluator import Evaluator, episode_quotas
from duo_ai.evaluation.stats import format_summary, mean_std_ci

__all__ = ["Evaluator", "episode_quotas", "format_summary", "mean_std_ci"]
