"""Any Gymnasium environment id works as a base environment."""

import numpy as np
import pytest

import duo_ai
from duo_ai.errors import ConfigError


def test_cartpole_as_a_vector_env_with_next_step_autoreset():
    config = duo_ai.load_config(None, ["env.name=gym", "env.task=CartPole-v1", "env.num_envs=3"])
    env = duo_ai.make_env(config.env, "train", 0)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (3, 4)
    ended = np.zeros(3, bool)
    for _ in range(200):
        obs, reward, terminated, truncated, _ = env.step(np.zeros(3, np.int64))  # always push left: falls
        ended |= terminated
        if ended.all():
            break
    assert ended.all()
    assert env.metadata["duo_env"]["task"] == "CartPole-v1"


def test_per_split_task_and_unknown_ids():
    config = duo_ai.load_config(None, ["env.name=gym", "env.test.task=Acrobot-v1", "env.num_envs=2"])
    assert duo_ai.make_env(config.env, "test", 0).metadata["duo_env"]["task"] == "Acrobot-v1"
    config = duo_ai.load_config(None, ["env.name=gym", "env.task=NoSuchEnv-v9"])
    with pytest.raises(ConfigError, match="unknown Gymnasium environment id 'NoSuchEnv-v9'"):
        duo_ai.make_env(config.env, "train", 0)
