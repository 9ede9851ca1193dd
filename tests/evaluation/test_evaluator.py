"""The Evaluator counts exactly the episodes asked for, with exact statistics."""

from types import SimpleNamespace

import numpy as np
import pytest

import duo_ai
from duo_ai.coordination import CoordEnv
from duo_ai.envs.toy import ChainEnv
from duo_ai.evaluation import Evaluator, format_summary, mean_std_ci
from duo_ai.policies.simple import AlwaysPolicy, RandomPolicy
from tests.conftest import coord_config, scripted


def evaluation(num_episodes=7, max_num_steps=1000, temperature=1.0):
    return SimpleNamespace(num_episodes=num_episodes, max_num_steps=max_num_steps, temperature=temperature)


def always(env, agent):
    return AlwaysPolicy(SimpleNamespace(name="always", agent=agent), env)


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


class ExpertOnCopyZero(AlwaysPolicy):
    """Asks the expert on copy 0 only, wherever copy 0's row is; counts its batched calls."""

    copy_aware = True

    def __init__(self, env):
        super().__init__(SimpleNamespace(agent="novice"), env)
        self.calls = 0

    def act(self, obs, temperature=1.0, copies=None):
        self.calls += 1
        return (copies == 0).astype(np.int64)


def test_copies_that_finish_first_take_the_next_episodes(chain):
    """Copy 0 (expert) finishes in 5 steps, copies 1 and 2 (novice, wrong on the shifted chain) are
    cut by the time limit at 8. Episodes go out in start order: copy 0 plays episodes 1, 4, 7, 8
    (ending at step 20), copies 1 and 2 two each (ending at 16), so the last batched step is step
    20; fixed quotas of 3, 3, 2 would have kept copy 1 playing to step 24."""
    env = CoordEnv(coord_config(), chain, scripted(chain, 0), scripted(chain, 1))
    env.set_costs(0.0)
    policy = ExpertOnCopyZero(env)
    summary = Evaluator(evaluation(8), env).evaluate(policy)
    assert summary["num_episodes"] == 8
    assert summary["steps"] == 4 * 5 + 4 * 8
    assert summary["reward_mean"] == pytest.approx(4 * 5 / 8)
    assert policy.calls == 20


class CoinFlipEpisodes(ChainEnv):
    """Each episode is a fair coin flipped when it starts, by its copy's own generator: heads lasts
    one step and pays 1, tails lasts ``long`` steps and pays 0. The exact mean reward is 1/2, and
    short episodes finish far more often: counting episodes as they finish would overweight heads."""

    def __init__(self, num_envs: int, long: int, seed: int):
        super().__init__(num_envs)
        self.long = long
        self.generators = [np.random.default_rng([seed, copy]) for copy in range(num_envs)]
        self.heads = np.zeros(num_envs, bool)

    def reset_copies(self, copies):
        self.heads[copies] = [self.generators[copy].random() < 0.5 for copy in copies]
        return super().reset_copies(copies)

    def step_copies(self, actions, copies):
        self.elapsed[copies] += 1
        ended = self.elapsed[copies] >= np.where(self.heads[copies], 1, self.long)
        reward = (self.heads[copies] & ended).astype(np.float32)
        return self._obs()[copies], reward, ended, np.zeros(len(copies), bool), {}


def test_start_order_is_unbiased_where_short_episodes_finish_first():
    means = [
        Evaluator(evaluation(12), CoinFlipEpisodes(8, long=10, seed=seed)).evaluate(scripted(ChainEnv(8), 0))[
            "reward_mean"
        ]
        for seed in range(300)
    ]  # 3,600 episodes: the standard error of their mean is 0.0083
    assert np.mean(means) == pytest.approx(0.5, abs=0.03)


class CountingChain(ChainEnv):
    """The shifted chain, counting the copy-steps it simulates and the resets of chosen copies."""

    def __init__(self):
        super().__init__(num_envs=3, length=5, num_actions=3, time_limit=8, shift=1)
        self.copy_steps, self.copy_resets = 0, 0

    def step_copies(self, actions, copies):
        self.copy_steps += len(copies)
        return super().step_copies(actions, copies)

    def reset_copies(self, copies):
        self.copy_resets += len(copies)
        return super().reset_copies(copies)


def test_cut_episodes_restart_at_once_so_every_step_is_counted():
    chain = CountingChain()
    summary = Evaluator(evaluation(6, max_num_steps=3), chain).evaluate(scripted(chain, 0))
    assert (summary["num_episodes"], summary["num_cut"], summary["steps"]) == (6, 6, 18)
    assert chain.copy_steps == 18
    assert chain.copy_resets == 3 + 3  # the first reset of every copy, then one restart each


def test_copies_without_an_episode_left_are_neither_stepped_nor_forwarded():
    chain = CountingChain()
    env = CoordEnv(coord_config(), chain, scripted(chain, 0), scripted(chain, 1))
    env.set_costs(0.5)
    summary = Evaluator(evaluation(4), env).evaluate(always(env, "expert"))  # copy 0 plays two
    assert (summary["num_episodes"], summary["steps"]) == (4, 20)
    assert chain.copy_steps == 20
    assert env.novice.batch_sizes == [3] * 6 + [1] * 6  # reset, 5 steps; restart of copy 0, 5 steps
    assert env.expert.batch_sizes == [3] * 5 + [1] * 5


def test_gymnasium_envs_are_evaluated_through_the_fallback():
    config = duo_ai.load_config(None, ["env.name=gym", "env.task=CartPole-v1", "env.num_envs=3"])
    env = duo_ai.make_env(config.env, "test", 0)
    summary = Evaluator(evaluation(5, max_num_steps=4), env).evaluate(
        RandomPolicy(SimpleNamespace(prob=0.5), env)
    )
    assert (summary["num_episodes"], summary["num_cut"], summary["steps"]) == (5, 5, 20)
    assert summary["reward_mean"] == 4.0  # CartPole pays 1 per step, and no episode falls in 4 steps


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


def test_an_agents_block_leaves_out_what_only_coordination_has():
    from duo_ai.evaluation.stats import format_summary

    summary = {"steps": 10, "episode_length_mean": 5.0, "episode_length_min": 4.0, "episode_length_max": 6.0,
               "reward_mean": 1.0, "reward_ci": 0.1, "base_reward_mean": 1.0, "base_reward_ci": 0.1,
               "action_1_fraction": 0.3}  # fmt: skip
    assert "Base Reward" not in format_summary(summary, coordination=False)
    assert "Action 1 fraction: 0.30" in format_summary(summary)  # the tutorial's block, for coordinators


def test_each_group_of_copies_plays_its_own_episodes_with_its_own_costs():
    chain = ChainEnv(num_envs=6, length=5, num_actions=3, time_limit=8, shift=1)
    env = CoordEnv(coord_config(), chain, scripted(chain, 0), scripted(chain, 1))
    env.set_costs(0.5, np.repeat([0.0, 0.4, 2.0], 2))  # three runs of two copies each
    first, second, third = Evaluator(evaluation(5), env).evaluate_groups(always(env, "expert"), 3)
    for summary, alpha in ((first, 0.0), (second, 0.4), (third, 2.0)):
        assert (summary["num_episodes"], summary["steps"]) == (5, 25)
        assert summary["reward_mean"] == pytest.approx(5 * (1 - alpha * 0.5), abs=1e-12)
    with pytest.raises(ValueError, match="do not split into 4 equal groups"):
        Evaluator(evaluation(5), env).evaluate_groups(always(env, "expert"), 4)
