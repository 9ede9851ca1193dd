"""An actor-critic policy: the novice and expert agents, and the learned coordinator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from gymnasium.vector import VectorEnv

from duo_ai import registry
from duo_ai.config import component
from duo_ai.errors import CheckpointError
from duo_ai.models.base import ModelOutput, to_tensor
from duo_ai.policies.base import AgentOutput, AgentPolicy, Observation, PolicyConfig


@dataclass
class PPOPolicyConfig(PolicyConfig):
    model: Any = component("model", "impala_ppo", "the actor-critic network")


@registry.register_policy("ppo")
class PPOPolicy(AgentPolicy):
    config_class = PPOPolicyConfig

    @classmethod
    def report_label(cls, config: Any) -> str:
        return f"ppo {config.model.get('feature_type', '')}".strip()

    def __init__(self, config: PPOPolicyConfig, env: VectorEnv, device: str | torch.device = "cpu"):
        super().__init__(config, env, device)
        model_class = registry.lookup("model", config.model.name, key="policy.model.name")
        self.model = model_class(config.model, self.observation_space, self.action_space).to(self.device)
        self.hidden_dim, self.logit_dim = self.model.hidden_dim, self.model.logit_dim
        self.model.eval()

    def forward(self, obs: Observation) -> ModelOutput:
        return self.model(to_tensor(obs, self.device))

    def forward_agent(self, obs: Observation) -> AgentOutput:
        out = self.forward(obs)
        return AgentOutput(logits=out.logits, hidden=out.hidden)

    def get_params(self) -> dict[str, Any]:
        return {key: value.detach().cpu() for key, value in self.model.state_dict().items()}

    def set_params(self, params: dict[str, Any]) -> None:
        try:
            self.model.load_state_dict(params)
        except RuntimeError as error:
            detail = str(error).splitlines()[1].strip() if "\n" in str(error) else str(error)
            raise CheckpointError(
                f"weights do not fit policy.model '{self.config.model.name}': {detail}"
            ) from None

    def train(self) -> PPOPolicy:
        super().train()
        self.model.train()
        return self

    def eval(self) -> PPOPolicy:
        super().eval()
        self.model.eval()
        return self
