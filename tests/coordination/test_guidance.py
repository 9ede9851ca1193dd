"""The optimum's advantages and an asking coordinator followed exactly, on hand-computed layouts."""

import numpy as np
import pytest

from duo_ai.coordination.guidance import follow, optimum_advantages
from duo_ai.coordination.oracle import combine, solve
from duo_ai.policies.base import NOVICE
from tests.coordination.test_view_policy import two_step_layout

# the novice always plays a0, the expert a1: the optimum lets the novice step, then asks
PROBS = (np.array([[1.0, 0.0]] * 2), np.array([[0.0, 1.0]] * 2))
COST = 0.1


def test_the_optimums_advantage_of_asking_per_step_and_state():
    layout = two_step_layout(same_view=False)
    advantages = optimum_advantages(layout, PROBS, COST)
    assert advantages.shape == (10, 2)
    # at s1, step t: asking wins the goal, 1 - 0.9 (t + 1) / 10, less the cost; the novice ends it
    assert advantages[:, 1] == pytest.approx([1 - 0.9 * (t + 1) / 10 - COST for t in range(10)])
    # at s0, step t: the novice steps on to s1 (worth s1's best at t + 1), the expert ends it
    values_s1 = [max(1 - 0.9 * (t + 2) / 10 - COST, 0) if t < 9 else 0 for t in range(10)]
    assert advantages[:, 0] == pytest.approx([-COST - v for v in values_s1])


@pytest.mark.parametrize("asks", [(0.0, 1.0), (0.0, 0.0), (1.0, 1.0), (0.5, 0.5)])
def test_following_a_coordinator_gives_its_exact_reward(asks):
    layout = two_step_layout(same_view=False)
    reward, _ = follow(layout, PROBS, np.array(asks), COST)
    # reaching s1 takes the novice at s0 (prob 1 - asks[0]), then asking there wins
    expected = (1 - asks[0]) * (1 - 0.9 * 2 / 10 - COST) * asks[1] - COST * asks[0]
    assert reward == pytest.approx(expected)
    if asks == (0.0, 1.0):
        assert reward == pytest.approx(solve(layout, PROBS, COST).reward)


def test_the_visit_weighted_advantage_counts_only_the_states_the_coordinator_reaches():
    layout = two_step_layout(same_view=False)
    advantages = optimum_advantages(layout, PROBS, COST)
    _, weighted = follow(layout, PROBS, np.array([1.0, 1.0]), COST, advantages)
    assert weighted == pytest.approx([advantages[0, 0], 0.0])  # asking at s0 ends the episode
    _, weighted = follow(layout, PROBS, np.array([0.0, 1.0]), COST, advantages)
    assert weighted == pytest.approx([advantages[0, 0], advantages[1, 1]])
    assert NOVICE == 0


def test_combined_layouts_give_the_mean_of_their_rewards_and_signals():
    """Layouts side by side (oracle.combine) are followed as one, each weighted by how often it is
    listed: the same numbers as following each alone."""
    apart, alike = two_step_layout(False), two_step_layout(True, second_view=0)
    combined, starts, weights = combine([apart, alike, apart])
    assert starts.tolist() == [0, 2] and weights == pytest.approx([2 / 3, 1 / 3])
    asks = np.array([0.3, 0.8, 0.6, 0.1])
    probs = (np.concatenate([PROBS[0]] * 2), np.concatenate([PROBS[1]] * 2))
    advantages = optimum_advantages(combined, probs, COST)
    reward, weighted = follow(combined, probs, asks, COST, advantages, starts, weights)
    alone = [
        follow(apart, PROBS, asks[:2], COST, advantages[:, :2]),
        follow(alike, PROBS, asks[2:], COST, advantages[:, 2:]),
    ]
    assert reward == pytest.approx(2 / 3 * alone[0][0] + 1 / 3 * alone[1][0])
    assert weighted == pytest.approx(np.concatenate([2 / 3 * alone[0][1], 1 / 3 * alone[1][1]]))
