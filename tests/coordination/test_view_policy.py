"""The view-only coordinator: exact where views tell states apart, limited where they do not."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from duo_ai.coordination.oracle import Layout, explore, solve
from duo_ai.coordination.view_policy import best_view_policy, evaluate_view_map
from duo_ai.policies.base import EXPERT, NOVICE
from tests.coordination.test_oracle import FORWARD, LEFT, Corridor


def always(action: int, num_actions: int) -> SimpleNamespace:
    """An agent that takes ``action`` whatever it sees (probability 1 up to e^-60)."""
    logits = torch.full((num_actions,), -60.0)
    logits[action] = 0.0
    return SimpleNamespace(forward_agent=lambda obs: SimpleNamespace(logits=logits.expand(len(obs), -1)))


def two_step_layout(same_view: bool, second_view: int = 1) -> Layout:
    """s0 --a0--> s1 --a1--> goal; a1 at s0 or a0 at s1 ends the episode without reward."""
    observations = np.zeros((2, 7, 7, 3), np.uint8)
    observations[1, 0, 0, 0] = 0 if same_view else second_view
    return Layout(
        observations=observations,
        next_state=np.array([[1, -1], [-1, -1]]),
        success=np.array([[False, False], [False, True]]),
        max_steps=10,
    )


@pytest.mark.parametrize(("same_view", "reward"), [(False, 1 - 0.9 * 2 / 10 - 0.1), (True, 0.0)])
def test_a_view_shared_by_states_that_need_different_agents_costs_the_gain(same_view, reward):
    """The novice always plays a0 and the expert a1: the optimum lets the novice step and asks the
    expert at s1 (0.82 - 0.1). When s0 and s1 look alike, a view-only map asks at both or at
    neither, and both episodes end without reward."""
    layout = two_step_layout(same_view)
    novice, expert = always(0, 2), always(1, 2)
    found = best_view_policy([layout], novice, expert, 1.0, expert_cost=0.1)
    assert found.rewards == pytest.approx([reward])
    assert found.visited_views == (1 if same_view else 2)
    probs = (np.array([[1.0, 0.0]] * 2), np.array([[0.0, 1.0]] * 2))
    assert solve(layout, probs, 0.1).reward == pytest.approx(1 - 0.9 * 2 / 10 - 0.1)


def test_on_the_corridor_the_view_only_map_reaches_the_hand_computed_optimum():
    env = Corridor()
    env.reset(seed=0)
    corridor = explore(env)
    found = best_view_policy([corridor], always(LEFT, 7), always(FORWARD, 7), 1.0, expert_cost=0.1)
    assert found.rewards == pytest.approx([1 - 0.9 * 2 / 10 - 2 * 0.1])
    assert found.expert_fraction == pytest.approx(1.0)


def test_random_layouts_listed_twice_weigh_twice():
    """A sample of layouts may draw one twice: the reward is reported per listed layout."""
    apart, alike = two_step_layout(False), two_step_layout(True)
    found = best_view_policy([apart, alike, apart], always(0, 2), always(1, 2), 1.0, expert_cost=0.1)
    assert len(found.rewards) == 3 and found.rewards[0] == found.rewards[2]


@pytest.mark.parametrize(("unseen", "reward"), [(NOVICE, 0.0), (EXPERT, 1 - 0.9 * 2 / 10 - 0.1)])
def test_a_map_on_another_layout_plays_its_choice_on_seen_views_and_the_fallback_on_unseen(unseen, reward):
    """Found where s1 looks like 1 (ask there, not at s0); on a layout where s1 looks like 2, the
    map keeps the novice at s0 (seen) and gives s1 the fallback: the novice fails, the expert
    succeeds. On the layouts it was found on, it reproduces its own reward."""
    novice, expert = always(0, 2), always(1, 2)
    found = best_view_policy([two_step_layout(False)], novice, expert, 1.0, expert_cost=0.1)
    again = evaluate_view_map(found.lookup(unseen), [two_step_layout(False)], novice, expert, 1.0, 0.1)
    assert again.rewards == pytest.approx(found.rewards)
    other = evaluate_view_map(found.lookup(unseen), [two_step_layout(False, 2)], novice, expert, 1.0, 0.1)
    assert other.rewards == pytest.approx([reward])
    assert other.expert_fraction == pytest.approx(0.5 if unseen == EXPERT else 0.0)
