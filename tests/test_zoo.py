"""Shipped agents load by zoo name, fit their suite, and the demo runs end to end."""

import json

import pytest

import duo_ai
from duo_ai import zoo
from duo_ai.cli import demo


def test_unknown_zoo_name_lists_what_exists():
    with pytest.raises(
        duo_ai.CheckpointError,
        match="no zoo agent 'zoo:minigrid/nope'; available: .*zoo:minigrid/distshift/expert",
    ):
        zoo.resolve("zoo:minigrid/nope")


@pytest.mark.parametrize("name", [name for name in zoo.available() if name.startswith("zoo:minigrid/")])
def test_minigrid_agents_load_into_their_suite(name):
    pair = name.split("/")[1]
    config = duo_ai.load_config(None, ["env.name=minigrid", f"env.pair={pair}", "env.num_envs=2"])
    policy = duo_ai.load_policy(name, duo_ai.make_env(config.env, "test", 0))
    assert policy.config.model.name == "minigrid_ppo"


def test_demo_runs_and_writes_its_table(tmp_path):
    results = demo.run_demo(
        [f"experiment_dir={tmp_path}", "algorithm.total_timesteps=4096", "algorithm.log_freq=1",
         "evaluation.num_episodes=8"]
    )  # fmt: skip
    assert list(results) == ["always novice", "always expert", "ppo coordinator"]
    assert results["always novice"]["action_1_fraction"] == 0.0
    assert results["always expert"]["action_1_fraction"] == 1.0
    assert all(r["num_episodes"] == 8 for r in results.values())
    run_result = json.loads((tmp_path / "demo" / "test_result.json").read_text())["test"]
    assert results["ppo coordinator"]["reward_mean"] == run_result["reward_mean"]  # one number per checkpoint
    assert (tmp_path / "demo" / "learning_curves.png").exists()
    written = json.loads((tmp_path / "demo" / "demo_results.json").read_text())
    assert written["always expert"]["reward_mean"] == results["always expert"]["reward_mean"]
    assert "| ppo coordinator |" in (tmp_path / "demo" / "demo_results.md").read_text()
