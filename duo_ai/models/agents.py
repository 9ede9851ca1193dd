"""Actor-critic models for novice and expert agents, one per kind of base observation."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from gymnasium import spaces

from duo_ai import registry
from duo_ai.config import ComponentConfig, param
from duo_ai.errors import EnvError
from duo_ai.models.base import ActorCritic
from duo_ai.models.trunks import GridTrunk, ImpalaTrunk, MlpTrunk, flat_dim


def action_count(action_space: spaces.Space) -> int:
    if not isinstance(action_space, spaces.Discrete):
        raise EnvError(f"duo's agents need a Discrete action space, got {action_space}")
    return int(action_space.n)


class TrunkAgent(ActorCritic):
    """Features from one trunk, then the policy and value heads."""

    def __init__(self, trunk: torch.nn.Module, action_space: spaces.Space):
        super().__init__(trunk.out_dim, action_count(action_space))
        self.trunk = trunk

    def features(self, obs: torch.Tensor) -> torch.Tensor:
        return self.trunk(obs)


@dataclass
class ImpalaAgentConfig(ComponentConfig):
    channels: list[int] = param([16, 32, 32], "channels of the three IMPALA stages")
    hidden_dim: int = param(256, "size of the feature vector", min=1)


@registry.register_model("impala_ppo")
class ImpalaAgent(TrunkAgent):
    """IMPALA CNN agent for Procgen-style images."""

    config_class = ImpalaAgentConfig

    def __init__(self, config: ImpalaAgentConfig, observation_space, action_space):
        super().__init__(
            ImpalaTrunk(observation_space, list(config.channels), config.hidden_dim), action_space
        )


@dataclass
class GridAgentConfig(ComponentConfig):
    hidden_dim: int = param(64, "size of the feature vector", min=1)


@registry.register_model("minigrid_ppo")
class GridAgent(TrunkAgent):
    """Small CNN agent for MiniGrid's 7x7x3 symbolic view."""

    config_class = GridAgentConfig

    def __init__(self, config: GridAgentConfig, observation_space, action_space):
        super().__init__(GridTrunk(observation_space, config.hidden_dim), action_space)


@dataclass
class MlpAgentConfig(ComponentConfig):
    hidden_sizes: list[int] = param([64, 64], "sizes of the hidden layers")


@registry.register_model("mlp_ppo")
class MlpAgent(TrunkAgent):
    """MLP agent for flat vector observations."""

    config_class = MlpAgentConfig

    def __init__(self, config: MlpAgentConfig, observation_space, action_space):
        super().__init__(MlpTrunk(flat_dim(observation_space), list(config.hidden_sizes)), action_space)
