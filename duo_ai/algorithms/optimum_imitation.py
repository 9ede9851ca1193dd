"""Learning to coordinate from the exact optimum of simulated tasks (``algorithm.name=optimum_imitation``).

The coordinator is trained on a *family* of generated variants of the novice's task (never the
test task: checked), with the run's novice and a shortest-path planner as the simulated expert,
at the run's costs. On every layout of the family the optimum is known exactly, so each
iteration (AggreVaTe with exact values; Ross & Bagnell 2014):

1. follow the current coordinator exactly on every training layout: how often it reaches each
   state at each step;
2. weight the optimum's advantage of asking in each state by those visits and add it to the
   signal of the earlier iterations (data aggregation, as DAgger does);
3. move the coordinator's probability of asking towards the aggregated signal;
4. evaluate it exactly on held-out layouts of the family (val_sim) and keep the best.

It reads only what any duo coordinator reads (the view, the novice's outputs), so the selected
checkpoint is tested like every other coordinator. Short (seconds to minutes): like the fitted
baselines, a resumed run starts again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from gymnasium.vector import VectorEnv
from omegaconf import OmegaConf

from duo_ai import registry
from duo_ai.algorithms.base import Algorithm, AlgorithmConfig, Validation, require_run
from duo_ai.algorithms.callbacks import Callback, notify
from duo_ai.checkpoint import save_checkpoint
from duo_ai.config import param
from duo_ai.coordination.coord_env import CoordEnv
from duo_ai.coordination.guidance import follow, optimum_advantages
from duo_ai.coordination.oracle import Layout, action_probabilities, combine
from duo_ai.coordination.planner import check_excludes, family_layouts, planner_probabilities
from duo_ai.errors import ConfigError
from duo_ai.evaluation import Evaluator
from duo_ai.policies.base import EXPERT, Policy
from duo_ai.run import Run
from duo_ai.run_folder import LAST_CHECKPOINT, best_checkpoint

logger = logging.getLogger("duo_ai")
SELECTION_SPLIT = "val_sim"
NEGLIGIBLE = 1e-12  # a view's share of the update's weight below which it is left out


@dataclass
class OptimumImitationConfig(AlgorithmConfig):
    family: list[Any] = param(
        [],
        "simulated tasks, [{task: <MiniGrid id>, kwargs: {...}, layouts: n}, ...] (layouts: this "
        "task's own count, optional); never the test task",
    )
    layouts: int = param(
        8, "layouts (reset seeds 0, 1, ...) of each family task to learn on, unless it gives its own", min=1
    )
    val_family: list[Any] = param(
        [], "simulated tasks to select on (val_sim) instead of the family's own; never the test task"
    )
    val_layouts: int = param(4, "layouts of each selection task (after the family's seeds)", min=1)
    iterations: int = param(10, "rounds of follow, aggregate, update, select", min=1)
    update_steps: int = param(100, "Adam steps on the aggregated signal per iteration", min=1)
    learning_rate: float = param(1e-3, "Adam's step size", above=0.0)


@dataclass
class _Group:
    """Layouts of one step limit, combined into one state space, with what a round needs of them."""

    layout: Layout
    starts: np.ndarray  # each combined layout's start state
    weights: np.ndarray  # each one's share of all the problem's listed layouts
    probs: tuple[np.ndarray, np.ndarray]  # the novice's and the planner's distributions per state
    advantages: np.ndarray | None  # the optimum's [T, S] advantage of asking
    views: np.ndarray  # each state's index among the problem's distinct views


@dataclass
class _Problem:
    groups: list[_Group]
    views: dict[str, Any]  # the coordinator's observation of each distinct view


def family_settings(family: Any, key: str = "algorithm.family") -> list[dict[str, Any]]:
    """The family as plain ``{task, kwargs}`` settings (with ``layouts`` where a member gives its
    own count, e.g. fewer of a large task to bound the states), refused when malformed."""
    members = OmegaConf.to_container(family) if OmegaConf.is_config(family) else list(family)
    if not members:
        raise ConfigError(f"{key}: name the simulated tasks, e.g. [{{task: MiniGrid-LavaGapS5-v0}}]")
    for index, member in enumerate(members):
        if (
            not isinstance(member, dict)
            or not isinstance(member.get("task"), str)
            or set(member) - {"task", "kwargs", "layouts"}
        ):
            raise ConfigError(
                f"{key}[{index}]: expected {{task: <MiniGrid id>, kwargs: {{...}}, layouts: n}}, got {member}"
            )
        if not isinstance(member.get("kwargs") or {}, dict):
            raise ConfigError(f"{key}[{index}].kwargs: expected a mapping, got {member['kwargs']}")
        count = member.get("layouts", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ConfigError(f"{key}[{index}].layouts: expected a whole number >= 1, got {count!r}")
    return [
        {"task": member["task"], "kwargs": dict(member.get("kwargs") or {}),
         **({"layouts": member["layouts"]} if "layouts" in member else {})}
        for member in members
    ]  # fmt: skip


def selection_family(config: OptimumImitationConfig) -> tuple[list[dict[str, Any]], int, int]:
    """What a run selects on, as ``family_layouts`` takes it (members, layouts per member, first
    reset seed): ``val_family``, or the family's own tasks on resets after the most that any
    member learned on."""
    family = family_settings(config.family)
    first_seed = max(member.get("layouts", config.layouts) for member in family)
    if config.val_family:
        return family_settings(config.val_family, "algorithm.val_family"), config.val_layouts, first_seed
    return [{**member, "layouts": config.val_layouts} for member in family], config.val_layouts, first_seed


def check_leaves_out_test(family: list[dict[str, Any]], run_config: Any, key: str) -> None:
    from duo_ai.envs.minigrid import split_task

    if run_config.env.name != "minigrid":
        raise ConfigError(
            f"algorithm.name: optimum_imitation learns on minigrid tasks, not '{run_config.env.name}'"
        )
    test_kwargs = OmegaConf.to_container(run_config.env.test.kwargs) or {}
    check_excludes(family, split_task(run_config.env, "test"), test_kwargs, key)


@registry.register_algorithm("optimum_imitation")
class OptimumImitation(Algorithm):
    config_class = OptimumImitationConfig
    learns_from_episodes = False  # it learns on the family's exact layouts

    @classmethod
    def report_label(cls, policy_label: str) -> str:
        return f"optimum_imitation on {policy_label}"

    def __init__(self, config: OptimumImitationConfig):
        super().__init__(config)
        self.family = family_settings(config.family)
        self.val_family = (
            family_settings(config.val_family, "algorithm.val_family") if config.val_family else None
        )

    def train(
        self,
        policy: Policy,
        env: VectorEnv,
        validators: dict[str, Evaluator],
        run: Run | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> None:
        run = require_run(run)
        self._check(policy, env, run)
        cost = float(env.expert_query_cost)
        logger.info("exploring the layouts of %d family tasks", len(self.family) + len(self.val_family or []))
        learn = self._problem(self.family, self.config.layouts, 0, env, policy, cost)
        select = self._problem(*selection_family(self.config), env, policy, None)
        logger.info(
            "%d distinct views to learn on, %d to select on",
            len(learn.views["base_obs"]),
            len(select.views["base_obs"]),
        )
        others = Validation(
            {split: v for split, v in validators.items() if split != SELECTION_SPLIT},
            run,
            callbacks=callbacks,
        )
        optimizer = torch.optim.Adam(policy.model.parameters(), lr=self.config.learning_rate)
        signal = np.zeros(len(learn.views["base_obs"]))
        best = -np.inf
        for iteration in range(1, self.config.iterations + 1):
            reward, weighted = self._follow(policy, learn, cost)
            signal += weighted
            loss = self._update(policy, optimizer, learn.views, signal)
            val_reward, _ = self._follow(policy, select, cost)
            metrics = {
                "train/exact_reward": reward,
                "train/imitation_loss": loss,
                f"{SELECTION_SPLIT}/reward_mean": val_reward,
            }
            run.log_metrics(iteration, metrics)
            logger.info(
                "iteration %d: exact reward on the family %.4f (learn) %.4f (val_sim)",
                iteration,
                reward,
                val_reward,
            )
            if val_reward > best:
                best = val_reward
                save_checkpoint(run.folder / best_checkpoint(SELECTION_SPLIT), policy, env)
            stop = notify(callbacks, "on_iteration", iteration, metrics)
            if others.validators:
                others(policy, step=iteration)
            if stop or others.stop_requested:
                break
        logger.info("BEST %s: exact reward %.4f on the family's held-out layouts", SELECTION_SPLIT, best)
        save_checkpoint(run.folder / LAST_CHECKPOINT, policy, env)

    def _check(self, policy: Policy, env: VectorEnv, run: Run) -> None:
        if not isinstance(env, CoordEnv) or not hasattr(policy, "model"):
            raise ConfigError(
                "algorithm.name: optimum_imitation trains a learned coordinator (policy.name=ppo)"
            )
        if run.config.get("selection_split", SELECTION_SPLIT) != SELECTION_SPLIT:
            raise ConfigError(
                "selection_split: optimum_imitation selects on its held-out family layouts (val_sim)"
            )
        check_leaves_out_test(self.family, run.config, "algorithm.family")
        if self.val_family:
            check_leaves_out_test(self.val_family, run.config, "algorithm.val_family")

    def _problem(
        self,
        family: list[dict[str, Any]],
        per_task: int,
        first_seed: int,
        env: CoordEnv,
        policy: Policy,
        cost: float | None,
    ) -> _Problem:
        listed = family_layouts(family, per_task, first_seed)
        combined = []
        for steps in sorted({layout.max_steps for layout in listed}):
            layout, starts, weights = combine([layout for layout in listed if layout.max_steps == steps])
            share = sum(layout.max_steps == steps for layout in listed) / len(listed)
            combined.append((layout, starts, weights * share))
        observations = np.concatenate([layout.observations for layout, _, _ in combined])
        distinct, index = np.unique(observations.reshape(len(observations), -1), axis=0, return_inverse=True)
        offsets = np.cumsum([0] + [len(layout.observations) for layout, _, _ in combined])
        groups = []
        for i, (layout, starts, weights) in enumerate(combined):
            probs = (
                action_probabilities(env.novice, layout.observations, env.temperature),
                planner_probabilities(layout),
            )
            advantages = None if cost is None else optimum_advantages(layout, probs, cost)
            views = index.reshape(-1)[offsets[i] : offsets[i + 1]]
            groups.append(_Group(layout, starts, weights, probs, advantages, views))
        views = coordinator_observations(env, policy, distinct.reshape(-1, *observations.shape[1:]))
        return _Problem(groups, views)

    def _follow(self, policy: Policy, problem: _Problem, cost: float) -> tuple[float, np.ndarray]:
        """The coordinator's mean exact reward over the problem's layouts, and the visit-weighted
        advantage of asking summed per distinct view."""
        asks = ask_probabilities(policy, problem.views)
        reward, weighted = 0.0, np.zeros(len(asks))
        for group in problem.groups:
            group_reward, per_state = follow(
                group.layout,
                group.probs,
                asks[group.views],
                cost,
                group.advantages,
                group.starts,
                group.weights,
            )
            reward += group_reward
            if per_state is not None:
                np.add.at(weighted, group.views, per_state)
        return reward, weighted

    def _update(
        self, policy: Policy, optimizer: torch.optim.Optimizer, views: dict[str, Any], signal: np.ndarray
    ) -> float:
        """Classify each view as asking or not by the sign of its aggregated signal, weighted by the
        signal's size (cost-sensitive classification: a log loss keeps pulling a view that sits on
        the wrong side, where the expected advantage itself would stop moving it)."""
        weights = np.abs(signal) / max(np.abs(signal).sum(), 1e-12)
        kept = weights > NEGLIGIBLE  # the rest carry under 1e-8 of the loss together: not worth a pass
        labels = torch.as_tensor(signal[kept] > 0, dtype=torch.long, device=policy.device)
        weights = torch.as_tensor(weights[kept], dtype=torch.float32, device=policy.device)
        observations = {
            key: torch.as_tensor(value[kept], device=policy.device) for key, value in views.items()
        }
        policy.train()
        for _ in range(self.config.update_steps):
            logits = policy.model(observations).logits.float()
            loss = (weights * torch.nn.functional.cross_entropy(logits, labels, reduction="none")).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        policy.eval()
        return float(loss.detach())


def coordinator_observations(env: CoordEnv, policy: Policy, views: np.ndarray) -> dict[str, Any]:
    """What CoordEnv would show the coordinator in states with these views."""
    with torch.inference_mode():
        novice = env.novice.forward_agent(views)
    available = {"base_obs": views, "novice_logits": novice.logits.float().cpu().numpy(),
                 "novice_hidden": novice.hidden.float().cpu().numpy()}  # fmt: skip
    return {key: available[key] for key in policy.observation_space.spaces}


def ask_probabilities(policy: Policy, views: dict[str, Any]) -> np.ndarray:
    with torch.inference_mode():
        logits = policy.model(
            {key: torch.as_tensor(v, device=policy.device) for key, v in views.items()}
        ).logits
    return torch.softmax(logits.double(), dim=-1)[:, EXPERT].cpu().numpy()
