"""The tutorial's script runs as written: flags, overrides, train then eval."""

import subprocess
import sys
from pathlib import Path

import pytest

from duo_ai import zoo

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "examples" / "procgen_yrc.py"


def run_script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT, check=False
    )


def test_script_trains_and_evaluates_an_agent(tmp_path):
    config = tmp_path / "agent.yaml"
    config.write_text(
        "env: {name: toy, num_envs: 4}\npolicy: {name: ppo, model: {name: mlp_ppo}}\n"
        "algorithm: {name: ppo, total_timesteps: 512, num_steps: 32, log_freq: 2}\nevaluation: {num_episodes: 8}\n"
    )
    common = ["--config", str(config), f"experiment_dir={tmp_path}", "name=agent"]
    result = run_script(*common, "--mode", "train", "--type", "agent", "overwrite=1")
    assert result.returncode == 0, result.stderr
    assert "BEST test so far" in result.stdout
    result = run_script(
        *common, "--mode", "eval", "--type", "agent", f"policy.load_path={tmp_path}/agent/best_val_sim.ckpt"
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "agent" / "eval.log").exists()


def test_script_reports_bad_input_in_one_line():
    result = run_script(
        "--config", "configs/procgen_ppo.yaml", "--mode", "train", "--type", "coord", "algorithm.totl=3"
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "duo: error: unknown config key 'algorithm.totl'; valid keys here: name, total_timesteps, num_steps, "
        "update_epochs, num_minibatches, gamma, gae_lambda, clip_coef, norm_adv, clip_vloss, vf_coef, ent_coef, "
        "max_grad_norm, learning_rate, anneal_lr, bootstrap_truncated, normalize_reward, target_kl, max_kl, "
        "log_freq, save_freq, precision"
    )


@pytest.mark.skipif(
    "zoo:procgen/coinrun/expert" not in zoo.available(), reason="coinrun agents not shipped yet"
)
def test_tutorial_command_with_the_shipped_coinrun_agents(tmp_path):
    small = ["env.num_envs=4", "algorithm.num_steps=16", "algorithm.total_timesteps=64", "algorithm.log_freq=1",
             "evaluation.num_episodes=4", "coordination.base_penalty=0.01", f"experiment_dir={tmp_path}"]  # fmt: skip
    result = run_script(
        "--config", "configs/procgen_ppo.yaml", "--mode", "train", "--type", "coord", "overwrite=1", *small
    )
    assert result.returncode == 0, result.stderr
    assert "BEST test so far" in result.stdout
    checkpoint = tmp_path / "procgen_coord" / "best_val_sim.ckpt"
    result = run_script("--config", "configs/procgen_ppo.yaml", "--mode", "eval", "--type", "coord",
                        f"policy.load_path={checkpoint}", *small)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "test split" in result.stdout
