"""The planner expert and the task family: shortest paths, and the test task left out."""

import numpy as np
import pytest

from duo_ai.coordination.oracle import explore, solve, task_layouts
from duo_ai.coordination.planner import check_excludes, family_layouts, planner_probabilities
from duo_ai.errors import ConfigError
from duo_ai.policies.base import EXPERT
from tests.coordination.test_oracle import FORWARD, Corridor


def test_the_planner_walks_the_shortest_path_on_the_corridor():
    env = Corridor()
    env.reset(seed=0)
    corridor = explore(env)
    probs = planner_probabilities(corridor)
    assert probs.sum(1) == pytest.approx(np.ones(len(probs)))
    assert probs[0].argmax() == FORWARD  # facing the goal two cells away
    # Always asking the planner reaches the goal in 2 steps: 1 - 0.9 * 2 / 10, less 2 costs.
    always_expert = solve(corridor, (probs, probs), 0.1, allowed=(EXPERT,))
    assert always_expert.reward == pytest.approx(1 - 0.9 * 2 / 10 - 2 * 0.1)


def test_the_planner_solves_every_distshift_variant_as_fast_as_possible():
    """Its episode is the shortest: no coordinator of it and itself earns more base reward."""
    for row in (2, 3, 4):
        (layout,) = task_layouts("MiniGrid-DistShift1-v0", 1, 0, {"strip2_row": row})
        probs = planner_probabilities(layout)
        optimum = solve(layout, (probs, probs), 0.0)
        assert optimum.base_reward == pytest.approx(1 - 0.9 * optimum.episode_length / layout.max_steps)
        assert optimum.base_reward > 0.9


def test_a_family_is_the_members_layouts_in_order():
    family = [
        {"task": "MiniGrid-DistShift1-v0", "kwargs": {"strip2_row": 3}},
        {"task": "MiniGrid-LavaGapS5-v0"},
    ]
    layouts = family_layouts(family, 2, 0)
    assert len(layouts) == 4
    assert layouts[0] is layouts[1]  # DistShift has one layout: explored once, listed twice
    assert layouts[0].start != layouts[2].start


def test_a_member_with_its_own_layout_count_gives_that_many():
    family = [{"task": "MiniGrid-LavaGapS5-v0", "layouts": 3}, {"task": "MiniGrid-LavaGapS5-v0"}]
    layouts = family_layouts(family, 1, 5)
    assert len(layouts) == 4
    assert [layout.start for layout in layouts[:3]] == [
        layout.start for layout in task_layouts("MiniGrid-LavaGapS5-v0", 3, 5)
    ]
    assert layouts[3].start == layouts[0].start  # the other member: seed 5 only


def test_a_family_member_that_is_the_test_task_is_refused():
    """DistShift1 with its strip on row 5 is DistShift2, whatever its name says."""
    family = [{"task": "MiniGrid-DistShift1-v0", "kwargs": {"strip2_row": 4}},
              {"task": "MiniGrid-DistShift1-v0", "kwargs": {"strip2_row": 5}}]  # fmt: skip
    with pytest.raises(ConfigError, match=r"algorithm.family\[1\].*is the test task MiniGrid-DistShift2-v0"):
        check_excludes(family, "MiniGrid-DistShift2-v0", {}, "algorithm.family")
    check_excludes(family[:1], "MiniGrid-DistShift2-v0", {}, "algorithm.family")  # row 4 is not the test
