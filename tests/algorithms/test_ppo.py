"""PPO learns small tasks, is deterministic for a seed, and resumes after a hard kill."""

import json
import math
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

import duo_ai
from benchmarks.crash_injection import CRASH_MODES, count_writes, crash_then_resume
from duo_ai.algorithms.ppo import Rollout, model_actor
from duo_ai.algorithms.rollout import RolloutBuffer
from duo_ai.checkpoint import read_checkpoint
from duo_ai.cli.main import main
from duo_ai.envs.toy import ChainEnv
from duo_ai.evaluation import Evaluator
from tests.conftest import train_on_shifted_chain

FAST_PPO = [
    "algorithm.name=ppo",
    "algorithm.num_steps=32",
    "algorithm.gamma=0.9",
    "algorithm.ent_coef=0.0",
    "algorithm.learning_rate=0.003",
    "algorithm.num_minibatches=4",
    "algorithm.update_epochs=4",
]


def agent_args(tmp_path, name, total, *extra):
    return [
        f"experiment_dir={tmp_path}",
        f"name={name}",
        "env.name=toy",
        "policy.name=ppo",
        "policy.model.name=mlp_ppo",
        "env.num_envs=8",
        "evaluation.num_episodes=16",
        f"algorithm.total_timesteps={total}",
        *FAST_PPO,
        *extra,
    ]


def train_agent(tmp_path, name, total, *extra):
    """Train a toy agent run; returns its folder."""
    assert main(["train", "--type", "agent", *agent_args(tmp_path, name, total, *extra)]) == 0
    return tmp_path / name


def test_agent_learns_the_chain(tmp_path):
    assert (
        main(["train", "--type", "agent", *agent_args(tmp_path, "learn", 12_000, "algorithm.log_freq=100")])
        == 0
    )
    env = ChainEnv(8)
    policy = duo_ai.load_policy(tmp_path / "learn" / "last.ckpt", env)
    summary = Evaluator(duo_ai.load_config(None, ["evaluation.temperature=0"]).evaluation, env).evaluate(
        policy, 16
    )
    assert summary["reward_mean"] == 5.0  # every step rewarded: the optimum


def test_coordinator_learns_to_ask_the_expert_where_the_novice_fails(tmp_path):
    overrides = ["policy.name=ppo", "policy.model.name=mlp_coord_ppo", "policy.model.feature_type=dist",
                 "algorithm.total_timesteps=6000", "algorithm.log_freq=100", "evaluation.num_episodes=16", *FAST_PPO]  # fmt: skip
    policy, env, _ = train_on_shifted_chain(ChainEnv(8, shift=1), overrides, tmp_path)
    greedy = duo_ai.load_config(None, ["evaluation.temperature=0"]).evaluation
    summary = Evaluator(greedy, env).evaluate(policy, 16)
    assert summary["action_1_fraction"] == 1.0
    assert summary["reward_mean"] == pytest.approx(5 * 0.6)


def metrics_without_time(path):
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return [{k: v for k, v in row.items() if k not in ("time", "train/steps_per_second")} for row in rows]


def test_same_seed_same_metrics(tmp_path):
    """With the thread count fixed: the default adapts it to the machine's load, and float sums
    split over another number of threads round differently."""
    for name in ("a", "b"):
        train_agent(tmp_path, name, 2048, "algorithm.log_freq=2", "seed=3", "torch_threads=1")
    first, second = (
        metrics_without_time(tmp_path / "a" / "metrics.jsonl"),
        metrics_without_time(tmp_path / "b" / "metrics.jsonl"),
    )
    assert first == second and len(first) > 2
    assert (
        main(
            [
                "train",
                "--type",
                "agent",
                *agent_args(tmp_path, "c", 2048, "algorithm.log_freq=2", "seed=4", "torch_threads=1"),
            ]
        )
        == 0
    )
    assert metrics_without_time(tmp_path / "c" / "metrics.jsonl") != first


def saved_iteration(path):
    try:
        return read_checkpoint(path)["training_state"]["iteration"]
    except Exception:
        return 0


def test_resume_after_sigkill_ends_at_the_same_step(tmp_path):
    total = 8 * 32 * 60
    args = agent_args(tmp_path, "killed", total, "algorithm.log_freq=20", "algorithm.save_freq=1")
    command = [sys.executable, "-m", "duo_ai.cli.main", "train", "--type", "agent", *args]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    last = tmp_path / "killed" / "last.ckpt"
    deadline = time.time() + 120
    while saved_iteration(last) < 3 and time.time() < deadline and process.poll() is None:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    killed_at = saved_iteration(last)
    assert 3 <= killed_at < 60, "the run must be killed mid-training"

    assert main(["train", "--type", "agent", *args, "resume=1"]) == 0
    payload = read_checkpoint(last)
    assert payload["training_state"]["global_step"] == total
    assert payload["training_state"]["iteration"] == 60
    assert payload["training_state"]["elapsed_seconds"] > 0
    times = [
        row["time"]
        for row in map(json.loads, (tmp_path / "killed" / "metrics.jsonl").read_text().splitlines())
    ]
    assert times == sorted(times)  # cumulative training time across the kill
    steps = [
        row["step"]
        for row in map(json.loads, (tmp_path / "killed" / "metrics.jsonl").read_text().splitlines())
    ]
    assert steps == sorted(steps)
    for name in ("best_val_sim.ckpt", "best_test.ckpt"):
        duo_ai.load_policy(tmp_path / "killed" / name, ChainEnv(8))
    assert "resumed from" in (tmp_path / "killed" / "train.log").read_text()


