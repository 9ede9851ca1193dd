"""Episode videos: one frame per decision plus the end, each framed in the colour of who acted."""

import json

import imageio.v3 as iio
import numpy as np
import pytest

from duo_ai.cli.main import main
from duo_ai.config import load_config
from duo_ai.evaluation.video import AGENT_COLOURS, BANNER, END_COLOUR, record_episodes
from duo_ai.factory import make_policy
from duo_ai.protocol import make_base_envs, make_coord_envs

DISTSHIFT = ["--config", "configs/minigrid_distshift.yaml", "env.num_envs=2"]


def test_each_frame_is_framed_in_the_colour_of_the_agent_that_acted():
    config = load_config("configs/minigrid_distshift.yaml", ["env.num_envs=2", "policy.name=random"])
    env = make_coord_envs(config, make_base_envs(config, ("test",)))["test"]
    policy = make_policy(config.policy, env)
    episodes = record_episodes(policy, env, num_episodes=2, max_steps=30)
    for episode in episodes:
        assert len(episode.frames) == len(episode.agents) + 1  # the end is shown too
        assert len(episode.positions) == len(episode.agents)
        borders = [tuple(frame[BANNER + 2, 2]) for frame in episode.frames]  # left edge, below the banner
        assert borders == [AGENT_COLOURS[agent] for agent in episode.agents] + [END_COLOUR]
        assert all(frame.shape[0] % 16 == 0 and frame.shape[1] % 16 == 0 for frame in episode.frames)
    assert {agent for episode in episodes for agent in episode.agents} == {0, 1}  # both agents seen


def test_duo_watch_writes_videos_with_a_frame_per_step_and_the_ask_map(tmp_path):
    folder = tmp_path / "watch"
    assert main(["watch", *DISTSHIFT, "policy.name=always", "policy.agent=expert", "--episodes", "2",
                 f"experiment_dir={tmp_path}", "name=watch"]) == 0  # fmt: skip
    filmed = json.loads((folder / "watch.json").read_text())["test"]
    assert len(filmed["episodes"]) == 2
    for episode in filmed["episodes"]:
        assert episode["expert_fraction"] == 1.0 and episode["base_reward"] > 0.9
        for key in ("mp4", "gif"):
            frames = iio.imread(episode[key], index=None, plugin="FFMPEG" if key == "mp4" else "pillow")
            assert len(frames) == episode["length"] + 1
        first = iio.imread(episode["gif"], index=0, plugin="pillow")
        assert tuple(first[BANNER + 2, 2, :3]) == AGENT_COLOURS[1]
    assert (folder / "watch.test-asks.png").exists()
    assert main(["watch", *DISTSHIFT, "policy.name=always", "--episodes", "1",
                 f"experiment_dir={tmp_path}", "name=watch"]) == 0  # fmt: skip
    assert (folder / "watch-2.test-1.mp4").exists()  # a second watch never overwrites the first


def test_eval_video_films_each_split_and_agents_are_refused(tmp_path, capsys):
    args = ["eval", *DISTSHIFT, "policy.name=always", "evaluation.num_episodes=2", "eval_splits=[test]",
            f"experiment_dir={tmp_path}", "name=eval", "--video", "1"]  # fmt: skip
    assert main(args) == 0
    result = json.loads((tmp_path / "eval" / "eval.json").read_text())["test"]
    assert result["num_episodes"] == 2 and len(result["videos"]["episodes"]) == 1
    assert main([*args[:1], "--type", "agent", *args[1:]]) == 2
    assert "coordinators" in capsys.readouterr().err


@pytest.mark.parametrize("bad", [["--episodes", "0"], ["--split", "nope"]])
def test_bad_watch_arguments_are_one_line_errors_and_write_nothing(tmp_path, capsys, bad):
    assert main(["watch", *DISTSHIFT, "policy.name=always", f"experiment_dir={tmp_path}", *bad]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert not any(tmp_path.iterdir())


def test_frames_come_from_every_copy_asked_for():
    config = load_config("configs/minigrid_distshift.yaml", ["env.num_envs=3"])
    env = make_base_envs(config, ("test",))["test"]
    env.reset()
    assert env.render().shape[0] == 3 and env.render(np.array([1])).shape[0] == 1
