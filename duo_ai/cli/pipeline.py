"""The two jobs of the command line: train a policy, evaluate one. Agents or coordinators."""

from __future__ import annotations

import json
import logging
from typing import Any

from gymnasium.vector import VectorEnv
from omegaconf import DictConfig

from duo_ai.checkpoint import load_policy
from duo_ai.envs import SPLITS, make_base_envs
from duo_ai.errors import ConfigError
from duo_ai.evaluation import Evaluator
from duo_ai.factory import make_algorithm, make_coord_envs, make_policy
from duo_ai.run import start_run

logger = logging.getLogger("duo_ai")
KINDS = ("agent", "coord")


def make_envs(config: DictConfig, kind: str) -> dict[str, VectorEnv]:
    """Base envs for agents; CoordEnvs around them for coordinators."""
    if kind not in KINDS:
        raise ConfigError(f"unknown --type '{kind}'; valid choices: {', '.join(KINDS)}")
    base_envs = make_base_envs(config)
    return base_envs if kind == "agent" else make_coord_envs(config, base_envs)


def train(config: DictConfig, kind: str) -> None:
    algorithm = make_algorithm(config.algorithm)  # cheap checks first, before any env is built
    start_run(config, "train")
    envs = make_envs(config, kind)
    policy = make_policy(config.policy, envs["train"])
    validators = {split: Evaluator(config.evaluation, env) for split, env in envs.items() if split != "train"}
    algorithm.train(policy, envs["train"], validators)


def evaluate(config: DictConfig, kind: str) -> dict[str, dict[str, Any]]:
    """Evaluate the policy at ``policy.load_path`` (or a new one) on ``eval_splits``."""
    unknown = [split for split in config.eval_splits if split not in SPLITS]
    if unknown:
        raise ConfigError(f"eval_splits: unknown split {unknown[0]}; valid choices: {', '.join(SPLITS)}")
    run = start_run(config, "eval")
    envs = make_envs(config, kind)
    some_env = envs[config.eval_splits[0]]
    load_path = config.policy.get("load_path")
    policy = load_policy(load_path, some_env) if load_path else make_policy(config.policy, some_env)
    results = {}
    for split in config.eval_splits:
        results[split] = Evaluator(config.evaluation, envs[split]).evaluate_and_log(policy, f"{split} split")
    out = run.folder / f"{config.eval_name}.eval.json"
    out.write_text(json.dumps(results, indent=2))
    logger.info("results written to %s", out)
    return results
