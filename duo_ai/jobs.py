"""The jobs of duo: train a policy, evaluate one, calibrate costs, compute the optimum (used by the CLI and by sweeps)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium.vector import VectorEnv
from omegaconf import DictConfig, OmegaConf

from duo_ai import registry
from duo_ai.algorithms.callbacks import Callback
from duo_ai.algorithms.grouped_ppo import GroupedPPO, Member
from duo_ai.checkpoint import load_policy, save_checkpoint
from duo_ai.config import load_config
from duo_ai.coordination.coord_env import CoordEnv
from duo_ai.envs import SPLITS, make_env
from duo_ai.errors import ConfigError
from duo_ai.evaluation import Evaluator
from duo_ai.evaluation.stats import mean_std_ci
from duo_ai.evaluation.video import plot_ask_map, record_episodes, write_video
from duo_ai.factory import make_algorithm, make_policy
from duo_ai.policies.base import Policy
from duo_ai.protocol import (
    carry_to_test_novice,
    make_base_envs,
    make_coord_envs,
    selected_result,
    write_result,
)
from duo_ai.protocol.costs import calibrate, run_base_penalty, task_key
from duo_ai.protocol.pairing import task_setting, test_side_reasons
from duo_ai.protocol.result import EXACT_OPTIMUM
from duo_ai.reference import converted_policy, read_reference_checkpoint
from duo_ai.run import Run, start_group, start_run
from duo_ai.run_folder import GROUP_AXES, flatten, group_refusal
from duo_ai.run_log import focus, stop_holding_lines
from duo_ai.seeding import seed_everything

logger = logging.getLogger("duo_ai")
POLICY_TYPES = ("agent", "coord")  # what --type names: an agent or a coordinator
CPU_IMPALA_SAMPLES_PER_SECOND = (
    500  # an IMPALA CNN's forward + backward on 2 CPU cores, roughly (the team's figure)
)


def check_splits(key: str, splits: list[str], valid: Sequence[str] = SPLITS) -> None:
    unknown = [split for split in splits if split not in valid]
    if unknown:
        what = "is not valid here" if unknown[0] in SPLITS else "is unknown"
        raise ConfigError(f"{key}: split {unknown[0]} {what}; valid choices: {', '.join(valid)}")


def make_envs(config: DictConfig, kind: str) -> dict[str, VectorEnv]:
    """Base envs for agents; CoordEnvs around them for coordinators."""
    if kind not in POLICY_TYPES:
        raise ConfigError(f"unknown --type '{kind}'; valid choices: {', '.join(POLICY_TYPES)}")
    base_envs = make_base_envs(config)
    return base_envs if kind == "agent" else make_coord_envs(config, base_envs)


def train(
    config: DictConfig, kind: str, callbacks: Sequence[Callback] = ()
) -> tuple[Policy, dict[str, VectorEnv]]:
    check_training(config)
    algorithm = make_algorithm(config.algorithm)  # cheap checks first, before any env is built
    run = start_run(config, "train", own_process=True)
    envs = make_envs(config, kind)
    describe_training(config, envs, kind)
    policy = make_policy(config.policy, envs["train"], run.device)
    algorithm.check_fits(envs["train"], policy.device)
    validators = {split: Evaluator(config.evaluation, envs[split]) for split in config.validation_splits}
    run.open_folder()  # every input has loaded: the folder and its log exist from the first step on
    algorithm.train(policy, envs["train"], validators, run=run, callbacks=callbacks)
    if kind == "coord":
        selected_result(config, envs, run.folder)
    return policy, envs


def check_training(config: DictConfig) -> None:
    """The settings a training run is refused on, before anything is built."""
    # validating on the training env would reset it under the rollout in progress
    check_splits("validation_splits", list(config.validation_splits), [s for s in SPLITS if s != "train"])
    if config.selection_split not in config.validation_splits:
        raise ConfigError(
            f"selection_split: '{config.selection_split}' is not validated; "
            f"valid choices: {', '.join(config.validation_splits)}"
        )
    if config.policy.get("load_path"):
        raise ConfigError(
            "policy.load_path: training starts a new policy and would ignore it; "
            "continue a run with resume=1, or evaluate the checkpoint with duo eval"
        )


def describe_training(config: DictConfig, envs: dict[str, VectorEnv], kind: str) -> None:
    """The lines a training run starts with: a test-side pairing, each split's task, and the hours
    Procgen takes on a CPU."""
    test_side = test_side_reasons(config, envs) if kind == "coord" else []
    if test_side:
        logger.warning(
            "this run trains on the test pairing, so its result is recorded as a skyline (an upper "
            "reference, not an honest result): %s",
            "; ".join(test_side),
        )
    logger.info("tasks: %s; '±' in the blocks below is a 95%% interval over episodes", split_tasks(envs))
    budget = config.algorithm.get("total_timesteps")
    if config.env.name == "procgen" and str(config.device) == "cpu" and budget:
        logger.warning(
            "Procgen on a CPU: its IMPALA networks train at about %d samples/s on 2 cores, so %d steps "
            "take about %.1f hours here; a GPU (device=cuda) or a smaller algorithm.total_timesteps is faster",
            CPU_IMPALA_SAMPLES_PER_SECOND, budget, budget / CPU_IMPALA_SAMPLES_PER_SECOND / 3600,
        )  # fmt: skip


def split_tasks(envs: dict[str, VectorEnv]) -> str:
    """Each split's task, as its env says it (e.g. ``train MiniGrid-DistShift1-v0``)."""
    return ", ".join(
        f"{split} {' '.join(str(value) for key, value in task_setting(env).items() if key != 'suite')}"
        for split, env in envs.items()
    )