def test_resume_into_a_different_model_is_refused(tmp_path, capsys):
    assert main(["train", "--type", "agent", *agent_args(tmp_path, "r", 512)]) == 0
    resumed = agent_args(tmp_path, "r", 1024, "resume=1", "policy.model.hidden_sizes=[32]")
    assert main(["train", "--type", "agent", *resumed]) == 2
    assert "policy.model.hidden_sizes: [64, 64] -> [32]" in capsys.readouterr().err


def test_ppo_bad_inputs(tmp_path, capsys):
    assert main(["train", *agent_args(tmp_path, "x", 100, "algorithm.total_timesteps=abc")]) == 2
    assert (
        "algorithm.total_timesteps: Value 'abc' of type 'str' could not be converted to Integer"
        in capsys.readouterr().err
    )
    bad_feature = ["policy.model.name=mlp_coord_ppo", "policy.model.feature_type=logits"]
    assert main(["train", *agent_args(tmp_path, "y", 100, *bad_feature)]) == 2
    assert (
        "policy.model.feature_type: 'logits' is not valid; valid choices: obs, hidden, dist, hidden_obs, "
        "obs_dist, hidden_dist, obs_hidden_dist" in capsys.readouterr().err
    )
    assert main(["train", *agent_args(tmp_path, "z", 100, "algorithm.gamma=1.5")]) == 2
    assert "algorithm.gamma: must be <= 1, got 1.5" in capsys.readouterr().err
    assert not any((tmp_path / name).exists() for name in "xyz")  # refused before any folder is made


def test_tracking_writes_tensorboard_and_wandb_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    args = agent_args(tmp_path, "tracked", 512, "use_wandb=1", "algorithm.log_freq=1")
    assert main(["train", "--type", "agent", *args]) == 0
    folder = tmp_path / "tracked"
    assert list((folder / "tensorboard").glob("events.out.tfevents.*"))
    assert list(folder.glob("wandb/offline-run-*"))
    rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    assert {"train/episode_reward", "train/policy_loss", "val_sim/reward_mean"} <= set().union(*rows)


def test_resume_is_consistent_after_a_crash_at_any_write(tmp_path):
    writes = count_writes(tmp_path)
    assert writes >= 10
    for crash_at in range(writes):
        for how in CRASH_MODES:
            assert crash_then_resume(tmp_path, crash_at, how) == []


def test_bf16_forward_passes_train_and_save_a_float32_policy(tmp_path):
    args = agent_args(tmp_path, "bf16", 512, "algorithm.precision=bf16", "algorithm.log_freq=1")
    assert main(["train", "--type", "agent", *args]) == 0
    rows = [json.loads(line) for line in (tmp_path / "bf16" / "metrics.jsonl").read_text().splitlines()]
    losses = [row["train/value_loss"] for row in rows if "train/value_loss" in row]
    assert len(losses) >= 2 and all(loss is not None and math.isfinite(loss) for loss in losses)
    params = read_checkpoint(tmp_path / "bf16" / "last.ckpt")["params"]
    assert all(tensor.dtype == torch.float32 for tensor in params.values())  # autocast leaves weights alone


def test_an_update_past_max_kl_is_undone(tmp_path):
    def weights(name, total, *extra):
        folder = train_agent(tmp_path, name, total, "algorithm.log_freq=1", *extra)
        return read_checkpoint(folder / "last.ckpt")["params"]

    one = weights("one", 256, "algorithm.max_kl=1e-12")  # every update moves the policy more than this
    three = weights("three", 768, "algorithm.max_kl=1e-12")
    assert all(torch.equal(one[key], three[key]) for key in one)  # both still the initial weights
    rows = [json.loads(line) for line in (tmp_path / "three" / "metrics.jsonl").read_text().splitlines()]
    assert [row["train/rejected"] for row in rows if "train/rejected" in row] == [1.0, 1.0, 1.0]
    free = weights("free", 768, "algorithm.max_kl=10")
    assert not all(torch.equal(one[key], free[key]) for key in one)


def test_progress_moves_during_a_rollout_not_only_after_it():
    config = duo_ai.load_config(None, ["env.name=toy", "policy.name=ppo", "policy.model.name=mlp_ppo"])
    env = ChainEnv(4)
    policy = duo_ai.make_policy(config.policy, env)
    buffer = RolloutBuffer(6, env.num_envs, policy.device)
    rollout = Rollout(env, model_actor(policy.model), None, buffer, None)
    heard = []
    rollout.collect(6, "float32", heard.append)
    assert heard == [4] * 6  # every step's samples, as they are taken


def test_the_log_says_after_the_first_iteration_how_long_the_rest_takes(tmp_path):
    log = (train_agent(tmp_path, "timed", 8 * 32 * 3) / "train.log").read_text()
    assert log.count("the first iteration took") == 1 and "the 2 left take about" in log
