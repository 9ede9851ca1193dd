"""The episode bookkeeping shared by PPO's training windows and the Evaluator."""

import numpy as np

from duo_ai.evaluation.episodes import Episode, EpisodeTracker, GroupEpisodes


def test_steps_add_up_per_copy_and_end_records_them():
    tracker = EpisodeTracker(3)
    tracker.step(
        np.array([0, 1, 2]), np.array([1.0, 0.5, 0.0]), np.array([1.0, 1.0, 1.0]), np.array([1, 0, 1])
    )
    tracker.step(np.array([0, 2]), np.array([2.0, -1.0]), np.array([2.0, 0.0]), np.array([0, 1]))
    tracker.end(np.array([0, 2]), cut=np.array([False, True]))
    assert tracker.finished == [Episode(3.0, 3.0, 2, 1, False), Episode(-1.0, 1.0, 2, 2, True)]
    tracker.step(np.array([0]), np.array([5.0]), np.array([5.0]), np.array([0]))
    tracker.end(np.array([0]))  # copy 0 started afresh
    assert tracker.finished[-1] == Episode(5.0, 5.0, 1, 0, False)
    # a window: its 3 finished episodes, and all 6 decisions (copy 1's unfinished one included)
    assert tracker.read() == {"episodes": 3, "episode_reward": 7 / 3, "episode_base_reward": 9 / 3,
                              "episode_length": 5 / 3, "action_1_fraction": 3 / 6}  # fmt: skip
    assert tracker.read()["episodes"] == 0 and tracker.length[1] == 1  # copy 1 still runs


def test_episodes_are_counted_for_the_group_that_owns_the_copy():
    episodes = GroupEpisodes(groups=2, copies_per_group=3)
    episodes.step(
        np.array([0, 4, 5]), np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]), np.array([1, 0, 1])
    )
    episodes.end(np.array([4]))
    first, second = episodes.read()
    assert (first["episodes"], first["action_1_fraction"]) == (0, 1.0)
    assert (second["episodes"], second["episode_reward"], second["action_1_fraction"]) == (1, 2.0, 0.5)
    assert GroupEpisodes.rank_within_group(np.array([1, 0, 1, 1, 1]), np.array([0, 0, 0, 1, 1])).tolist() == [
        1,
        1,
        2,
        1,
        2,
    ]
