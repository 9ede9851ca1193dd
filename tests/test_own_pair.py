"""docs/OWN_PAIR.md end to end on a tiny pair of the user's own: agents, the optimum, the
task-family learner and the report's share of the gain."""

import json

import yaml

from duo_ai.cli.main import main

NOVICE_TASK, TEST_TASK = "MiniGrid-LavaGapS5-v0", "MiniGrid-LavaGapS6-v0"
TINY = ["env.num_envs=4", "evaluation.num_episodes=8", "torch_threads=1"]


def test_a_pair_of_ones_own_from_agents_to_the_share_of_the_gain(tmp_path, capsys):
    runs = tmp_path / "runs"
    # An agent of one's own trains on a custom pair's task (here a few steps: the pair below uses
    # the zoo's lavagap agents, whose expert solves LavaGapS6, so that there is a gain to share).
    agent = [
        "--config", "configs/zoo/minigrid_agent.yaml", f"experiment_dir={runs}", "name=my_novice",
        "env.pair=custom", *(f"env.{split}.task={NOVICE_TASK}" for split in ("train", "val_sim", "val_true", "test")),
        "algorithm.total_timesteps=512", "algorithm.num_steps=64", *TINY,
    ]  # fmt: skip
    assert main(["train", "--type", "agent", *agent]) == 0
    assert (runs / "my_novice" / "best_val_sim.ckpt").exists()
    pair = {
        "env": {"name": "minigrid", "pair": "custom", "num_envs": 4, "train": {"task": NOVICE_TASK},
                "val_sim": {"task": NOVICE_TASK}, "val_true": {"task": TEST_TASK}, "test": {"task": TEST_TASK}},
        "test_novice": "zoo:minigrid/lavagap/novice",
        "test_expert": "zoo:minigrid/lavagap/expert",
        "simulated_pairing": "task_family",
        "coordination": {"base_penalty": 0.05},
        "policy": {"name": "ppo", "model": {"name": "minigrid_coord_ppo", "feature_type": "obs_dist"}},
        "evaluation": {"num_episodes": 8},
        "validation_splits": ["val_sim"],
        "experiment_dir": str(runs),
    }  # fmt: skip
    config = tmp_path / "my_pair.yaml"
    config.write_text(yaml.safe_dump(pair))
    family = "algorithm.family=[{task: MiniGrid-LavaGapS5-v0, kwargs: {size: 5}}]"
    for alpha in (0.2, 0.6):
        cost = f"coordination.expert_query_cost_weight={alpha}"
        common = ["--config", str(config), cost, "torch_threads=1"]
        assert main(["oracle", "--layouts", "2", *common, f"name=optimum/{alpha}"]) == 0
        for agent in ("novice", "expert"):
            fixed = ["policy.name=always", f"policy.agent={agent}", "algorithm.name=always"]
            assert main(["train", "--type", "coord", *common, *fixed, f"name=always_{agent}/{alpha}"]) == 0
        learner = ["algorithm.name=optimum_imitation", family,
                   "algorithm.layouts=2", "algorithm.val_layouts=1", "algorithm.iterations=2"]  # fmt: skip
        assert main(["train", "--type", "coord", *common, *learner, f"name=imitation/{alpha}"]) == 0
    result = json.loads((runs / "imitation" / "0.2" / "test_result.json").read_text())
    assert result["task"] == f"minigrid/{NOVICE_TASK}->{TEST_TASK}" and result["pairing"] == "task_family"
    assert result["method"] == "optimum_imitation on ppo obs_dist (task family)"
    capsys.readouterr()
    assert main(["report", str(runs / "optimum"), str(runs / "always_novice"), str(runs / "always_expert"),
                 str(runs / "imitation"), "--out", str(tmp_path / "report")]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "share of the available gain" in printed
    assert f"minigrid/{NOVICE_TASK}->{TEST_TASK}  optimum_imitation on ppo obs_dist (task family)" in printed


def test_task_family_trains_only_a_learner_of_layouts(tmp_path, capsys):
    args = ["--config", "configs/minigrid_lavagap.yaml", f"experiment_dir={tmp_path}", "name=x",
            "simulated_pairing=task_family", *TINY]  # fmt: skip
    assert main(["train", "--type", "coord", *args]) == 2  # the config's PPO would learn from nothing
    assert "simulated_pairing: task_family trains only algorithms that learn on its exact layouts" in (
        capsys.readouterr().err
    )
