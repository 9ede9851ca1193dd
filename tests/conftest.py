"""Scripted agents with known actions, for exact tests of everything around them."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pytest
import torch

import duo_ai
from duo_ai.config import param
from duo_ai.envs.toy import ChainEnv
from duo_ai.policies import AgentOutput, AgentPolicy, PolicyConfig

# The tests' explored layouts go to a fresh cache, never the user's (subprocesses inherit it).
os.environ["DUO_CACHE_DIR"] = tempfile.mkdtemp(prefix="duo-test-cache-")
CONFIDENT = 50.0  # logit gap that makes sampling at temperature 1 as good as greedy


@dataclass
class ScriptedConfig(PolicyConfig):
    shift: int = param(0, "the chain shift this agent knows")
    confidence: float = param(CONFIDENT, "logit of the action it plays (the others are 0)")


@duo_ai.register_policy("scripted")
class ScriptedAgent(AgentPolicy):
    """Plays (position + shift) % num_actions on ChainEnv; counts its steps since reset."""

    config_class = ScriptedConfig
    hidden_dim = 2

    def __init__(self, config, env, device="cpu"):
        super().__init__(config, env, device)
        self.logit_dim = int(self.action_space.n)
        self.batch_sizes: list[int] = []
        self.steps_since_reset: np.ndarray | None = None

    def forward_agent(self, obs):
        position = np.asarray(obs).argmax(axis=1)
        self.batch_sizes.append(len(position))
        if self.steps_since_reset is None or len(self.steps_since_reset) != len(position):
            self.steps_since_reset = np.zeros(len(position), np.int64)
        counter = self.steps_since_reset.copy()
        self.steps_since_reset += 1
        action = (position + self.config.shift) % self.logit_dim
        logits = torch.zeros(len(position), self.logit_dim)
        logits[torch.arange(len(position)), torch.from_numpy(action)] = self.config.confidence
        hidden = torch.tensor(np.stack([position, counter], axis=1), dtype=torch.float32)
        return AgentOutput(logits=logits, hidden=hidden)

    def reset(self, done_mask):
        if self.steps_since_reset is not None and len(self.steps_since_reset) == len(done_mask):
            self.steps_since_reset[np.asarray(done_mask)] = 0

    def get_params(self):
        return {"shift": torch.tensor(self.config.shift)}

    def set_params(self, params):
        self.config.shift = int(params["shift"])


def scripted(env, shift: int, confidence: float = CONFIDENT) -> ScriptedAgent:
    config = duo_ai.config.build_section(
        ScriptedConfig, {"name": "scripted", "shift": shift, "confidence": confidence}
    )
    return ScriptedAgent(config, env)


def coord_config(**overrides):
    values = dict(
        expert_query_cost_weight=0.4,
        switch_agent_cost_weight=0.0,
        temperature=1.0,
        open_novice=True,
        open_expert=False,
    )
    values.update(overrides)
    return SimpleNamespace(**values)


def train_on_shifted_chain(chain, overrides: list[str], tmp_path):
    """Train a coordinator on the shifted chain (alpha 0.4, BP 1), validated and selected on that
    same env (the test split: ``best_test.ckpt``).

    Returns the trained policy, the env and the run folder. Asking always is optimal there:
    reward 5 * (1 - 0.4) = 3.0 per episode.
    """
    from duo_ai.coordination import CoordEnv
    from duo_ai.evaluation import Evaluator

    config = duo_ai.load_config(
        None, [f"experiment_dir={tmp_path}", "name=coord", "env.name=toy", "selection_split=test", *overrides]
    )
    run = duo_ai.start_run(config)
    env = CoordEnv(coord_config(expert_query_cost_weight=0.4), chain, scripted(chain, 0), scripted(chain, 1))
    env.set_costs(1.0)
    policy = duo_ai.make_policy(config.policy, env)
    duo_ai.make_algorithm(config.algorithm).train(
        policy, env, {"test": Evaluator(config.evaluation, env)}, run
    )
    return policy, env, run.folder


@pytest.fixture
def chain():
    """Three copies of the test-split chain: the novice (shift 0) is always wrong there."""
    return ChainEnv(num_envs=3, length=5, num_actions=3, time_limit=8, shift=1)


@pytest.fixture
def agent_checkpoints(tmp_path):
    """Scripted checkpoints for the toy suite: novice knows shift 0, expert 1; novice_weak plays
    as the novice but is far less sure of it (logit 1 instead of 50)."""
    env = ChainEnv(num_envs=2, shift=0)
    paths = {}
    for role, shift, confidence in (
        ("novice", 0, CONFIDENT),
        ("expert", 1, CONFIDENT),
        ("novice_weak", 0, 1.0),
    ):
        paths[role] = tmp_path / "agents" / f"{role}.ckpt"
        duo_ai.save_checkpoint(paths[role], scripted(env, shift, confidence), env)
    return paths


# A random coordinator choosing between never and always asking: the cheapest coordinator that
# fits and selects.
RANDOM_SWEEP = ("policy.name=random", "algorithm.name=random", "algorithm.probs=[0.0,1.0]")


def coord_args(tmp_path, checkpoints, *extra):
    """Command-line overrides of a toy coordinator run: novice as stand-in expert in training."""
    return [
        f"experiment_dir={tmp_path}/exp",
        "env.name=toy",
        "name=run",
        "evaluation.num_episodes=6",
        f"train_novice={checkpoints['novice']}",
        f"train_expert={checkpoints['novice']}",
        f"test_novice={checkpoints['novice']}",
        f"test_expert={checkpoints['expert']}",
        *extra,
    ]
