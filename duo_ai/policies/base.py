"""What every policy offers, and the extra an agent needs to serve as novice or expert."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from gymnasium.vector import VectorEnv

from duo_ai.config import ComponentConfig, param
from duo_ai.errors import ConfigError

Observation = Any  # a batch: an array, or a dict of arrays
NOVICE, EXPERT = 0, 1  # a coordinator's actions: who acts this step


@dataclass
class PolicyConfig(ComponentConfig):
    load_path: str | None = param(None, "checkpoint to load (evaluation) instead of a new policy")


class Policy(ABC):
    """Maps a batch of observations to a batch of actions."""

    config_class: type = PolicyConfig
    learned: bool = True  # False: its config alone defines it (evaluation needs no checkpoint)
    copy_aware: bool = False  # True: per-copy memory; ``act`` is also told which copies ``obs`` holds

    @classmethod
    def report_label(cls, config: Any) -> str:
        """The method's name in results tables, from its config (e.g. ``logit max_prob``)."""
        return str(config.name)

    def __init__(self, config: Any, env: VectorEnv, device: str | torch.device = "cpu"):
        self.config = config
        self.observation_space = env.single_observation_space
        self.action_space = env.single_action_space
        self.device = torch.device(device)
        self.training = False

    @abstractmethod
    def act(self, obs: Observation, temperature: float = 1.0) -> np.ndarray:
        """One action per copy in ``obs``; temperature 0 means greedy. ``obs`` may hold only some of
        the env's copies: evaluation passes the copies that still have episodes to play (a
        ``copy_aware`` policy's ``act`` takes ``copies=``, their indices, to find its memory)."""

    def reset(self, done_mask: np.ndarray) -> None:
        """Forget per-copy memory where ``done_mask`` is set (stateless policies have none)."""
        return None

    def get_params(self) -> dict[str, Any]:
        """Everything learned, as tensors and plain data (what a checkpoint stores)."""
        return {}

    def set_params(self, params: dict[str, Any]) -> None:
        if params:
            raise ValueError(f"{type(self).__name__} has no parameters, got {sorted(params)}")

    def train(self) -> Policy:
        self.training = True
        return self

    def eval(self) -> Policy:
        self.training = False
        return self


def act_on_copies(policy: Policy, obs: Observation, copies: np.ndarray, temperature: float) -> np.ndarray:
    """``policy``'s actions for the rows of ``obs``, which are the env's ``copies``."""
    if policy.copy_aware:
        return np.asarray(policy.act(obs, temperature=temperature, copies=copies))
    return np.asarray(policy.act(obs, temperature=temperature))


@dataclass
class ThresholdConfig(PolicyConfig):
    threshold: float = param(
        0.0, "ask the expert when confidence is below this (-inf: never, inf: always)", infinite=True
    )
    recalibrate: bool = param(
        True,
        "at test, carry the chosen percentile (not the raw threshold) to the test novice: refit on its "
        "training-split rollouts when it differs from the simulated novice",
    )


class ThresholdPolicy(Policy):
    """Asks the expert (action 1) where the confidence ``score(obs)`` is below ``config.threshold``.

    A threshold chosen as the p-th percentile of one novice's scores means little for another
    novice (a better-trained one is more confident everywhere), so the policy remembers p and
    ``carry_percentile`` re-derives the threshold from the deployed novice's scores.
    """

    config_class: type = ThresholdConfig

    @classmethod
    def report_label(cls, config: Any) -> str:
        return cls.score_label(config) + ("" if config.recalibrate else " (raw threshold)")

    @classmethod
    def score_label(cls, config: Any) -> str:
        """What the confidence score is, in results tables."""
        return str(config.name)

    def __init__(self, config: Any, env: VectorEnv, device: str | torch.device = "cpu"):
        super().__init__(config, env, device)
        for key in self.required_keys():
            if key not in getattr(self.observation_space, "spaces", {}):
                raise ConfigError(f"policy.name={config.name} reads {key}: set coordination.open_novice=true")
        self.percentile: float | None = None  # None: the threshold is not a percentile (+inf, or set by hand)
        self.rollout: dict[str, Any] = {}  # how the novice states it was fitted on were collected

    def required_keys(self) -> list[str]:
        return ["novice_logits"]

    @abstractmethod
    def score(self, obs: Observation) -> np.ndarray:
        """Confidence per copy: higher means the novice can be trusted more."""

    def fit(self, observations: list[Observation]) -> None:
        """Learn whatever ``score`` needs from novice states (nothing, for logits)."""

    def carry_percentile(self, observations: list[Observation]) -> float:
        """Refit on these states of the deployed novice; the threshold becomes the same percentile
        of its scores. Returns the new threshold."""
        if self.percentile is not None:
            self.fit(observations)
            scores = np.concatenate([self.score(obs) for obs in observations])
            self.config.threshold = float(np.percentile(scores, self.percentile))
        return float(self.config.threshold)

    def act(self, obs: Observation, temperature: float = 1.0) -> np.ndarray:
        return (self.score(obs) < self.config.threshold).astype(np.int64)

    def get_params(self) -> dict[str, Any]:
        return {
            "threshold": float(self.config.threshold),
            "percentile": self.percentile,
            "rollout": self.rollout,
        }

    def set_params(self, params: dict[str, Any]) -> None:
        self.config.threshold = float(params["threshold"])
        self.percentile = params.get("percentile")
        self.rollout = dict(params.get("rollout", self.rollout))


@dataclass
class AgentOutput:
    """One batched forward pass of an agent: what CoordEnv shows and what it samples from."""

    logits: torch.Tensor
    hidden: torch.Tensor


class AgentPolicy(Policy):
    """A policy that can act as novice or expert: it exposes its logits and features."""

    hidden_dim: int
    logit_dim: int

    @abstractmethod
    def forward_agent(self, obs: Observation) -> AgentOutput:
        """Logits and hidden features for a batch of base observations."""

    @torch.inference_mode()
    def act(self, obs: Observation, temperature: float = 1.0) -> np.ndarray:
        return sample_actions(self.forward_agent(obs).logits, temperature).cpu().numpy()


def action_distribution(logits: torch.Tensor) -> torch.distributions.Categorical:
    """The policy's distribution over actions. Argument checks are off: the logits come from our
    own networks, and on small batches the checks cost more than the sampling itself."""
    return torch.distributions.Categorical(logits=logits, validate_args=False)


def sample_actions(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Sample from softmax(logits / temperature); temperature 0 is argmax."""
    if temperature == 0:
        return logits.argmax(dim=-1)
    return action_distribution(logits / temperature).sample()


def batch_size(obs: Observation) -> int:
    if isinstance(obs, dict):
        return batch_size(next(iter(obs.values())))
    return len(obs)
