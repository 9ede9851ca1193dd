"""Stepping and resetting chosen copies: natively (envpool, the chain) and by fallback (Gymnasium)."""

import numpy as np
import pytest
from gymnasium.vector import VectorEnv

import duo_ai
from duo_ai.envs.copies import reset_copies, step_copies
from duo_ai.envs.envpool_env import EnvpoolVectorEnv
from duo_ai.envs.toy import ChainEnv


def test_envpool_steps_and_resets_only_the_copies_asked():
    """Action 0 turns left: no episode ends, so elapsed steps count the steps of each copy."""
    env = EnvpoolVectorEnv("MiniGrid-DistShift2-v0", 4, seed=0, obs_key="image")
    env.reset()
    obs, reward, terminated, truncated, info = step_copies(env, np.array([0, 0]), np.array([1, 3]))
    assert obs.shape == (2, *env.single_observation_space.shape)
    assert reward.shape == terminated.shape == truncated.shape == (2,)
    np.testing.assert_array_equal(info["elapsed_step"], [1, 1])
    *_, info = env.step(np.zeros(4))
    np.testing.assert_array_equal(info["elapsed_step"], [1, 2, 1, 2])
    obs, info = reset_copies(env, np.array([3]))
    assert obs.shape == (1, *env.single_observation_space.shape)
    np.testing.assert_array_equal(info["elapsed_step"], [0])
    *_, info = env.step(np.zeros(4))
    np.testing.assert_array_equal(info["elapsed_step"], [2, 3, 2, 1])


def test_chain_moves_only_the_copies_stepped():
    env = ChainEnv(num_envs=3, shift=0)
    env.reset()
    obs, reward, *_ = step_copies(env, np.array([0, 0]), np.array([0, 2]))  # action 0 is right at cell 0
    np.testing.assert_array_equal(reward, [1.0, 1.0])
    np.testing.assert_array_equal(obs.argmax(axis=1), [1, 1])
    np.testing.assert_array_equal(env.position, [1, 0, 1])
    obs, _ = reset_copies(env, np.array([2]))
    np.testing.assert_array_equal(env.position, [1, 0, 0])
    np.testing.assert_array_equal(obs.argmax(axis=1), [0])


def test_gymnasium_vector_envs_fall_back_to_reset_masks_and_full_steps():
    config = duo_ai.load_config(None, ["env.name=gym", "env.task=CartPole-v1", "env.num_envs=3"])
    env = duo_ai.make_env(config.env, "train", 0)
    start, _ = env.reset(seed=0)
    obs, reward, terminated, truncated, _ = step_copies(env, np.array([1]), np.array([1]))
    assert obs.shape == (1, 4) and reward.shape == terminated.shape == truncated.shape == (1,)
    assert obs[0, 1] > start[1, 1]  # pushed right: the cart speeds up to the right
    obs, _ = reset_copies(env, np.array([1]))
    assert obs.shape == (1, 4)
    assert np.abs(obs).max() <= 0.05  # CartPole starts within 0.05 of upright and still


def test_other_vector_envs_must_offer_the_methods():
    class OwnVectorEnv(VectorEnv):  # neither Gymnasium's vector env nor one with the two methods
        num_envs = 2

    with pytest.raises(TypeError, match="OwnVectorEnv cannot reset single copies: give it step_copies"):
        reset_copies(OwnVectorEnv(), np.array([0]))
