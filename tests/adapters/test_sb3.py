"""duo's CoordEnv under Stable-Baselines3: SB3's autoreset conventions, exact rewards, a learner
that trains on it, and duo's Evaluator measuring the result."""

import numpy as np
import pytest

import duo_ai
from duo_ai.policies.base import EXPERT, NOVICE
from tests.conftest import coord_args

pytest.importorskip("stable_baselines3")
from stable_baselines3 import PPO  # noqa: E402

from duo_ai.adapters.sb3 import SB3CoordEnv, SB3Coordinator  # noqa: E402


@pytest.fixture
def test_split(tmp_path, agent_checkpoints):
    """The toy pair's test split: the novice never moves, the expert always does (5 cells, 8 steps)."""
    config = duo_ai.load_config(
        None, coord_args(tmp_path, agent_checkpoints, "coordination.open_novice=true")
    )
    envs = duo_ai.make_coord_envs(config, duo_ai.make_base_envs(config, ("test",)))
    return config, envs["test"]


def play(env, action, steps):
    env.reset()
    rows = []
    for _ in range(steps):
        env.step_async(np.full(env.num_envs, action))
        rows.append(env.step_wait())
    return rows


def test_an_episode_ends_and_restarts_in_the_same_step_as_sb3_expects(test_split):
    _, coord_env = test_split
    env = SB3CoordEnv(coord_env)
    rows = play(env, EXPERT, 10)
    rewards = np.array([reward for _, reward, _, _ in rows])
    dones = np.array([done for _, _, done, _ in rows])
    # every step is a decision: 5 expert steps of reward 1 - 0.4 * BP (BP = 1), then a new episode
    assert rewards == pytest.approx(np.full((10, env.num_envs), 0.6))
    assert dones[:, 0].tolist() == [False] * 4 + [True] + [False] * 4 + [True]
    obs, _, _, infos = rows[4]
    assert obs["base_obs"][0].tolist() == [1, 0, 0, 0, 0, 0]  # the next episode's first cell
    assert infos[0]["terminal_observation"]["base_obs"].tolist() == [0, 0, 0, 0, 0, 1]  # the goal
    assert infos[0]["TimeLimit.truncated"] is False and infos[0]["base_reward"] == 1.0


def test_a_cut_episode_is_marked_truncated_so_sb3_bootstraps_it(test_split):
    _, coord_env = test_split
    rows = play(SB3CoordEnv(coord_env), NOVICE, 8)
    assert [done[0] for _, _, done, _ in rows] == [False] * 7 + [True]
    assert rows[-1][3][0]["TimeLimit.truncated"] is True
    assert sum(reward[0] for _, reward, _, _ in rows) == 0.0  # the novice never moves on test


def test_sb3_ppo_learns_to_ask_and_duo_evaluates_it(test_split):
    config, coord_env = test_split
    env = SB3CoordEnv(coord_env)
    assert env.observation_space["base_obs"].dtype == np.float32
    model = PPO("MultiInputPolicy", env, n_steps=64, batch_size=64, learning_rate=3e-3, seed=0, device="cpu")
    model.learn(1536)
    summary = duo_ai.Evaluator(config.evaluation, coord_env).evaluate(
        SB3Coordinator(model, deterministic=True)
    )
    assert summary["num_episodes"] == config.evaluation.num_episodes
    assert summary["reward_mean"] == pytest.approx(5 * 0.6)  # always asks: the best here
    assert summary["action_1_fraction"] == 1.0


def test_only_a_coord_env_with_costs_is_wrapped(test_split):
    with pytest.raises(TypeError, match="wraps a duo CoordEnv"):
        SB3CoordEnv(test_split[1].base_env)
