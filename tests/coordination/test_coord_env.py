"""CoordEnv semantics (SPEC §2), checked to the last digit on the scripted chain."""

import numpy as np
import pytest

from duo_ai.coordination import EXPERT, NOVICE, CoordEnv
from tests.conftest import coord_config, scripted

BP = 0.5


def make(chain, **overrides):
    env = CoordEnv(coord_config(**overrides), chain, scripted(chain, 0), scripted(chain, 1))
    env.set_costs(BP)
    return env


def test_expert_steps_cost_alpha_times_bp(chain):
    env = make(chain, expert_query_cost_weight=0.4)
    env.reset()
    obs, reward, terminated, truncated, info = env.step(np.full(3, EXPERT))
    np.testing.assert_array_equal(info["base_reward"], [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(reward, [1.0 - 0.4 * BP] * 3)
    np.testing.assert_array_equal(info["base_action"], [1, 1, 1])  # (0 + shift 1) % 3


def test_novice_steps_are_free_and_wrong_on_the_shifted_split(chain):
    env = make(chain)
    env.reset()
    _, reward, _, _, info = env.step(np.full(3, NOVICE))
    np.testing.assert_array_equal(reward, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(info["base_action"], [0, 0, 0])


def test_switch_cost_applies_when_a_single_copy_switches(chain):
    env = make(chain, expert_query_cost_weight=0.0, switch_agent_cost_weight=0.3)
    env.reset()
    _, reward, *_ = env.step(np.array([NOVICE, NOVICE, NOVICE]))
    np.testing.assert_array_equal(reward, [0.0, 0.0, 0.0])  # first decision: nothing to switch from
    _, reward, *_ = env.step(np.array([EXPERT, NOVICE, NOVICE]))
    np.testing.assert_allclose(reward, [1.0 - 0.3 * BP, 0.0, 0.0], rtol=0, atol=1e-12)
    _, reward, *_ = env.step(np.array([EXPERT, NOVICE, NOVICE]))
    np.testing.assert_array_equal(reward, [1.0, 0.0, 0.0])
    _, reward, *_ = env.step(np.array([NOVICE, NOVICE, EXPERT]))
    np.testing.assert_allclose(reward, [-0.3 * BP, 0.0, 1.0 - 0.3 * BP], rtol=0, atol=1e-12)


def test_no_switch_cost_across_an_episode_boundary(chain):
    env = make(chain, expert_query_cost_weight=0.0, switch_agent_cost_weight=0.3)
    env.reset()
    for _ in range(4):
        env.step(np.full(3, EXPERT))
    _, reward, terminated, truncated, _ = env.step(np.full(3, EXPERT))
    assert terminated.all() and not truncated.any()
    np.testing.assert_array_equal(reward, [1.0, 1.0, 1.0])
    # Reset step: not a decision, whatever the action says.
    obs, reward, terminated, _, info = env.step(np.full(3, EXPERT))
    np.testing.assert_array_equal(reward, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(info["base_action"], [-1, -1, -1])
    assert not terminated.any()
    np.testing.assert_array_equal(obs["base_obs"].argmax(axis=1), [0, 0, 0])
    # First decision of the new episode: novice after an expert episode, no switch charged.
    _, reward, *_ = env.step(np.full(3, NOVICE))
    np.testing.assert_array_equal(reward, [0.0, 0.0, 0.0])


def test_reset_step_charges_no_expert_cost_and_skips_the_expert(chain):
    env = make(chain, expert_query_cost_weight=1.0)
    env.reset()
    for _ in range(5):
        env.step(np.full(3, EXPERT))
    calls = len(env.expert.batch_sizes)
    _, reward, *_ = env.step(np.full(3, EXPERT))
    np.testing.assert_array_equal(reward, [0.0, 0.0, 0.0])
    assert len(env.expert.batch_sizes) == calls


def test_truncation_is_reported_apart_from_termination(chain):
    env = make(chain)
    env.reset()
    for _ in range(7):
        _, _, terminated, truncated, _ = env.step(np.full(3, NOVICE))
        assert not (terminated.any() or truncated.any())
    _, _, terminated, truncated, _ = env.step(np.full(3, NOVICE))
    assert truncated.all() and not terminated.any()


def test_observation_keys_shapes_and_space(chain):
    env = make(chain)
    obs, _ = env.reset()
    assert set(obs) == {"base_obs", "novice_hidden", "novice_logits"}
    assert obs["base_obs"].shape == (3, 6)
    assert obs["novice_hidden"].shape == (3, 2)
    assert obs["novice_logits"].shape == (3, 3)
    assert env.observation_space.contains(obs)
    obs, *_ = env.step(np.full(3, NOVICE))
    assert env.observation_space.contains(obs)


def test_open_expert_adds_its_features_and_closed_novice_hides_them(chain):
    env = make(chain, open_expert=True, open_novice=False)
    obs, _ = env.reset()
    assert set(obs) == {"base_obs", "expert_hidden", "expert_logits"}
    assert env.observation_space.contains(obs)
    np.testing.assert_array_equal(obs["expert_logits"].argmax(axis=1), [1, 1, 1])


def test_novice_runs_once_per_step_and_expert_only_where_asked(chain):
    env = make(chain)
    env.reset()
    env.step(np.array([NOVICE, NOVICE, NOVICE]))
    env.step(np.array([EXPERT, NOVICE, EXPERT]))
    assert env.novice.batch_sizes == [3, 3, 3]  # reset + two steps, every copy at once
    assert env.expert.batch_sizes == [2]


def test_chosen_copies_step_with_exact_costs_and_the_novice_runs_on_them_only(chain):
    env = make(chain, expert_query_cost_weight=0.4, switch_agent_cost_weight=0.3)
    env.reset()
    env.step(np.full(3, NOVICE))
    obs, reward, terminated, truncated, info = env.step_copies(np.array([EXPERT, NOVICE]), np.array([0, 2]))
    np.testing.assert_allclose(reward, [1.0 - (0.4 + 0.3) * BP, 0.0], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(info["base_action"], [1, 0])
    np.testing.assert_array_equal(chain.position, [1, 0, 0])
    assert obs["novice_logits"].shape == (2, 3)
    assert env.novice.batch_sizes == [3, 3, 2] and env.expert.batch_sizes == [1]
    # Copy 1 was not stepped: its next decision still follows its novice step, and its novice
    # logits (kept from the full step) still drive its action.
    _, reward, *_ = env.step(np.array([EXPERT, EXPERT, NOVICE]))
    np.testing.assert_allclose(reward, [1.0 - 0.4 * BP, 1.0 - (0.4 + 0.3) * BP, 0.0], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(chain.position, [2, 1, 0])


def test_open_expert_acts_from_the_logits_kept_for_each_copy(chain):
    env = make(chain, open_expert=True, expert_query_cost_weight=0.0)
    env.reset()
    obs, *_ = env.step_copies(np.array([EXPERT]), np.array([2]))  # copy 2 moves to cell 1
    np.testing.assert_array_equal(obs["expert_logits"].argmax(axis=1), [2])  # (1 + shift 1) % 3
    _, reward, *_ = env.step(np.full(3, EXPERT))  # each copy's expert acts for its own cell
    np.testing.assert_array_equal(reward, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(chain.position, [1, 1, 2])
    assert env.expert.batch_sizes == [3, 1, 3]  # open: it runs on every observation, never on demand


def test_resetting_chosen_copies_starts_their_episodes_afresh(chain):
    env = make(chain, expert_query_cost_weight=0.0, switch_agent_cost_weight=0.3)
    env.reset()
    env.step(np.full(3, EXPERT))
    obs, _ = env.reset_copies(np.array([1]))
    np.testing.assert_array_equal(obs["base_obs"].argmax(axis=1), [0])
    np.testing.assert_array_equal(obs["novice_hidden"][:, 1], [0])  # novice memory reset
    np.testing.assert_array_equal(chain.position, [1, 0, 1])
    _, reward, *_ = env.step(np.full(3, NOVICE))  # copy 1: first decision of an episode, no switch
    np.testing.assert_allclose(reward, [-0.3 * BP, 0.0, -0.3 * BP], rtol=0, atol=1e-12)


def test_recurrent_state_resets_at_each_new_episode(chain):
    env = make(chain)
    obs, _ = env.reset()
    counters = [obs["novice_hidden"][:, 1].copy()]
    actions = np.array([EXPERT, NOVICE, NOVICE])  # copy 0 ends after 5 steps, the others after 8
    for _ in range(10):
        obs, *_ = env.step(actions)
        counters.append(obs["novice_hidden"][:, 1].copy())
    counters = np.array(counters)
    np.testing.assert_array_equal(counters[:, 0], [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4])
    np.testing.assert_array_equal(counters[:, 1], [0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1])


def test_stepping_before_set_costs_is_an_error(chain):
    env = CoordEnv(coord_config(), chain, scripted(chain, 0), scripted(chain, 1))
    env.reset()
    with pytest.raises(RuntimeError, match="set_costs"):
        env.step(np.full(3, NOVICE))


@pytest.mark.parametrize("bad", [-1.0, float("nan")])
def test_set_costs_rejects_invalid_penalties(chain, bad):
    env = CoordEnv(coord_config(), chain, scripted(chain, 0), scripted(chain, 1))
    with pytest.raises(ValueError, match="base_penalty"):
        env.set_costs(bad)


def test_greedy_temperature_gives_the_argmax_action(chain):
    env = make(chain, temperature=0.0)
    env.reset()
    _, _, _, _, info = env.step(np.full(3, EXPERT))
    np.testing.assert_array_equal(info["base_action"], [1, 1, 1])


def test_a_coord_env_given_its_base_penalty_charges_costs_at_once(chain):
    env = CoordEnv(coord_config(expert_query_cost_weight=0.4, switch_agent_cost_weight=0.1), chain,
                   scripted(chain, 0), scripted(chain, 1), base_penalty=0.5)  # fmt: skip
    assert (env.expert_query_cost, env.switch_cost) == pytest.approx((0.2, 0.05))


def test_each_copy_can_be_charged_its_own_alpha(chain):
    env = make(chain)
    env.set_costs(BP, np.array([0.0, 0.4, 2.0]))
    env.reset()
    _, reward, *_ = env.step(np.full(3, EXPERT))
    np.testing.assert_array_equal(reward, [1.0, 1.0 - 0.4 * BP, 1.0 - 2.0 * BP])
    _, reward, *_ = env.step_copies(np.array([EXPERT]), np.array([2]))
    np.testing.assert_array_equal(reward, [1.0 - 2.0 * BP])
    assert np.isnan(env.expert_query_cost)  # no single alpha to report
    with pytest.raises(ValueError, match="query_weights"):
        env.set_costs(BP, np.array([0.1, -1.0, 0.1]))
