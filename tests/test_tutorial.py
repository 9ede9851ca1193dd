"""The tutorial's Python snippet, as written, on the toy suite with scripted agents."""

from types import SimpleNamespace

import duo_ai

splits = ["train", "val_sim", "val_true", "test"]


def make_base_envs(config):
    return {split: duo_ai.make_env(config.env, split, config.seed) for split in splits}


def compute_reward_per_action(config, base_envs, expert):
    return duo_ai.reward_per_action(expert, base_envs["test"], config.evaluation)["reward_per_action"]


def make_coord_envs(config, base_envs):
    some_base_env = list(base_envs.values())[0]
    train_novice = duo_ai.load_policy(config.train_novice, some_base_env)
    train_expert = duo_ai.load_policy(config.train_expert, some_base_env)
    test_novice = duo_ai.load_policy(config.test_novice, some_base_env)
    test_expert = duo_ai.load_policy(config.test_expert, some_base_env)
    envs = {}
    for split in splits:
        novice, expert = (
            (train_novice, train_expert) if split in ["train", "val_sim"] else (test_novice, test_expert)
        )
        envs[split] = duo_ai.CoordEnv(config.coordination, base_envs[split], novice, expert)
    base_penalty = compute_reward_per_action(config, base_envs, test_expert)
    for split in splits:
        envs[split].set_costs(base_penalty)
    return envs


def test_tutorial_snippet_trains_and_logs_best_test(tmp_path, agent_checkpoints):
    config_file = tmp_path / "coord.yaml"
    config_file.write_text(
        f"""
name: tutorial
experiment_dir: {tmp_path}/experiments
env:
  name: toy
policy:
  name: random
algorithm:
  name: random
  probs: [0.0, 1.0]
evaluation:
  num_episodes: 8
coordination:
  expert_query_cost_weight: 0.4
  switch_agent_cost_weight: 0.0
  temperature: 1.0
train_novice: {agent_checkpoints["novice"]}
train_expert: {agent_checkpoints["novice"]}
test_novice: {agent_checkpoints["novice"]}
test_expert: {agent_checkpoints["expert"]}
"""
    )
    args = SimpleNamespace(config=str(config_file), mode="train")
    config = duo_ai.make_config(args, ["overwrite=1"])

    base_envs = make_base_envs(config)
    envs = make_coord_envs(config, base_envs)
    policy = duo_ai.make_policy(config.policy, envs["train"])
    algorithm = duo_ai.make_algorithm(config.algorithm)
    validators = {}
    for split in splits:
        if split != "train":
            validators[split] = duo_ai.Evaluator(config.evaluation, envs[split])
    algorithm.train(policy, envs["train"], validators)

    folder = tmp_path / "experiments" / "tutorial"
    log = (folder / "train.log").read_text()
    assert "BEST test so far" in log
    # selected on val_sim: its best on test is logged, never saved as a checkpoint to report
    assert (folder / "best_val_sim.ckpt").exists() and not (folder / "best_test.ckpt").exists()
    # On test the expert always succeeds (5 steps, reward 1 each) at a cost of 0.4 * (5/5) per step.
    assert "Reward: mean 3.00 ± 0.00" in log
    assert "Base Reward: mean 5.00 ± 0.00" in log
    assert (folder / "config.yaml").exists() and (folder / "metrics.jsonl").exists()
