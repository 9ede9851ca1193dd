"""Evaluation: exact episode counts, confidence intervals, the tutorial's log block."""

from duo_ai.evaluation.evaluator import Evaluator
from duo_ai.evaluation.stats import format_summary, mean_std_ci

__all__ = ["Evaluator", "format_summary", "mean_std_ci"]
