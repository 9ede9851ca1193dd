"""The Evaluator counts exactly the episodes asked for, with exact statistics."""

from types import SimpleNamespace

import numpy as np
import pytest

from duo_ai.coordination import CoordEnv
from duo_ai.evaluation import Evaluator, episode_quotas, format_summary, mean_std_ci
from duo_ai.policies.simple import AlwaysPolicy
from tests.conftest import coord_config, scripted


def evaluation(num_episodes=7, max_num_steps=1000, temperature=1.0):
    return SimpleNamespace(num_episodes=num_episodes, max_num_steps=max_num_steps, temperature=temperature)


def always(env, agent):
    return AlwaysPolicy(SimpleNamespace(name="always", agent=agent), env)


def test_quotas_spread_episodes_over_copies():
    np.testing.assert_array_equal(episode_quotas(7, 3), [3, 2, 2])
    np.testing.assert_array_equal(episode_quotas(2, 4), [1, 1, 0, 0])


def test_exact_episode_count_and_costs_of_always_expert(chain):
    env = CoordEnv(coord_config(expert_query_cost_weight=0.4), chain, scripted(chain, 0), scripted(chain, 1))
    env.set_costs(0.5)
    summary = Evaluator(evaluation(7), env).evaluate(always(env, "expert"))
    assert summary["num_episodes"] == 7
    assert summary["steps"] == 35
    assert summary["episode_length_mean"] == 5.0
    assert summary["reward_mean"] == pytest.approx(5 * (1 - 0.4 * 0.5), abs=1e-12)
    assert summary["base_reward_mean"] == 5.0
    assert summary["reward_ci"] == 0.0
    assert summary["action_1_fraction"] == 1.0
    assert summary["num_cut"] == 0


def test_truncated_episodes_of_the_novice(chain):
    env = CoordEnv(coord_config(), chain, scripted(chain, 0), scripted(chain, 1))
    env.set_costs(0.5)
    summary = Evaluator(evaluation(4), env).evaluate(always(env, "novice"))
    assert (summary["num_episodes"], summary["steps"], summary["reward_mean"]) == (4, 32, 0.0)
    assert summary["action_1_fraction"] == 0.0


def test_agents_evaluate_on_base_envs_too(chain):
    summary = Evaluator(evaluation(5), chain).evaluate(scripted(chain, 1))
    assert (summary["num_episodes"], summary["steps"], summary["reward_mean"]) == (5, 25, 5.0)
    assert summary["base_reward_mean"] == summary["reward_mean"]


def test_episodes_longer_than_the_cap_are_cut_and_counted(chain):
    summary = Evaluator(evaluation(6, max_num_steps=3), chain).evaluate(scripted(chain, 1))
    assert summary["num_episodes"] == 6
    assert summary["num_cut"] == 6
    assert summary["episode_length_max"] == 3.0
    assert summary["reward_mean"] == 3.0


def test_mixed_lengths_keep_every_copy_to_its_quota(chain):
    """Copy 0 (expert) finishes in 5 steps, the others (novice) in 8: counts stay per copy."""

    class Mixed(AlwaysPolicy):
        def act(self, obs, temperature=1.0):
            return np.array([1, 0, 0])

    env = CoordEnv(coord_config(), chain, scripted(chain, 0), scripted(chain, 1))
    env.set_costs(0.0)
    summary = Evaluator(evaluation(6), env).evaluate(Mixed(SimpleNamespace(agent="novice"), env))
    assert summary["num_episodes"] == 6
    assert summary["steps"] == 2 * 5 + 4 * 8
    assert summary["reward_mean"] == pytest.approx(10 / 6)


def test_confidence_interval_is_196_std_over_sqrt_n():
    mean, std, ci = mean_std_ci(np.array([1.0, 2.0, 3.0, 4.0]))
    assert mean == 2.5
    assert std == pytest.approx(np.std([1, 2, 3, 4], ddof=1))
    assert ci == pytest.approx(1.96 * std / 2)


def test_log_block_matches_the_tutorial_layout():
    summary = dict(
        steps=16242,
        episode_length_mean=63.45,
        episode_length_min=18,
        episode_length_max=208,
        reward_mean=7.07,
        reward_ci=0.52,
        base_reward_mean=7.58,
        base_reward_ci=0.52,
        action_1_fraction=0.18,
        num_cut=0,
    )
    assert format_summary(summary).splitlines() == [
        "Steps: 16242",
        "   Episode length: mean 63.45 min 18.00 max 208.00",
        "   Reward: mean 7.07 ± 0.52",
        "   Base Reward: mean 7.58 ± 0.52",
        "   Action 1 fraction: 0.18",
    ]
