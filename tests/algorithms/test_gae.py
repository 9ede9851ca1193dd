"""GAE on rollouts whose advantages are known in closed form (gamma 0.9, lambda 1 unless said)."""

import pytest
import torch

from duo_ai.algorithms.gae import compute_gae

GAMMA = 0.9


def gae(rewards, values, next_value, terminated, truncated, gae_lambda=1.0, bootstrap_truncated=True):
    as_column = lambda xs, dtype=torch.float32: torch.tensor(xs, dtype=dtype).unsqueeze(1)  # noqa: E731
    return compute_gae(
        as_column(rewards),
        as_column(values),
        torch.tensor([next_value], dtype=torch.float32),
        as_column(terminated, torch.bool),
        as_column(truncated, torch.bool),
        GAMMA,
        gae_lambda,
        bootstrap_truncated,
    )


def test_terminated_episode_gives_discounted_returns():
    advantages, returns = gae([1, 1, 1], [0, 0, 0], 99.0, [0, 0, 1], [0, 0, 0])
    assert advantages.squeeze(1).tolist() == pytest.approx([1 + 0.9 + 0.81, 1.9, 1.0])
    assert returns.squeeze(1).tolist() == pytest.approx([2.71, 1.9, 1.0])


def test_truncated_step_bootstraps_from_the_final_observation_value():
    # Step 1 is truncated; step 2 is the reset step whose value is that of the final observation.
    advantages, _ = gae([1, 1, 0], [0.5, 0.5, 2.0], 0.0, [0, 0, 0], [0, 1, 0])
    a1 = 1 + GAMMA * 2.0 - 0.5
    a0 = (1 + GAMMA * 0.5 - 0.5) + GAMMA * a1
    assert advantages[:2].squeeze(1).tolist() == pytest.approx([a0, a1])


def test_a_time_limit_that_ends_the_game_is_not_bootstrapped():
    advantages, _ = gae([1, 1, 0], [0.5, 0.5, 2.0], 0.0, [0, 0, 0], [0, 1, 0], bootstrap_truncated=False)
    a1 = 1 - 0.5
    assert advantages[:2].squeeze(1).tolist() == pytest.approx([(1 + GAMMA * 0.5 - 0.5) + GAMMA * a1, a1])


def test_terminated_step_is_not_bootstrapped():
    advantages, _ = gae([1, 1, 0], [0.5, 0.5, 2.0], 0.0, [0, 1, 0], [0, 0, 0])
    a1 = 1 - 0.5
    assert advantages[:2].squeeze(1).tolist() == pytest.approx([(1 + GAMMA * 0.5 - 0.5) + GAMMA * a1, a1])


def test_last_step_of_the_rollout_bootstraps_from_next_value():
    advantages, returns = gae([1], [0.0], 10.0, [0], [0])
    assert advantages.item() == pytest.approx(1 + GAMMA * 10.0)
    advantages, _ = gae([1], [0.0], 10.0, [0], [1])  # truncated on the last slot: same bootstrap
    assert advantages.item() == pytest.approx(1 + GAMMA * 10.0)


def test_nothing_flows_back_across_an_episode_boundary():
    # Episode ends (terminated) at step 0; the big reward of the next episode must not leak back.
    advantages, _ = gae([1, 0, 100], [0, 0, 0], 0.0, [1, 0, 0], [0, 0, 0])
    assert advantages[0].item() == pytest.approx(1.0)


def test_lambda_mixes_td_errors():
    advantages, _ = gae([0, 1], [0.2, 0.4], 0.0, [0, 1], [0, 0], gae_lambda=0.5)
    d0, d1 = 0 + GAMMA * 0.4 - 0.2, 1 - 0.4
    assert advantages.squeeze(1).tolist() == pytest.approx([d0 + GAMMA * 0.5 * d1, d1])
