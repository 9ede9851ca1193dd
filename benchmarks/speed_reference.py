"""The reference implementation (duo-ai 1.0.1) on one case of ``speed.py``; runs in its own venv.

    <reference-venv>/bin/python benchmarks/speed_reference.py '<case as JSON>'

Prints one JSON line: training and evaluation steps/s. The reference speaks the old Gym API
(``reset() -> obs``, ``step -> obs, reward, done, infos``, same-step autoreset), so envpool's envs
are adapted to it here, for the reference only. It ships IMPALA models only: the MiniGrid case
registers a model with the same layers as duo's ``minigrid_ppo`` / ``minigrid_coord_ppo``.
This file must not import duo (both packages are named ``duo_ai``).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import dataclass

import envpool
import gym
import numpy as np
import torch
from duo_ai.core.environment import CoordEnv, CoordinationConfig
from duo_ai.core.evaluator import Evaluator, EvaluatorConfig
from duo_ai.models.ppo import PPOModelOutput
from duo_ai.utils.global_variables import set_global_variable
from torch import nn

import duo_ai
from duo_ai.algorithms.ppo import PPOAlgorithm, PPOAlgorithmConfig
from duo_ai.models import registry as model_registry
from duo_ai.policies.ppo import PPOPolicy, PPOPolicyConfig


class OldGymVectorEnv:
    """envpool behind the old Gym vector API: done copies are reset within the same step."""

    def __init__(self, task_id: str, num_envs: int, seed: int, obs_key: str | None, scale: bool, **kwargs):
        self.pool = envpool.make_gymnasium(task_id, num_envs=num_envs, seed=seed, **kwargs)
        self.num_envs, self.obs_key, self.scale = num_envs, obs_key, scale
        space = self.pool.observation_space
        space = space[obs_key] if obs_key else space
        low, high, dtype = (0.0, 1.0, np.float32) if scale else (space.low, space.high, space.dtype)
        self.observation_space = gym.spaces.Box(low, high, space.shape, dtype)
        self.action_space = gym.spaces.Discrete(int(self.pool.action_space.n))

    def _obs(self, obs):
        obs = obs[self.obs_key] if self.obs_key else obs
        return np.multiply(obs, 1.0 / 255.0, dtype=np.float32) if self.scale else obs

    def reset(self):
        return self._obs(self.pool.reset()[0])

    def step(self, actions):
        obs, reward, terminated, truncated, _ = self.pool.step(np.asarray(actions, dtype=np.int32))
        done = terminated | truncated
        obs = self._obs(obs)
        if done.any():
            ids = np.flatnonzero(done).astype(np.int32)
            obs[ids] = self._obs(self.pool.reset(ids)[0])
        return obs, reward.astype(np.float64), done, [{} for _ in range(self.num_envs)]

    def close(self):
        self.pool.close()


class GridTrunk(nn.Module):
    """The same layers as duo's MiniGrid trunk (the reference has no MiniGrid model)."""

    def __init__(self, shape, hidden_dim: int = 64):
        super().__init__()
        self.convs = nn.Sequential(
            nn.Conv2d(shape[2], 16, 2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 2), nn.ReLU(),
            nn.Conv2d(32, 64, 2), nn.ReLU(),
        )  # fmt: skip
        flat = self.convs(torch.zeros(1, shape[2], shape[0], shape[1])).numel()
        self.fc = nn.Linear(flat, hidden_dim)
        self.output_dim = hidden_dim

    def forward(self, grid):
        grid = torch.as_tensor(grid)
        return torch.relu(self.fc(self.convs(grid.float().permute(0, 3, 1, 2)).flatten(1)))


@dataclass
class GridModelConfig:
    name: str


class GridPPOModel(nn.Module):
    config_cls = GridModelConfig

    def __init__(self, config, env):
        super().__init__()
        self.embedder = GridTrunk(env.observation_space.shape)
        self.hidden_dim, self.logit_dim = self.embedder.output_dim, env.action_space.n
        self.fc_policy = nn.Linear(self.hidden_dim, self.logit_dim)
        self.fc_value = nn.Linear(self.hidden_dim, 1)

    def forward(self, obs):
        hidden = self.embedder(obs)
        return PPOModelOutput(self.fc_policy(hidden), self.fc_value(hidden).reshape(-1), hidden)


