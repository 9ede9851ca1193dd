"""CoordEnv: the decision problem of the coordinator, as a Gymnasium vector env.

Each step the coordinator picks, per copy, NOVICE (0) or EXPERT (1); that agent's action is sent
to the base env. The reward is the base reward minus the expert-query cost and the switch cost
(both multiples of the base penalty set by ``set_costs``). The step after a copy's episode ends
is the base env's reset step: it is not a decision, so no agent acts, nothing is charged and
nothing is counted for it.

Like envpool, CoordEnv can also step or reset chosen copies only (``step_copies`` and
``reset_copies``, see ``duo_ai.envs.copies``): evaluation uses this so that finished copies cost
no network forward.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from duo_ai.config.schema import CoordinationConfig
from duo_ai.envs.copies import copies_mask, copy_batch, put, reset_copies, step_copies, take
from duo_ai.policies.base import EXPERT, NOVICE, AgentOutput, AgentPolicy, sample_actions

__all__ = ["CoordEnv", "novice_observations"]
NO_AGENT = -1  # no previous decision in this episode


def feature_space(dim: int) -> spaces.Box:
    return spaces.Box(-np.inf, np.inf, (dim,), np.float32)


class CoordEnv(VectorEnv):
    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        config: CoordinationConfig,
        base_env: VectorEnv,
        novice: AgentPolicy,
        expert: AgentPolicy,
        base_penalty: float | None = None,
    ):
        """``config`` is the ``coordination`` section (a ``DictConfig`` of ``CoordinationConfig``).
        A CoordEnv charges its costs once it knows the base penalty: give it here (or later with
        ``set_costs``, as the tutorial does)."""
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
        self.expert_query_cost: float | None = None  # NaN where copies are charged differently
        self.copy_query_costs: np.ndarray | None = None
        self.switch_cost: float | None = None
        if base_penalty is not None:
            self.set_costs(base_penalty)
        self._prev_agent = np.full(self.num_envs, NO_AGENT)
        self._resetting = np.zeros(self.num_envs, bool)
        # What a step needs of every copy's latest observation (set by _observe).
        self._base_obs: Any = None
        self._novice_logits = self._expert_logits = None
        self._state_handed_out = True  # the arrays above are also the caller's: copy before writing

    def set_costs(self, base_penalty: float, query_weights: float | np.ndarray | None = None) -> None:
        """Charge alpha*BP per expert step and beta*BP per switch, BP = ``base_penalty``.
        ``query_weights`` replaces the config's alpha: one number, or one per copy (runs of a
        group that differ in alpha share one env, each charged on its own copies)."""
        if not np.isfinite(base_penalty) or base_penalty < 0:
            raise ValueError(f"base_penalty must be a finite number >= 0, got {base_penalty}")
        alpha = self.config.expert_query_cost_weight if query_weights is None else query_weights
        alpha = np.broadcast_to(np.asarray(alpha, dtype=np.float64), (self.num_envs,))
        if not np.isfinite(alpha).all() or (alpha < 0).any():
            raise ValueError(f"query_weights must be finite numbers >= 0, got {query_weights}")
        self.base_penalty = float(base_penalty)
        self.copy_query_costs = alpha * self.base_penalty
        uniform = bool((alpha == alpha[0]).all())
        self.expert_query_cost = float(self.copy_query_costs[0]) if uniform else float("nan")
        self.switch_cost = float(self.config.switch_agent_cost_weight) * self.base_penalty

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        base_obs, info = self.base_env.reset(seed=seed, options=options)
        self._start_episodes(np.ones(self.num_envs, bool))
        return self._observe(base_obs), info

    def reset_copies(self, copies: np.ndarray):
        """Start a new episode on ``copies`` only; their observations."""
        base_obs, info = reset_copies(self.base_env, copies)
        self._start_episodes(copies_mask(copies, self.num_envs))
        return self._observe(base_obs, copies), info

    def step(self, actions: np.ndarray):
        return self._step(actions)

    def step_copies(self, actions: np.ndarray, copies: np.ndarray):
        """Step only ``copies`` (ascending indices); their rows of the results."""
        return self._step(actions, np.asarray(copies))

    @torch.inference_mode()
    def _step(self, actions: np.ndarray, copies: np.ndarray | None = None):
        """One decision of every copy (``copies`` None) or of the listed copies."""
        if self.expert_query_cost is None:
            raise RuntimeError("CoordEnv.step before set_costs(base_penalty): the costs are unset")
        rows = slice(None) if copies is None else copies
        actions = np.asarray(actions, dtype=np.int64).reshape(
            self.num_envs if copies is None else len(copies)
        )
        decision = ~self._resetting[rows]
        novice_logits = (
            self._novice_logits if copies is None else self._novice_logits[torch.from_numpy(copies)]
        )
        base_actions = sample_actions(novice_logits, self.temperature).cpu().numpy()
        asks_expert = decision & (actions == EXPERT)
        if asks_expert.any():
            asked = asks_expert if copies is None else copies[asks_expert]
            if self.open_expert:
                expert_logits = self._expert_logits[torch.from_numpy(asked)]
            else:
                expert_logits = self.expert.forward_agent(take(self._base_obs, asked)).logits
            base_actions[asks_expert] = sample_actions(expert_logits, self.temperature).cpu().numpy()

        if copies is None:
            base_obs, base_reward, terminated, truncated, info = self.base_env.step(base_actions)
        else:
            base_obs, base_reward, terminated, truncated, info = step_copies(
                self.base_env, base_actions, copies
            )

        base_reward = np.asarray(base_reward, dtype=np.float64)
        prev_agent = self._prev_agent[rows]
        switched = decision & (prev_agent != NO_AGENT) & (actions != prev_agent)
        cost = asks_expert * self.copy_query_costs[rows] + switched * self.switch_cost
        reward = np.where(decision, base_reward - cost, 0.0)

        ended = np.asarray(terminated) | np.asarray(truncated)
        self._prev_agent[rows] = np.where(decision & ~ended, actions, NO_AGENT)
        started = self._resetting[rows]  # copies whose first observation of a new episode is base_obs
        if started.any():
            restarted = started if copies is None else copies_mask(copies[started], self.num_envs)
            self.novice.reset(restarted)
            self.expert.reset(restarted)
        self._resetting[rows] = ended

        info = dict(info)
        info["base_reward"] = np.where(decision, base_reward, 0.0)
        info["base_action"] = np.where(decision, base_actions, -1)
        return self._observe(base_obs, copies), reward, terminated, truncated, info

    def _start_episodes(self, mask: np.ndarray) -> None:
        self.novice.reset(mask)
        self.expert.reset(mask)
        self._prev_agent[mask] = NO_AGENT
        self._resetting[mask] = False

    @torch.inference_mode()
    def _observe(self, base_obs: Any, copies: np.ndarray | None = None) -> dict[str, Any]:
        """Run the novice once on the copies observed (and the open expert); keep what a step
        needs of every copy, and build the observation."""
        novice_out = self.novice.forward_agent(base_obs)
        expert_out = self.expert.forward_agent(base_obs) if self.open_expert else None
        if copies is None:  # the arrays handed out are kept, not copied
            self._base_obs, self._novice_logits = base_obs, novice_out.logits
            self._expert_logits = expert_out.logits if expert_out is not None else None
            self._state_handed_out = True
        else:
            if self._state_handed_out:  # first partial update: own the state before writing rows
                self._base_obs = copy_batch(self._base_obs)
                self._novice_logits = self._novice_logits.clone()
                self._expert_logits = self._expert_logits.clone() if expert_out is not None else None
                self._state_handed_out = False
            put(self._base_obs, copies, base_obs)
            rows = torch.from_numpy(copies)
            self._novice_logits[rows] = novice_out.logits
            if expert_out is not None:
                self._expert_logits[rows] = expert_out.logits
        obs = {"base_obs": base_obs}
        if self.open_novice:
            obs.update(_features("novice", novice_out))
        if expert_out is not None:
            obs.update(_features("expert", expert_out))
        return obs

    def close(self, **kwargs: Any) -> None:
        self.base_env.close(**kwargs)


def _features(role: str, out: AgentOutput) -> dict[str, np.ndarray]:
    return {
        f"{role}_hidden": out.hidden.float().cpu().numpy(),
        f"{role}_logits": out.logits.float().cpu().numpy(),
    }


def novice_observations(env: CoordEnv, steps: int, temperatures: list[float]) -> list[dict]:
    """CoordEnv observations of the states the novice alone visits (each temperature in turn)."""
    observations = []
    original = env.temperature
    try:
        for temperature in temperatures:
            env.temperature = temperature
            obs, _ = env.reset()
            for _ in range(steps):
                observations.append(obs)
                obs, *_ = env.step(np.full(env.num_envs, NOVICE))
    finally:
        env.temperature = original
    return observations