def evaluate(config: DictConfig, kind: str, videos: int = 0, fps: int = 8) -> dict[str, dict[str, Any]]:
    """Evaluate the policy at ``policy.load_path`` (or a new one) on ``eval_splits``; with
    ``videos``, also film that many episodes of each split (coordinators)."""
    check_splits("eval_splits", list(config.eval_splits))
    if videos and kind != "coord":
        raise ConfigError(
            "--video: the videos show who acted each step, so they film coordinators (--type coord)"
        )
    run, policy, envs = open_evaluation(config, kind)
    results = {}
    for split in config.eval_splits:
        seed_everything(config.seed)  # each split's result is independent of the others and of their order
        results[split] = Evaluator(config.evaluation, envs[split]).evaluate_and_log(policy, f"{split} split")
        if videos:
            results[split]["videos"] = film(
                config, policy, envs[split], split, videos, fps, run.output_path("")
            )
    out = run.output_path(".json")
    out.write_text(json.dumps(results, indent=2))
    logger.info("results written to %s", out)
    return results


def watch(config: DictConfig, split: str, episodes: int, fps: int) -> dict[str, Any]:
    """Film ``episodes`` episodes of the coordinator at ``policy.load_path`` on ``split``."""
    check_splits("--split", [split])
    if episodes < 1 or fps < 1:
        raise ConfigError(f"--episodes and --fps must be at least 1, got {episodes} and {fps}")
    run, policy, envs = open_evaluation(config, "coord")
    seed_everything(config.seed)
    filmed = {split: film(config, policy, envs[split], split, episodes, fps, run.output_path(""))}
    run.output_path(".json").write_text(json.dumps(filmed, indent=2))
    return filmed


def open_evaluation(config: DictConfig, kind: str) -> tuple[Run, Policy, dict[str, VectorEnv]]:
    """Start an evaluation run: the envs, and the policy at ``policy.load_path`` (a coordinator
    carried to the test novice as the protocol does)."""
    policy_class = registry.lookup("policy", config.policy.name, key="policy.name")
    load_path = config.policy.get("load_path")
    if not load_path and policy_class.learned:
        raise ConfigError(
            f"policy.load_path: a '{config.policy.name}' policy is learned; name the checkpoint to "
            "evaluate, e.g. policy.load_path=experiments/<name>/best_val_sim.ckpt"
        )
    run = start_run(config, "eval", own_process=True)
    envs = make_envs(config, kind)
    some_env = envs[config.eval_splits[0]]
    policy = load_policy(load_path, some_env) if load_path else make_policy(config.policy, some_env)
    if kind == "coord":
        carry_to_test_novice(policy, config, envs["test"])
    return run, policy, envs


def film(
    config: DictConfig, policy: Policy, env: VectorEnv, split: str, episodes: int, fps: int, stem: Path
) -> dict[str, Any]:
    """Record episodes on ``split`` as ``<stem>.<split>-<k>.mp4`` and ``.gif`` (and a MiniGrid
    ask map, ``<stem>.<split>-asks.png``)."""
    evaluation = config.evaluation
    logger.info("filming %d episode(s) on %s", episodes, split)
    recorded = record_episodes(policy, env, episodes, evaluation.max_num_steps, evaluation.temperature)
    filmed: dict[str, Any] = {"episodes": []}
    for number, episode in enumerate(recorded, 1):
        mp4, gif = write_video(episode.frames, stem.with_name(f"{stem.name}.{split}-{number}"), fps)
        filmed["episodes"].append({
            "reward": episode.reward, "base_reward": episode.base_reward, "length": len(episode.agents),
            "expert_fraction": episode.expert_fraction, "mp4": str(mp4), "gif": str(gif),
        })  # fmt: skip
        logger.info("episode %d: reward %.3f, expert on %.0f%% of %d steps: %s", number, episode.reward,
                    100 * episode.expert_fraction, len(episode.agents), mp4)  # fmt: skip
    title = f"{config.name}, {split}: where the coordinator asks ({len(recorded)} episodes)"
    ask_map = plot_ask_map(recorded, stem.with_name(f"{stem.name}.{split}-asks.png"), title)
    if ask_map is not None:
        filmed["ask_map"] = str(ask_map)
        logger.info("where it asks: %s", ask_map)
    return filmed


