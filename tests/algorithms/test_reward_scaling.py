"""Reward scaling gives Gymnasium's NormalizeReward rewards, and a resumed run keeps its statistics."""

import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.wrappers.vector import NormalizeReward

from duo_ai.algorithms.reward_scaling import CLIP, RewardScaler
from duo_ai.checkpoint import read_checkpoint
from tests.algorithms.test_ppo import train_agent


class ScriptedEnv(VectorEnv):
    """Replays fixed rewards, terminations and truncations under next-step autoreset."""

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(self, rewards, terminated, truncated):
        self.num_envs = rewards.shape[1]
        self.single_observation_space = spaces.Box(0, 1, (1,))
        self.observation_space = spaces.Box(0, 1, (self.num_envs, 1))
        self.single_action_space = spaces.Discrete(2)
        self.script, self.t = (rewards, terminated, truncated), 0

    def reset(self, *, seed=None, options=None):
        return np.zeros((self.num_envs, 1), np.float32), {}

    def step(self, actions):
        rewards, terminated, truncated = (part[self.t] for part in self.script)
        self.t += 1
        return np.zeros((self.num_envs, 1), np.float32), rewards, terminated, truncated, {}


def test_scaled_rewards_are_gymnasiums_normalize_reward():
    rng = np.random.default_rng(0)
    steps, envs = 200, 5
    rewards = rng.choice([0.0, 0.0, 0.0, 1.0, 10.0], size=(steps, envs))
    terminated = rng.random((steps, envs)) < 0.05
    truncated = ~terminated & (rng.random((steps, envs)) < 0.03)
    wrapped = NormalizeReward(ScriptedEnv(rewards, terminated, truncated), gamma=0.99)
    wrapped.reset()
    scaler = RewardScaler(envs, gamma=0.99)
    for t in range(steps):
        expected = wrapped.step(np.zeros(envs, int))[1]
        scaled = scaler(rewards[t], terminated[t], truncated[t])
        np.testing.assert_allclose(scaled, np.clip(expected, -CLIP, CLIP), rtol=1e-6)
    assert scaler.returns.var == pytest.approx(wrapped.return_rms.var)


def test_a_rare_large_reward_is_clipped():
    scaler = RewardScaler(1, gamma=0.99)
    assert scaler(np.array([1e6]), np.array([True]), np.array([False]))[0] <= CLIP


def test_training_saves_the_statistics_and_a_run_saved_before_the_setting_resumes(tmp_path):
    folder = train_agent(tmp_path, "scaled", 512, "algorithm.normalize_reward=1", "algorithm.log_freq=1")
    state = read_checkpoint(folder / "last.ckpt")["training_state"]["reward_scaler"]
    # 8 copies x 64 steps, less the reset step after each 8-step episode: 7 per copy
    assert state["count"] == pytest.approx(8 * 64 - 8 * 7, abs=1e-3) and state["var"] > 0
    train_agent(tmp_path, "scaled", 1024, "algorithm.normalize_reward=1", "resume=1")
    resumed_state = read_checkpoint(folder / "last.ckpt")["training_state"]["reward_scaler"]
    assert resumed_state["count"] > state["count"]

    config = train_agent(tmp_path, "old", 512) / "config.yaml"
    saved_before_the_settings = config.read_text()
    for added in ("  normalize_reward: false\n", "  bootstrap_truncated: true\n"):
        saved_before_the_settings = saved_before_the_settings.replace(added, "")
    config.write_text(saved_before_the_settings)
    train_agent(tmp_path, "old", 1024, "resume=1")