class GridCoordPPOModel(nn.Module):
    """``obs_dist`` features, as duo's minigrid_coord_ppo with no head layers."""

    config_cls = GridModelConfig

    def __init__(self, config, env):
        super().__init__()
        self.embedder = GridTrunk(env.base_env.observation_space.shape)
        self.hidden_dim = self.embedder.output_dim + env.base_env.action_space.n
        self.fc_policy = nn.Linear(self.hidden_dim, 2)
        self.fc_value = nn.Linear(self.hidden_dim, 1)
        self.logit_dim = 2

    def forward(self, obs):
        logits = torch.as_tensor(obs["novice_logits"]).float()
        hidden = torch.cat([self.embedder(obs["base_obs"]), logits.softmax(dim=-1)], dim=-1)
        return PPOModelOutput(self.fc_policy(hidden), self.fc_value(hidden).reshape(-1), hidden)


model_registry["minigrid_ppo"] = GridPPOModel
model_registry["minigrid_coord_ppo"] = GridCoordPPOModel


def make_base_env(case: dict) -> OldGymVectorEnv:
    if case["suite"] == "procgen":
        return OldGymVectorEnv(case["task_id"], case["num_envs"], 0, None, True, num_levels=0, start_level=0)
    return OldGymVectorEnv(case["task_id"], case["num_envs"], 0, "image", False)


def main() -> None:
    case = json.loads(sys.argv[1])
    torch.manual_seed(0)
    np.random.seed(0)
    set_global_variable("device", torch.device("cpu"))
    set_global_variable("experiment_dir", tempfile.mkdtemp())
    set_global_variable("log_file", f"{tempfile.mkdtemp()}/train.log")
    import wandb

    wandb.init(mode="disabled")

    base_env = make_base_env(case)
    agent_model = "impala_ppo" if case["suite"] == "procgen" else "minigrid_ppo"
    novice = PPOPolicy(PPOPolicyConfig(model={"name": agent_model}), base_env)
    expert = PPOPolicy(PPOPolicyConfig(model={"name": agent_model}), base_env)
    env = CoordEnv(CoordinationConfig(), base_env, novice, expert)
    env.set_costs(0.1)
    coord_model = {"name": case["coord_model"]}
    if case["coord_model"] == "impala_coord_ppo":
        coord_model["feature_type"] = case["feature_type"]
    policy = PPOPolicy(PPOPolicyConfig(model=coord_model), env)

    batch = case["num_envs"] * case["num_steps"]
    iterations = case["warmup_iterations"] + case["iterations"]
    algorithm = PPOAlgorithm(
        PPOAlgorithmConfig(
            num_steps=case["num_steps"],
            total_timesteps=iterations * batch,
            update_epochs=case["update_epochs"],
            num_minibatches=case["num_minibatches"],
            gamma=case["gamma"],
            log_freq=10**9,
        )
    )
    ends = []
    train_once = algorithm._train_once

    def timed_train_once() -> None:
        train_once()
        ends.append(time.perf_counter())

    algorithm._train_once = timed_train_once
    algorithm.train(policy, env, {})
    measured = ends[case["warmup_iterations"] - 1 :]
    train_sps = case["iterations"] * batch / (measured[-1] - measured[0])

    eval_env = CoordEnv(CoordinationConfig(), make_base_env(case), novice, expert)
    eval_env.set_costs(0.1)
    evaluator = Evaluator(EvaluatorConfig(num_episodes=case["eval_episodes"], max_num_steps=256), eval_env)
    started = time.perf_counter()
    summary = evaluator.evaluate(policy)
    eval_seconds = time.perf_counter() - started
    result = {
        "train_steps_per_second": train_sps,
        "eval_steps_per_second": summary["steps"] / eval_seconds,
        "eval_steps": summary["steps"],
        "expert_fraction": summary["action_1_frac"],
        "torch_threads": torch.get_num_threads(),
        "version": duo_ai.__name__ + " " + getattr(duo_ai, "__version__", "1.0.1"),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
