"""What every actor-critic model returns, and how observations become tensors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn


@dataclass
class ModelOutput:
    logits: torch.Tensor  # [batch, logit_dim]
    hidden: torch.Tensor  # [batch, hidden_dim]: the features the heads read
    value: torch.Tensor  # [batch]


class ActorCritic(nn.Module):
    """A feature trunk with a policy head and a value head."""

    hidden_dim: int
    logit_dim: int
    input_keys: tuple[str, ...] | None = None  # the keys of a dict observation it reads; None: all

    def __init__(self, hidden_dim: int, logit_dim: int):
        super().__init__()
        self.hidden_dim, self.logit_dim = hidden_dim, logit_dim
        self.policy_head = layer_init(nn.Linear(hidden_dim, logit_dim), gain=0.01)
        self.value_head = layer_init(nn.Linear(hidden_dim, 1), gain=1.0)

    def features(self, obs: Any) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, obs: Any) -> ModelOutput:
        hidden = self.features(obs)
        return ModelOutput(self.policy_head(hidden), hidden, self.value_head(hidden).squeeze(-1))


def layer_init(layer: nn.Module, gain: float = float(np.sqrt(2)), bias: float = 0.0) -> nn.Module:
    """Orthogonal weights, constant bias: the PPO implementation detail that matters."""
    nn.init.orthogonal_(layer.weight, gain)
    nn.init.constant_(layer.bias, bias)
    return layer


def to_tensor(obs: Any, device: torch.device) -> Any:
    """A batch (array or dict of arrays) as tensors on ``device``, without copying on CPU."""
    if isinstance(obs, dict):
        return {key: to_tensor(value, device) for key, value in obs.items()}
    if isinstance(obs, torch.Tensor):
        return obs.to(device, non_blocking=True)
    return torch.as_tensor(np.asarray(obs)).to(device, non_blocking=True)


def as_float(images: torch.Tensor) -> torch.Tensor:
    """Pixels in [0, 1]: uint8 frames are scaled, float inputs pass through."""
    return images.float().div_(255.0) if images.dtype == torch.uint8 else images.float()
