"""The base penalty: measured reward per action, stored per task and used by default."""

import json
from types import SimpleNamespace

import pytest

from duo_ai.envs.base import tag_identity
from duo_ai.envs.toy import ChainEnv
from duo_ai.errors import ConfigError
from duo_ai.protocol import costs
from tests.conftest import scripted

EVALUATION = SimpleNamespace(num_episodes=6, max_num_steps=100, temperature=1.0)
CALIBRATION = SimpleNamespace(num_episodes=costs.MIN_CALIBRATION_EPISODES, max_num_steps=100, temperature=1.0)


def test_reward_per_action_is_mean_reward_over_mean_length():
    env = ChainEnv(3, length=5, time_limit=8, shift=1)
    measured = costs.reward_per_action(scripted(env, 1), env, EVALUATION)
    assert measured == {
        "reward_per_action": 1.0,  # 5 reward in 5 steps
        "reward_mean": 5.0,
        "reward_ci": 0.0,
        "episode_length_mean": 5.0,
        "num_episodes": 6,
        "num_cut": 0,
    }
    novice = costs.reward_per_action(scripted(env, 0), env, EVALUATION)
    assert (novice["reward_per_action"], novice["episode_length_mean"]) == (0.0, 8.0)


def test_calibration_is_stored_per_task_and_read_back(tmp_path):
    path = tmp_path / "calibration.json"
    env = tag_identity(ChainEnv(3, shift=1), suite="toy", task="chain-shift1")
    assert costs.stored_base_penalty(env, path) is None
    costs.calibrate(scripted(env, 1), env, CALIBRATION, "scripted expert", path)
    data = json.loads(path.read_text())
    assert data["version"] == costs.CALIBRATION_VERSION
    assert data["tasks"]["toy/chain-shift1"]["num_episodes"] == costs.MIN_CALIBRATION_EPISODES
    assert costs.stored_base_penalty(env, path) == 1.0


def test_a_foreign_calibration_version_is_refused(tmp_path):
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps({"version": 99, "tasks": {}}))
    with pytest.raises(ConfigError, match="calibration format version 99"):
        costs.read_calibration(path)


def test_shipped_calibration_covers_the_demo_task():
    entry = costs.read_calibration()["tasks"]["minigrid/MiniGrid-DistShift2-v0"]
    assert entry["num_episodes"] >= 256
    assert entry["reward_per_action"] == pytest.approx(entry["reward_mean"] / entry["episode_length_mean"])


@pytest.mark.parametrize(
    ("evaluation", "problem"),
    [
        (SimpleNamespace(num_episodes=4, max_num_steps=100, temperature=1.0), "got 4 episodes, 0 cut"),
        (SimpleNamespace(num_episodes=32, max_num_steps=3, temperature=1.0), "got 32 episodes, 32 cut"),
    ],
)
def test_calibration_refuses_too_few_or_cut_episodes(tmp_path, evaluation, problem):
    path = tmp_path / "calibration.json"
    env = tag_identity(ChainEnv(3, shift=1), suite="toy", task="chain-shift1")
    with pytest.raises(ConfigError, match=problem):
        costs.calibrate(scripted(env, 1), env, evaluation, "scripted expert", path)
    assert not path.exists()
