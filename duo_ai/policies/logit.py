"""Ask the expert when the novice is unsure, judged from its logits alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from duo_ai import registry
from duo_ai.config import param
from duo_ai.errors import ConfigError
from duo_ai.policies.base import Observation, ThresholdConfig, ThresholdPolicy

METRICS = ("max_logit", "max_prob", "margin", "entropy", "energy")


def confidence(logits: np.ndarray, metric: str, temperature: float = 1.0) -> np.ndarray:
    """The novice's confidence per copy; higher means surer. ``entropy`` is negative entropy."""
    scaled = torch.as_tensor(logits, dtype=torch.float64) / temperature
    if metric == "max_logit":
        score = scaled.max(dim=-1).values
    elif metric == "energy":
        score = torch.logsumexp(scaled, dim=-1)
    else:
        probs = torch.softmax(scaled, dim=-1)
        if metric == "max_prob":
            score = probs.max(dim=-1).values
        elif metric == "margin":
            top2 = probs.topk(2, dim=-1).values
            score = top2[..., 0] - top2[..., 1]
        elif metric == "entropy":
            score = (probs * torch.log_softmax(scaled, dim=-1)).sum(dim=-1)
        else:
            raise ConfigError(f"policy.metric: unknown '{metric}'; valid choices: {', '.join(METRICS)}")
    return score.numpy()


@dataclass
class LogitConfig(ThresholdConfig):
    metric: str = param("max_prob", "confidence score of the novice's logits", choices=METRICS)
    score_temperature: float = param(1.0, "temperature applied to the logits before scoring", above=0)


@registry.register_policy("logit")
class LogitPolicy(ThresholdPolicy):
    config_class = LogitConfig

    @classmethod
    def score_label(cls, config: Any) -> str:
        return f"{config.name} {config.metric}"

    def score(self, obs: Observation) -> np.ndarray:
        return confidence(obs["novice_logits"], self.config.metric, self.config.score_temperature)
