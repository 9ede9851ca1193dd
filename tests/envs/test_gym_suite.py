"""Any Gymnasium environment id works as a base environment."""

import numpy as np
import pytest

import duo_ai
from duo_ai.errors import ConfigError, EnvError


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


def test_same_step_autoreset_is_refused():
    import gymnasium as gym
    from gymnasium.vector import AutoresetMode

    from duo_ai.envs.base import check_runnable

    env = gym.make_vec("CartPole-v1", num_envs=2, vectorization_mode="sync",
                       vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP})  # fmt: skip
    with pytest.raises(EnvError, match="autoreset mode is AutoresetMode.SAME_STEP"):
        check_runnable(env, "my env")


def test_a_nan_reward_stops_with_the_env_and_step():
    import gymnasium as gym
    from gymnasium.wrappers import TransformReward

    from duo_ai.envs.gym_suite import FiniteValues

    env = gym.make_vec("CartPole-v1", num_envs=2, vectorization_mode="sync",
                       wrappers=[lambda e: TransformReward(e, lambda r: float("nan"))])  # fmt: skip
    env = FiniteValues(env, "CartPole-v1")
    env.reset(seed=0)
    with pytest.raises(EnvError, match="CartPole-v1 returned a non-finite reward at step 1"):
        env.step(np.zeros(2, np.int64))
