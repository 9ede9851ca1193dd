"""CoordEnv: the decision problem of the coordinator, as a Gymnasium vector env.

Each step the coordinator picks, per copy, NOVICE (0) or EXPERT (1); that agent's action is sent
to the base env. The reward is the base reward minus the expert-query cost and the switch cost
(both multiples of the base penalty set by ``set_costs``). The step after a copy's episode ends
is the base env's reset step: it is not a decision, so no agent acts, nothing is charged and
nothing is counted for it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from duo_ai.policies.base import AgentOutput, AgentPolicy, sample_actions

NOVICE, EXPERT = 0, 1
NO_AGENT = -1  # no previous decision in this episode


def take(obs: Any, mask: np.ndarray) -> Any:
    """The copies of a batched observation (array or dict of arrays) selected by ``mask``."""
    if isinstance(obs, dict):
        return {key: value[mask] for key, value in obs.items()}
    return obs[mask]


def feature_space(dim: int) -> spaces.Box:
    return spaces.Box(-np.inf, np.inf, (dim,), np.float32)


class CoordEnv(VectorEnv):
    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(self, config: Any, base_env: VectorEnv, novice: AgentPolicy, expert: AgentPolicy):
        self.config, self.base_env, self.novice, self.expert = config, base_env, novice, expert
        self.num_envs = base_env.num_envs
        self.open_novice = bool(config.open_novice)
        self.open_expert = bool(config.open_expert)
        self.temperature = float(config.temperature)
        self.single_action_space = spaces.Discrete(2)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        obs_spaces = {"base_obs": base_env.single_observation_space}
        for role, agent, is_open in (
            ("novice", novice, self.open_novice),
            ("expert", expert, self.open_expert),
        ):
            if is_open:
                obs_spaces[f"{role}_hidden"] = feature_space(agent.hidden_dim)
                obs_spaces[f"{role}_logits"] = feature_space(agent.logit_dim)
        self.single_observation_space = spaces.Dict(obs_spaces)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.metadata = {
            **self.metadata,
            "duo_env": {"coord": base_env.metadata.get("duo_env", {})},
        }
        self.expert_query_cost: float | None = None
        self.switch_cost: float | None = None
        self._prev_agent = np.full(self.num_envs, NO_AGENT)
        self._resetting = np.zeros(self.num_envs, bool)

    def set_costs(self, base_penalty: float) -> None:
        """Charge alpha*BP per expert step and beta*BP per switch, BP = ``base_penalty``."""
        if not np.isfinite(base_penalty) or base_penalty < 0:
            raise ValueError(f"base_penalty must be a finite number >= 0, got {base_penalty}")
        self.base_penalty = float(base_penalty)
        self.expert_query_cost = float(self.config.expert_query_cost_weight) * self.base_penalty
        self.switch_cost = float(self.config.switch_agent_cost_weight) * self.base_penalty

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        base_obs, info = self.base_env.reset(seed=seed, options=options)
        everyone = np.ones(self.num_envs, bool)
        self.novice.reset(everyone)
        self.expert.reset(everyone)
        self._prev_agent[:] = NO_AGENT
        self._resetting[:] = False
        return self._observe(base_obs), info

    @torch.inference_mode()
    def step(self, actions: np.ndarray):
        if self.expert_query_cost is None:
            raise RuntimeError("CoordEnv.step before set_costs(base_penalty): the costs are unset")
        actions = np.asarray(actions, dtype=np.int64).reshape(self.num_envs)
        decision = ~self._resetting
        base_actions = sample_actions(self._novice_out.logits, self.temperature).cpu().numpy()
        asks_expert = decision & (actions == EXPERT)
        if asks_expert.any():
            if self.open_expert:
                expert_logits = self._expert_out.logits[torch.from_numpy(asks_expert)]
            else:
                expert_logits = self.expert.forward_agent(take(self._base_obs, asks_expert)).logits
            base_actions[asks_expert] = sample_actions(expert_logits, self.temperature).cpu().numpy()

        base_obs, base_reward, terminated, truncated, info = self.base_env.step(base_actions)

        base_reward = np.asarray(base_reward, dtype=np.float64)
        switched = decision & (self._prev_agent != NO_AGENT) & (actions != self._prev_agent)
        cost = asks_expert * self.expert_query_cost + switched * self.switch_cost
        reward = np.where(decision, base_reward - cost, 0.0)

        ended = np.asarray(terminated) | np.asarray(truncated)
        self._prev_agent = np.where(decision & ~ended, actions, NO_AGENT)
        started = self._resetting  # copies whose first observation of a new episode is base_obs
        if started.any():
            self.novice.reset(started)
            self.expert.reset(started)
        self._resetting = ended

        info = dict(info)
        info["base_reward"] = np.where(decision, base_reward, 0.0)
        info["base_action"] = np.where(decision, base_actions, -1)
        return self._observe(base_obs), reward, terminated, truncated, info

    def _observe(self, base_obs: Any) -> dict[str, Any]:
        """Run the novice once on every copy (and the open expert) and build the observation."""
        self._base_obs = base_obs
        with torch.inference_mode():
            self._novice_out = self.novice.forward_agent(base_obs)
            if self.open_expert:
                self._expert_out = self.expert.forward_agent(base_obs)
        obs = {"base_obs": base_obs}
        if self.open_novice:
            obs.update(_features("novice", self._novice_out))
        if self.open_expert:
            obs.update(_features("expert", self._expert_out))
        return obs

    def close(self, **kwargs: Any) -> None:
        self.base_env.close(**kwargs)


def _features(role: str, out: AgentOutput) -> dict[str, np.ndarray]:
    return {
        f"{role}_hidden": out.hidden.float().cpu().numpy(),
        f"{role}_logits": out.logits.float().cpu().numpy(),
    }
