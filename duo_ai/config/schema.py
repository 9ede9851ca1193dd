"""The top-level configuration: the tutorial's keys, each typed and documented."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from duo_ai.config.fields import component, param, section


@dataclass
class ComponentConfig:
    """Base of every registered component's config: ``name`` selects the class."""

    name: str = ""


@dataclass
class EvaluationConfig:
    num_episodes: int = param(256, "complete episodes per evaluation, spread over the copies", min=1)
    max_num_steps: int = param(
        1000, "longest an evaluated episode may run before it is cut (Procgen's own limit)", min=1
    )
    temperature: float = param(1.0, "sampling temperature of the evaluated policy; 0 = greedy", min=0)


@dataclass
class CoordinationConfig:
    expert_query_cost_weight: float = param(0.4, "alpha: cost of an expert step, times BP", min=0)
    switch_agent_cost_weight: float = param(0.0, "beta: cost of switching agent, times BP", min=0)
    temperature: float = param(1.0, "sampling temperature of novice and expert; 0 = greedy", min=0)
    open_novice: bool = param(True, "observe the novice's hidden features and logits")
    open_expert: bool = param(False, "observe the expert's features (runs it on every copy)")
    base_penalty: float | None = param(
        None, "BP; unset = the expert's calibrated reward per action on the test split", min=0
    )
    calibration_file: str | None = param(
        None, "a calibration file of your own (duo calibrate writes it), read before duo's"
    )


SIMULATED_PAIRINGS = ("weak_novice", "shifted_tasks", "task_family")  # see duo_ai/protocol/pairing.py


@dataclass
class ShiftedTasksConfig:
    expert: str | None = param(None, "expert checkpoint of the held-out variants (never the test expert)")
    env: dict[str, Any] = param(
        {}, "env settings of the held-out variants, merged over env for train and val_sim"
    )


@dataclass
class DuoConfig:
    name: str = param("default", "experiment name: its folder is <experiment_dir>/<name>")
    seed: int = param(
        0,
        "seed of every random number generator (the splits' envs use seed + 1000 i)",
        min=0,
        max=2**31 - 4000,
    )
    device: str = param("cpu", "torch device: cpu, cuda, cuda:N")
    torch_threads: int = param(
        0,
        "CPU threads for torch; 0 = every core not busy with other work at the start (runs side by side: "
        "cores / runs); fix it to repeat a run bit for bit",
        min=0,
    )
    experiment_dir: str = param("experiments", "parent folder of experiment folders")
    env: Any = component("environment", "procgen", "base environment suite and its splits")
    policy: Any = component("policy", "ppo", "the policy trained or evaluated")
    algorithm: Any = component("algorithm", "ppo", "the algorithm that trains the policy")
    evaluation: EvaluationConfig = section(EvaluationConfig)
    coordination: CoordinationConfig = section(CoordinationConfig)
    train_novice: str | None = param(None, "novice checkpoint for training and val_sim")
    train_expert: str | None = param(None, "expert checkpoint for training and val_sim")
    test_novice: str | None = param(None, "novice checkpoint for val_true and test")
    test_expert: str | None = param(None, "expert checkpoint for val_true and test")
    overwrite: bool = param(False, "replace an existing experiment folder")
    resume: bool = param(False, "continue training from the experiment folder's last.ckpt")
    eval_name: str = param("eval", "name of an evaluation's files: <eval_name>.log, <eval_name>.json")
    eval_splits: list[str] = param(["test"], "splits that --mode eval reports")
    selection_split: str = param(
        "val_sim", "split whose best checkpoint is reported on test (test = an upper reference, flagged)"
    )
    skyline: bool = param(False, "upper reference: train on the test distribution with the test pair")
    simulated_pairing: str = param(
        "weak_novice",
        "what train and val_sim show a coordinator: weak_novice (YRC-0: weaker novice, novice as expert, "
        "novice's task), shifted_tasks (the novice, held-out task variants and their expert) or task_family "
        "(the novice, generated task variants and a planner expert: algorithm.name=optimum_imitation)",
        choices=SIMULATED_PAIRINGS,
    )
    shifted_tasks: ShiftedTasksConfig = section(ShiftedTasksConfig)
    validation_splits: list[str] = param(
        ["val_sim", "val_true", "test"],
        "splits validated during training (best_<split>.ckpt each; a coordinator's test only if selected on it)",
    )
    use_wandb: bool = param(False, "also log to Weights & Biases")