def convert_reference(source: str, out: str | None, config: DictConfig) -> Path:
    """Write a duo checkpoint of a reference (duo-ai 1.0.1) checkpoint, for the env of ``config``
    (and, for a coordinator, its agents): a new file, never one that exists."""
    payload = read_reference_checkpoint(source)
    kind, policy_overrides, params = converted_policy(payload)
    target = Path(out) if out else Path(source).with_suffix(".duo.ckpt")
    if target.exists():
        raise ConfigError(f"--out: {target} exists; duo convert writes a new file only")
    base_envs = make_base_envs(config, ("test",))
    env = base_envs["test"] if kind == "agent" else make_coord_envs(config, base_envs)["test"]
    policy = make_policy(load_config(None, policy_overrides).policy, env)
    policy.set_params(params)
    save_checkpoint(target, policy, env)
    print(f"{source} ({'agent' if kind == 'agent' else 'coordinator'}, {' '.join(policy_overrides)}) "
          f"converted to {target}")  # fmt: skip
    return target


def calibrate_costs(config: DictConfig) -> dict[str, Any]:
    """Measure the test expert's reward per action on the test split and store it in the user's
    calibration file: ``coordination.calibration_file``, or ``calibration.json`` in the run folder."""
    if not config.test_expert:
        raise ConfigError("test_expert: calibration needs the test expert's checkpoint")
    run = start_run(config, "eval", own_process=True)
    env = make_env(config.env, "test", config.seed)
    expert = load_policy(config.test_expert, env)
    target = config.coordination.calibration_file
    path = Path(target or Path(config.experiment_dir) / config.name / "calibration.json")
    entry = calibrate(expert, env, config.evaluation, str(config.test_expert), path)
    run.open_folder()  # the measurement is stored: now the run's log file is written too
    logger.info(
        "%s: reward per action %.6f (mean reward %.4f ± %.4f over %d episodes, mean length %.2f)",
        task_key(env), entry["reward_per_action"], entry["reward_mean"], entry["reward_ci"],
        entry["num_episodes"], entry["episode_length_mean"],
    )  # fmt: skip
    logger.info("stored in %s: runs use it with coordination.calibration_file=%s", path, path)
    return entry


def exact_optimum(config: DictConfig, num_layouts: int, named: bool = True) -> dict[str, Any]:
    """The best expected test reward of any coordinator with the test agents and costs
    (MiniGrid only), written as a finished run that ``duo report`` shows as an upper-reference row; a run
    the user did not name goes to ``optimum/<test task>/alpha<α>`` (a config's own name is a
    coordinator's)."""
    from duo_ai.coordination.oracle import coordination_optimum, task_layouts
    from duo_ai.envs.minigrid import split_task

    if config.env.name != "minigrid":
        raise ConfigError(
            f"env.name: the exact optimum is computed for minigrid tasks, not '{config.env.name}'"
        )
    for key in ("test_novice", "test_expert"):
        if not config[key]:
            raise ConfigError(
                f"{key}: the optimum is over coordinations of the test agents: name its checkpoint"
            )
    if isinstance(num_layouts, bool) or not isinstance(num_layouts, int) or num_layouts < 1:
        raise ConfigError(f"--layouts: the optimum averages at least 1 layout, got {num_layouts}")
    if not named:  # a folder that says what it holds
        alpha = float(config.coordination.expert_query_cost_weight)
        config = OmegaConf.merge(config, {"name": f"optimum/{split_task(config.env, 'test')}/alpha{alpha:g}"})
    run = start_run(config, "train", own_process=True, activity="exact optimum")
    env = make_env(config.env, "test", config.seed)
    novice, expert = load_policy(config.test_novice, env), load_policy(config.test_expert, env)
    coordination = config.coordination
    base_penalty = run_base_penalty(config, env, expert)
    task = split_task(config.env, "test")
    logger.info("searching the states of %d %s layouts", num_layouts, task)
    layouts = task_layouts(task, num_layouts, 0, OmegaConf.to_container(config.env.test.kwargs))
    optima = coordination_optimum(
        layouts, novice, expert, coordination.temperature,
        coordination.expert_query_cost_weight * base_penalty, coordination.switch_agent_cost_weight * base_penalty,
    )  # fmt: skip
    rewards = np.array([optimum.reward for optimum in optima])
    if not np.isfinite(rewards).all():
        raise ConfigError("the optimum came out non-finite (check the costs and agents); no result written")
    mean, std, ci = mean_std_ci(rewards)
    summary = {
        "num_episodes": len(optima),  # one exact expectation per layout
        "reward_mean": mean, "reward_std": std, "reward_ci": ci,
        "base_reward_mean": float(np.mean([optimum.base_reward for optimum in optima])),
        "action_1_fraction": float(np.mean([optimum.expert_fraction for optimum in optima])),
        "episode_length_mean": float(np.mean([optimum.episode_length for optimum in optima])),
        "episode_rewards": rewards.tolist(),
    }  # fmt: skip
    logger.info(
        "OPTIMUM on %s: reward %.4f ± %.4f, expert fraction %.3f",
        task,
        mean,
        ci,
        summary["action_1_fraction"],
    )
    return write_result(
        run.folder, config, summary, base_penalty, method=EXACT_OPTIMUM, exact_optimum=True,
        upper_reference=True, pairing=None, selection_split=None, layouts=num_layouts,
    )  # fmt: skip


