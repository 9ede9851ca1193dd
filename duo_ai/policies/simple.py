"""Coordinators that need no learning: always one agent, or the expert at random."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from duo_ai import registry
from duo_ai.config import param
from duo_ai.policies.base import EXPERT, NOVICE, Observation, Policy, PolicyConfig, batch_size


@dataclass
class AlwaysConfig(PolicyConfig):
    agent: str = param("novice", "who always acts", choices=("novice", "expert"))


@registry.register_policy("always")
class AlwaysPolicy(Policy):
    config_class = AlwaysConfig
    learned = False

    @classmethod
    def report_label(cls, config: Any) -> str:
        return f"always {config.agent}"

    def act(self, obs: Observation, temperature: float = 1.0) -> np.ndarray:
        choice = EXPERT if self.config.agent == "expert" else NOVICE
        return np.full(batch_size(obs), choice, dtype=np.int64)


@dataclass
class RandomConfig(PolicyConfig):
    prob: float = param(0.5, "probability of asking the expert", min=0, max=1)


@registry.register_policy("random")
class RandomPolicy(Policy):
    config_class = RandomConfig
    learned = False  # policy.prob alone, or the probability a training run swept and saved

    def act(self, obs: Observation, temperature: float = 1.0) -> np.ndarray:
        return (torch.rand(batch_size(obs)) < self.config.prob).numpy().astype(np.int64)

    def get_params(self) -> dict[str, Any]:
        return {"prob": float(self.config.prob)}

    def set_params(self, params: dict[str, Any]) -> None:
        self.config.prob = float(params["prob"])
