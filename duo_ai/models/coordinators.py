"""Coordinator models: which features of CoordEnv's observation they read is ``feature_type``.

``obs`` is the base observation (through the same trunk an agent would use), ``hidden`` the
novice's feature vector, ``dist`` the novice's action distribution (softmax of its logits).
Combinations join names with ``_`` (e.g. ``obs_hidden_dist``). The trunk exists only when
``obs`` is a feature; the joined features feed an MLP head.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from gymnasium import spaces
from torch import nn

from duo_ai import registry
from duo_ai.config import ComponentConfig, param
from duo_ai.errors import ConfigError
from duo_ai.models import grouped_layers
from duo_ai.models.agents import action_count
from duo_ai.models.base import ActorCritic
from duo_ai.models.trunks import GridTrunk, ImpalaTrunk, MlpTrunk, flat_dim

FEATURE_TYPES = (
    "obs",
    "hidden",
    "dist",
    "hidden_obs",
    "obs_dist",
    "hidden_dist",
    "obs_hidden_dist",
)
OBS_KEYS = {"hidden": "novice_hidden", "dist": "novice_logits"}


class CoordinatorModel(ActorCritic):
    def __init__(self, config: Any, observation_space: spaces.Space, action_space: spaces.Space, make_trunk):
        if not isinstance(observation_space, spaces.Dict) or "base_obs" not in observation_space.spaces:
            raise ConfigError(
                "policy.model: a coordinator model needs CoordEnv observations; "
                "for an agent use impala_ppo, minigrid_ppo or mlp_ppo"
            )
        self.parts = config.feature_type.split("_")
        width = 0
        trunk = None
        if "obs" in self.parts:
            trunk = make_trunk(observation_space["base_obs"])
            width += trunk.out_dim
        for part in ("hidden", "dist"):
            if part in self.parts:
                key = OBS_KEYS[part]
                if key not in observation_space.spaces:
                    raise ConfigError(
                        f"policy.model.feature_type '{config.feature_type}' reads {key}, "
                        "which CoordEnv shows only with coordination.open_novice=true"
                    )
                width += flat_dim(observation_space[key])
        hidden_dim = int(config.head_sizes[-1]) if config.head_sizes else width
        super().__init__(hidden_dim, action_count(action_space))
        self.input_keys = tuple(
            ["base_obs"] * (trunk is not None)
            + [OBS_KEYS[part] for part in ("hidden", "dist") if part in self.parts]
        )
        self.trunk = trunk
        self.head = MlpTrunk(width, list(config.head_sizes)) if config.head_sizes else nn.Identity()

    def features(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.join(obs, self.trunk, self.head)

    def grouped(
        self, params: dict[str, torch.Tensor], obs: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``forward`` of N stacked members at once (``grouped_layers``; ``obs`` rows ``[N, B, ...]``):
        logits ``[N, B, A]`` and values ``[N, B]``."""

        def layer(name: str):
            return lambda x: grouped_layers.apply(getattr(self, name), grouped_layers.part(params, name), x)

        hidden = self.join(obs, layer("trunk"), layer("head"))
        logits = grouped_layers.linear(hidden, grouped_layers.part(params, "policy_head"))
        return logits, grouped_layers.linear(hidden, grouped_layers.part(params, "value_head")).squeeze(-1)

    def join(self, obs: dict[str, torch.Tensor], trunk, head) -> torch.Tensor:
        """The features read (``trunk`` on the base observation), joined, through ``head``."""
        joined = []
        if self.trunk is not None:
            joined.append(trunk(obs["base_obs"]))
        if "hidden" in self.parts:
            joined.append(obs["novice_hidden"].float())
        if "dist" in self.parts:
            joined.append(torch.softmax(obs["novice_logits"].float(), dim=-1))
        return head(torch.cat(joined, dim=-1))


@dataclass
class ImpalaCoordConfig(ComponentConfig):
    feature_type: str = param("obs", "features the coordinator reads", choices=FEATURE_TYPES)
    channels: list[int] = param([16, 32, 32], "channels of the IMPALA stages (with obs)")
    hidden_dim: int = param(256, "IMPALA feature size (with obs)", min=1)
    head_sizes: list[int] = param([256], "MLP layers after the joined features")


@registry.register_model("impala_coord_ppo")
class ImpalaCoordinator(CoordinatorModel):
    config_class = ImpalaCoordConfig

    def __init__(self, config: ImpalaCoordConfig, observation_space, action_space):
        super().__init__(
            config,
            observation_space,
            action_space,
            lambda space: ImpalaTrunk(space, list(config.channels), config.hidden_dim),
        )


@dataclass
class GridCoordConfig(ComponentConfig):
    feature_type: str = param("obs", "features the coordinator reads", choices=FEATURE_TYPES)
    hidden_dim: int = param(64, "grid CNN feature size (with obs)", min=1)
    head_sizes: list[int] = param([64], "MLP layers after the joined features")


@registry.register_model("minigrid_coord_ppo")
class GridCoordinator(CoordinatorModel):
    config_class = GridCoordConfig

    def __init__(self, config: GridCoordConfig, observation_space, action_space):
        super().__init__(
            config,
            observation_space,
            action_space,
            lambda space: GridTrunk(space, config.hidden_dim),
        )


@dataclass
class MlpCoordConfig(ComponentConfig):
    feature_type: str = param("obs", "features the coordinator reads", choices=FEATURE_TYPES)
    trunk_sizes: list[int] = param([64], "MLP layers on the base observation (with obs)")
    head_sizes: list[int] = param([64], "MLP layers after the joined features")


@registry.register_model("mlp_coord_ppo")
class MlpCoordinator(CoordinatorModel):
    config_class = MlpCoordConfig

    def __init__(self, config: MlpCoordConfig, observation_space, action_space):
        super().__init__(
            config,
            observation_space,
            action_space,
            lambda space: MlpTrunk(flat_dim(space), list(config.trunk_sizes)),
        )