def train_group(configs: list[DictConfig]) -> list[Path]:
    """Train PPO coordinator runs that differ only in seed and cost weight in one process, in
    lockstep (``algorithms/grouped_ppo.py``); each run's folder holds what it would alone. Their
    folders, in the order given."""
    first = check_group(configs)
    check_training(first)
    algorithm = GroupedPPO(first.algorithm)
    runs = start_group(configs)
    envs, wide = make_group_envs(first, len(configs))
    describe_training(first, envs, "coord")
    alphas = [float(config.coordination.expert_query_cost_weight) for config in configs]
    for env in wide.values():  # each run's copies charged its own alpha
        env.set_costs(env.base_penalty, np.repeat(alphas, first.env.num_envs))
    members = []
    for config, run, alpha in zip(configs, runs, alphas, strict=True):
        seed_everything(config.seed)  # each run's network starts from its own seed
        members.append(
            Member(make_policy(config.policy, wide["train"], run.device), run, int(config.seed), alpha)
        )
    algorithm.check_fits(wide["train"], members[0].policy.device, first.env.num_envs)
    validators = {split: Evaluator(first.evaluation, wide[split]) for split in first.validation_splits}
    for run in runs:
        run.open_folder()
    stop_holding_lines()
    try:
        algorithm.train(members, wide["train"], validators)
        for config, member in zip(configs, members, strict=True):
            with focus(member.run):
                for env in envs.values():
                    env.set_costs(env.base_penalty, member.alpha)
                selected_result(config, envs, member.run.folder)
    finally:
        for run in runs:
            run.close()
    return [run.folder for run in runs]


def check_group(configs: list[DictConfig]) -> DictConfig:
    """Refuse a group whose runs differ in more than ``GROUP_AXES`` (and their folders), share a
    folder, or cannot train in a group (``group_refusal``); the group's first config."""
    if not configs:
        raise ConfigError("a group needs at least one run")
    first = configs[0]
    refusal = group_refusal(first)
    if refusal:
        raise ConfigError(refusal)
    shared = {key: value for key, value in flatten(OmegaConf.to_container(first)).items()
              if key not in (*GROUP_AXES, "name")}  # fmt: skip
    folders = set()
    for config in configs:
        settings = flatten(OmegaConf.to_container(config))
        differ = sorted(key for key in set(shared) | set(settings) - {*GROUP_AXES, "name"}
                        if settings.get(key) != shared.get(key))  # fmt: skip
        if differ:
            raise ConfigError(
                f"{differ[0]}: the runs of a group may differ only in {', '.join(GROUP_AXES)} "
                f"(and name); {config.name} has {settings.get(differ[0])!r}, {first.name} {shared.get(differ[0])!r}"
            )
        folder = Path(config.experiment_dir) / config.name
        if folder in folders:
            raise ConfigError(f"name: two runs of the group write into {folder}; give each its own name")
        folders.add(folder)
    return first


def make_group_envs(config: DictConfig, runs: int) -> tuple[dict[str, CoordEnv], dict[str, CoordEnv]]:
    """A group's coordinator envs: every split as one run has it (each run's final test is
    played there, as ``duo eval`` would), and the train and validation splits with every run's
    copies (run k's are the k-th block of ``env.num_envs``)."""
    envs = make_coord_envs(config, make_base_envs(config))
    wider = OmegaConf.merge(config, {"env": {"num_envs": config.env.num_envs * runs}})
    splits = ("train", *config.validation_splits)
    wide = make_coord_envs(config, make_base_envs(wider, splits), envs["test"].base_penalty)
    return envs, wide
