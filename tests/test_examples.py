"""The tutorial's script runs as written: flags, overrides, train then eval."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

import duo_ai
from duo_ai import zoo
from duo_ai.config import load_config
from duo_ai.coordination import CoordEnv
from duo_ai.envs.toy import ChainEnv
from duo_ai.evaluation import Evaluator
from tests.conftest import coord_args, coord_config, scripted

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


def test_minigrid_script_trains_evaluates_and_visualizes(tmp_path):
    script = ROOT / "examples" / "minigrid_yrc.py"
    common = [f"experiment_dir={tmp_path}", "name=coord", "env.num_envs=4", "evaluation.num_episodes=4",
              "algorithm.total_timesteps=1024", "algorithm.num_steps=32", "algorithm.log_freq=4"]  # fmt: skip

    def run(*args):
        result = subprocess.run([sys.executable, str(script), *args, *common], capture_output=True, text=True,
                                cwd=ROOT, check=False)  # fmt: skip
        assert result.returncode == 0, result.stderr
        return result

    run("--mode", "train")
    checkpoint = f"policy.load_path={tmp_path}/coord/best_val_sim.ckpt"
    run("--mode", "eval", checkpoint)
    run("--mode", "visualize", "--episodes", "1", checkpoint)
    folder = tmp_path / "coord"
    assert (folder / "test_result.json").exists() and (folder / "eval.json").exists()
    assert (folder / "eval-2.test-1.gif").exists() and (folder / "eval-2.test-asks.png").exists()


@pytest.fixture(scope="module")
def ask_every_k():
    spec = importlib.util.spec_from_file_location("ask_every_k", ROOT / "examples" / "ask_every_k.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["ask_every_k"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)  # registers ask_every_k and every_k_sweep
    return module


def test_ask_every_k_asks_on_steps_0_k_2k_of_every_episode(ask_every_k):
    chain = ChainEnv(num_envs=3, length=5, shift=0)  # the novice is right: every episode lasts 5 steps
    env = CoordEnv(coord_config(expert_query_cost_weight=0.4), chain, scripted(chain, 0), scripted(chain, 0))
    env.set_costs(1.0)
    policy = duo_ai.make_policy(load_config(None, ["policy.name=ask_every_k", "policy.k=2"]).policy, env)
    evaluation = SimpleNamespace(
        num_episodes=7, max_num_steps=100, temperature=1.0
    )  # 3 copies: copy 0 plays 3 episodes, copies 1 and 2 play 2
    summary = Evaluator(evaluation, env).evaluate(policy)
    assert summary["action_1_fraction"] == 3 / 5  # steps 0, 2 and 4 of each 5-step episode
    assert summary["reward_mean"] == pytest.approx(5 - 3 * 0.4)


def test_ask_every_k_example_trains_selects_and_reports(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "ask_every_k.py"), "--config", "configs/minigrid_distshift.yaml",
         f"experiment_dir={tmp_path}", "env.num_envs=4", "evaluation.num_episodes=4", "algorithm.ks=[1,64]"],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    test_result = json.loads((tmp_path / "ask_every_k" / "test_result.json").read_text())
    assert test_result["method"] == "ask_every_k" and test_result["selection_split"] == "val_sim"


def test_a_single_file_ppo_of_ones_own_learns_on_duos_env(tmp_path, agent_checkpoints, capsys):
    spec = importlib.util.spec_from_file_location("cleanrl_ppo", ROOT / "examples" / "cleanrl_ppo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = duo_ai.load_config(
        None, coord_args(tmp_path, agent_checkpoints, "coordination.open_novice=true")
    )
    env = duo_ai.make_coord_envs(config, duo_ai.make_base_envs(config, ("test",)))["test"]
    agent = module.train(env, 6144, num_steps=32)
    summary = Evaluator(config.evaluation, env).evaluate(module.AsDuoPolicy(agent))
    # on the toy test split only the expert moves: always asking earns 5 x (1 - 0.4), the best
    assert summary["reward_mean"] == pytest.approx(3.0)
    assert "iteration 48: mean reward per step" in capsys.readouterr().out
