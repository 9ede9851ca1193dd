"""Feature extractors for the three kinds of base observation duo ships models for."""

from __future__ import annotations

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from duo_ai.errors import ConfigError
from duo_ai.models import grouped_layers
from duo_ai.models.base import as_float, layer_init


class ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv0 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv1(torch.relu(self.conv0(torch.relu(x))))

    def grouped(self, params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """``forward`` of N stacked members on ``grouped_layers.images``."""
        inner = grouped_layers.conv2d(torch.relu(x), grouped_layers.part(params, "conv0"), self.conv0)
        return x + grouped_layers.conv2d(torch.relu(inner), grouped_layers.part(params, "conv1"), self.conv1)


class ConvSequence(nn.Module):
    """IMPALA's stage: conv, max-pool to half size, two residual blocks."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.res0, self.res1 = ResidualBlock(out_channels), ResidualBlock(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.res1(self.res0(self.pool(self.conv(x))))

    def grouped(self, params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """``forward`` of N stacked members on ``grouped_layers.images``."""
        for name in ("conv", "pool", "res0", "res1"):
            x = grouped_layers.apply(getattr(self, name), grouped_layers.part(params, name), x)
        return x


class ImpalaTrunk(nn.Module):
    """IMPALA CNN (Espeholt et al. 2018) on channel-first images: [B, C, H, W] -> [B, hidden]."""

    def __init__(self, observation_space: spaces.Space, channels: list[int], hidden_dim: int):
        super().__init__()
        shape = require_shape(observation_space, 3, "an image [C, H, W]")
        stages, c = [], shape[0]
        for out in channels:
            stages.append(ConvSequence(c, out))
            c = out
        self.stages = nn.Sequential(*stages)
        with torch.no_grad():
            flat = self.stages(torch.zeros(1, *shape)).numel()
        self.fc = layer_init(nn.Linear(flat, hidden_dim))
        self.out_dim = hidden_dim

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = as_float(images).contiguous(memory_format=torch.channels_last)  # faster convs on CPU and GPU
        x = self.stages(x).flatten(1)
        return torch.relu(self.fc(torch.relu(x)))

    def grouped(self, params: dict[str, torch.Tensor], images: torch.Tensor) -> torch.Tensor:
        """``forward`` of N stacked members (``grouped_layers``): ``[N, B, C, H, W] -> [N, B, hidden]``."""
        x = grouped_layers.images(as_float(images).movedim(2, -1))
        x = grouped_layers.apply(self.stages, grouped_layers.part(params, "stages"), x)
        x = grouped_layers.member_rows(x, len(images))
        return torch.relu(grouped_layers.linear(torch.relu(x), grouped_layers.part(params, "fc")))


class GridTrunk(nn.Module):
    """Small CNN for MiniGrid's symbolic view [H, W, 3] (the rl-starter-files architecture)."""

    def __init__(self, observation_space: spaces.Space, hidden_dim: int):
        super().__init__()
        shape = require_shape(observation_space, 3, "a MiniGrid grid [H, W, 3]")
        self.convs = nn.Sequential(
            nn.Conv2d(shape[2], 16, 2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 2), nn.ReLU(),
            nn.Conv2d(32, 64, 2), nn.ReLU(),
        )  # fmt: skip
        with torch.no_grad():
            flat = self.convs(torch.zeros(1, shape[2], shape[0], shape[1])).numel()
        self.fc = layer_init(nn.Linear(flat, hidden_dim))
        self.out_dim = hidden_dim

    def forward(self, grid: torch.Tensor) -> torch.Tensor:
        x = grid.float().permute(0, 3, 1, 2)
        return torch.relu(self.fc(self.convs(x).flatten(1)))

    def grouped(self, params: dict[str, torch.Tensor], grids: torch.Tensor) -> torch.Tensor:
        """``forward`` of N stacked members (``grouped_layers``): ``[N, B, H, W, 3] -> [N, B, hidden]``."""
        x = grouped_layers.apply(
            self.convs, grouped_layers.part(params, "convs"), grouped_layers.images(grids)
        )
        x = grouped_layers.member_rows(x, len(grids))
        return torch.relu(grouped_layers.linear(x, grouped_layers.part(params, "fc")))


class MlpTrunk(nn.Module):
    """Tanh MLP on flat vectors."""

    def __init__(self, in_dim: int, hidden_sizes: list[int]):
        super().__init__()
        layers, size = [], in_dim
        for out in hidden_sizes:
            layers += [layer_init(nn.Linear(size, out)), nn.Tanh()]
            size = out
        self.net = nn.Sequential(*layers)
        self.out_dim = size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.float().flatten(1))

    def grouped(self, params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """``forward`` of N stacked members (``grouped_layers``): ``[N, B, ...] -> [N, B, out]``."""
        return grouped_layers.apply(self.net, grouped_layers.part(params, "net"), x.float().flatten(2))


def require_shape(space: spaces.Space, ndim: int, what: str) -> tuple[int, ...]:
    if not isinstance(space, spaces.Box) or len(space.shape) != ndim:
        raise ConfigError(f"policy.model: this model needs {what} observation, got {space}")
    return tuple(space.shape)


def flat_dim(space: spaces.Space) -> int:
    if not isinstance(space, spaces.Box):
        raise ConfigError(f"policy.model: this model needs a Box observation, got {space}")
    return int(np.prod(space.shape))
