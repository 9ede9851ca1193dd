"""The exact optimum: hand-computed on a corridor, and consistent with measured episodes."""

import gymnasium as gym
import numpy as np
import pytest
from minigrid.core.grid import Grid
from minigrid.core.mission import MissionSpace
from minigrid.core.world_object import Goal
from minigrid.minigrid_env import MiniGridEnv

import duo_ai
from duo_ai.coordination.oracle import TooManyStates, action_probabilities, explore, solve
from duo_ai.evaluation import Evaluator
from duo_ai.policies.base import EXPERT, NOVICE

LEFT, FORWARD = 0, 2


class Corridor(MiniGridEnv):
    """A 3x1 corridor: the agent starts facing the goal, two cells away."""

    def __init__(self):
        super().__init__(MissionSpace(mission_func=lambda: "reach the goal"), width=5, height=3, max_steps=10)

    def _gen_grid(self, width, height):
        self.grid = Grid(width, height)
        self.grid.wall_rect(0, 0, width, height)
        self.put_obj(Goal(), 3, 1)
        self.agent_pos, self.agent_dir, self.mission = (1, 1), 0, "reach the goal"


def one_action(layout, action):
    probs = np.zeros(layout.next_state.shape)
    probs[:, action] = 1.0
    return probs


@pytest.fixture
def corridor():
    env = Corridor()
    env.reset(seed=0)
    return explore(env)


def test_the_corridor_is_searched_exactly(corridor):
    assert len(corridor.observations) == 2 * 4  # two free cells, four directions
    beside_goal = corridor.next_state[0, FORWARD]
    assert corridor.success[beside_goal, FORWARD] and corridor.next_state[beside_goal, FORWARD] == -1
    assert not corridor.success[0].any()


def test_a_search_past_its_budget_stops_and_says_so():
    env = Corridor()
    env.reset(seed=0)
    assert len(explore(env, max_states=8).observations) == 8  # exactly the budget: searched
    with pytest.raises(TooManyStates, match="more than 7 states"):
        explore(env, max_states=7)


@pytest.mark.parametrize(
    ("expert_cost", "reward", "expert_fraction"),
    [
        (0.1, 1 - 0.9 * 2 / 10 - 2 * 0.1, 1.0),  # two expert steps reach the goal at step 2
        (0.5, 0.0, 0.0),  # asking costs more than the goal is worth: never ask
    ],
)
def test_hand_computed_optimum(corridor, expert_cost, reward, expert_fraction):
    spinning_novice, walking_expert = one_action(corridor, LEFT), one_action(corridor, FORWARD)
    optimum = solve(corridor, (spinning_novice, walking_expert), expert_cost)
    assert optimum.reward == pytest.approx(reward)
    assert optimum.expert_fraction == pytest.approx(expert_fraction)
    assert optimum.base_reward == pytest.approx(0.82 if expert_fraction else 0.0)


def test_the_optimum_bounds_measured_coordinators_and_matches_always_expert():
    """On DistShift2 with the zoo's agents: always-expert computed exactly equals its measured
    reward, and no measured coordinator beats the optimum."""
    config = duo_ai.load_config(
        "configs/minigrid_distshift.yaml", ["env.num_envs=8", "evaluation.num_episodes=64"]
    )
    test_env = duo_ai.make_env(config.env, "test", 0)
    novice = duo_ai.load_policy(config.test_novice, test_env)
    expert = duo_ai.load_policy(config.test_expert, test_env)
    reference = gym.make("MiniGrid-DistShift2-v0").unwrapped
    reference.reset(seed=0)
    layout = explore(reference)
    probs = tuple(action_probabilities(agent, layout.observations, 1.0) for agent in (novice, expert))
    cost = 0.4 * 0.0674
    always_expert = solve(layout, probs, cost, allowed=(EXPERT,))
    always_novice = solve(layout, probs, cost, allowed=(NOVICE,))
    optimum = solve(layout, probs, cost)
    assert always_expert.expert_fraction == 1.0 and always_novice.expert_fraction == 0.0
    assert optimum.reward >= max(always_expert.reward, always_novice.reward)
    measured = Evaluator(config.evaluation, test_env).evaluate(expert)
    assert abs(measured["reward_mean"] - always_expert.base_reward) <= measured["reward_ci"] + 1e-3
