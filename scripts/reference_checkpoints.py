"""Real checkpoints of the reference implementation (duo-ai 1.0.1), for the tests of ``duo convert``.

Runs in the reference's own virtualenv (``benchmarks/speed.py`` installs it):

    experiments/speed/reference-venv/bin/python scripts/reference_checkpoints.py tests/data/reference

On Procgen coinrun (2 copies) it trains, with the reference's own algorithms and save functions:
an IMPALA PPO agent (one iteration), a PPO coordinator reading ``hidden_dist`` (one iteration)
and a ``logit`` coordinator (its threshold sweep), and writes ``outputs.npz``: fixed inputs and
what the reference's agent and coordinator compute from them, which the converted checkpoints
must reproduce. This file must not import duo (both packages are named ``duo_ai``).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from duo_ai.algorithms.logit import LogitAlgorithm, LogitAlgorithmConfig
from duo_ai.core.environment import CoordEnv, CoordinationConfig
from duo_ai.core.evaluator import Evaluator, EvaluatorConfig
from duo_ai.utils.global_variables import set_global_variable

import duo_ai
from duo_ai.algorithms.ppo import PPOAlgorithm, PPOAlgorithmConfig
from duo_ai.policies.logit import LogitPolicy, LogitPolicyConfig
from duo_ai.policies.ppo import PPOPolicy, PPOPolicyConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from speed_reference import OldGymVectorEnv  # noqa: E402 - the reference's view of envpool

TASK = "CoinrunHard-v0"


def train_ppo(policy: PPOPolicy, env, name: str, folder: str) -> None:
    """One PPO iteration, then the reference's own ``save_checkpoint``."""
    algorithm = PPOAlgorithm(
        PPOAlgorithmConfig(num_steps=8, total_timesteps=16, num_minibatches=2, log_freq=10**9)
    )
    algorithm.train(policy, env, {})
    algorithm.save_dir = folder
    algorithm.save_checkpoint(policy, name)


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    np.random.seed(0)
    work = tempfile.mkdtemp()
    set_global_variable("device", torch.device("cpu"))
    set_global_variable("experiment_dir", work)
    set_global_variable("log_file", f"{work}/train.log")
    import wandb

    wandb.init(mode="disabled")

    print("1/4: one PPO iteration of an IMPALA agent with the reference (minutes on a CPU)", flush=True)
    base_env = OldGymVectorEnv(TASK, 2, 0, None, True, num_levels=0, start_level=0)
    agent = PPOPolicy(PPOPolicyConfig(model={"name": "impala_ppo"}), base_env)
    train_ppo(agent, base_env, "agent", work)

    env = CoordEnv(CoordinationConfig(), base_env, agent, agent)
    env.set_costs(0.1)
    agent.hidden_dim = agent.model.hidden_dim  # the reference's hidden_dist model asks the policy for it
    coordinator = PPOPolicy(
        PPOPolicyConfig(model={"name": "impala_coord_ppo", "feature_type": "hidden_dist"}), env
    )
    print("2/4: one PPO iteration of a coordinator reading hidden_dist (minutes on a CPU)", flush=True)
    train_ppo(coordinator, env, "coordinator", work)

    print("3/4: the logit coordinator's threshold sweep", flush=True)
    logit = LogitPolicy(LogitPolicyConfig(metric="max_logit", temperature=1.0), env)
    sweep = LogitAlgorithm(LogitAlgorithmConfig(num_rollouts=8, percentiles=[0, 50, 100]))
    test_env = CoordEnv(
        CoordinationConfig(), OldGymVectorEnv(TASK, 2, 1, None, True, num_levels=0), agent, agent
    )
    test_env.set_costs(0.1)
    sweep.train(logit, env, {"test": Evaluator(EvaluatorConfig(num_episodes=2, max_num_steps=64), test_env)})

    for name, saved in (("agent", "agent"), ("coordinator", "coordinator"), ("logit", "best_test")):
        shutil.copy(f"{work}/{saved}.ckpt", out / f"{name}.ckpt")

    print("4/4: the reference's outputs on fixed inputs (outputs.npz)", flush=True)
    generator = torch.Generator().manual_seed(1)
    images = torch.rand(16, 3, 64, 64, generator=generator)
    with torch.no_grad():
        agent_out = agent.model(images)
        coord_obs = {"base_obs": images, "novice_hidden": agent_out.hidden, "novice_logits": agent_out.logits}
        coord_out = coordinator.model(coord_obs)
    saved_logit = duo_ai.load_policy(str(out / "logit.ckpt"), env)  # the reference's own loader
    logit_actions = saved_logit.act({"novice_logits": agent_out.logits})
    np.savez(
        out / "outputs.npz",
        images=images.numpy(),
        agent_logits=agent_out.logits.numpy(),
        agent_value=agent_out.value.reshape(-1).numpy(),
        agent_hidden=agent_out.hidden.numpy(),
        coordinator_logits=coord_out.logits.numpy(),
        coordinator_value=coord_out.value.reshape(-1).numpy(),
        logit_threshold=np.float64(saved_logit.params["threshold"]),
        logit_actions=np.asarray(logit_actions),
    )
    print(f"reference checkpoints written to {out}")


if __name__ == "__main__":
    main()
