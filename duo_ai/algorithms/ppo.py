"""Proximal Policy Optimization (Schulman et al. 2017) for agents and coordinators alike.

Read ``PPO.train`` top to bottom: rollout, advantages, minibatch epochs, validation and saving.
Defaults are the Procgen ones (Cobbe et al. 2020; CleanRL's ppo_procgen).
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from gymnasium.vector import VectorEnv
from torch import nn

from duo_ai import registry
from duo_ai.algorithms.base import Algorithm, AlgorithmConfig, Validation, require_run
from duo_ai.algorithms.callbacks import Callback, notify
from duo_ai.algorithms.gae import compute_gae
from duo_ai.algorithms.ppo_loss import (
    MINIBATCH_KEYS,
    UPDATE_STATISTICS,
    kl_terms,
    ppo_losses,
    summarize_update,
)
from duo_ai.algorithms.reward_scaling import RewardScaler
from duo_ai.algorithms.rollout import RolloutBuffer, check_rollout_fits, tree_map
from duo_ai.checkpoint import read_checkpoint, remove_partial_saves, save_checkpoint
from duo_ai.config import param
from duo_ai.coordination.coord_env import CoordEnv
from duo_ai.errors import CheckpointError, ConfigError
from duo_ai.evaluation import Evaluator
from duo_ai.evaluation.episodes import EpisodeTracker
from duo_ai.models.base import to_tensor
from duo_ai.policies.base import action_distribution
from duo_ai.policies.ppo import PPOPolicy
from duo_ai.progress import progress
from duo_ai.run import Run
from duo_ai.run_folder import LAST_CHECKPOINT
from duo_ai.seeding import capture_rng, restore_rng

logger = logging.getLogger("duo_ai")
PRECISIONS = ("float32", "bf16")


@dataclass
class PPOConfig(AlgorithmConfig):
    total_timesteps: int = param(15_000_000, "environment steps to train for", min=1)
    num_steps: int = param(256, "steps per copy in each rollout", min=1)
    update_epochs: int = param(3, "passes over each rollout", min=1)
    num_minibatches: int = param(8, "minibatches per pass", min=1)
    gamma: float = param(0.999, "discount factor", min=0, max=1)
    gae_lambda: float = param(0.95, "GAE lambda", min=0, max=1)
    clip_coef: float = param(0.2, "policy ratio clipping", above=0)
    norm_adv: bool = param(True, "normalise advantages per minibatch")
    clip_vloss: bool = param(True, "clip the value loss like the policy ratio")
    vf_coef: float = param(0.5, "value loss weight", min=0)
    ent_coef: float = param(0.01, "entropy bonus weight", min=0)
    max_grad_norm: float = param(0.5, "gradient norm clipping", above=0)
    learning_rate: float = param(5e-4, "Adam learning rate", above=0)
    anneal_lr: bool = param(False, "decay the learning rate linearly to 0")
    bootstrap_truncated: bool = param(
        True, "bootstrap values at truncated ends; false: a time limit ends the game (Procgen's done)"
    )
    normalize_reward: bool = param(
        False, "learn from rewards divided by the running std of discounted returns (Procgen recipe)"
    )
    target_kl: float | None = param(None, "stop an update early past this KL", above=0)
    max_kl: float | None = param(
        None,
        "reject an update whose KL from the rollout policy exceeds this (weights and optimizer restored)",
        above=0,
    )
    log_freq: int = param(10, "iterations between validations (best_<split>, last)", min=1)
    save_freq: int = param(10, "iterations between saves of last.ckpt (the resume point)", min=1)
    precision: str = param(
        "float32", "forward passes in float32, or bf16 (autocast; losses stay float32)", choices=PRECISIONS
    )


def autocast(precision: str, device: torch.device) -> torch.autocast:
    """The mixed-precision context of forward passes: bf16 matrix work where ``precision`` asks
    for it (tensor cores on CUDA, AVX512-BF16 on recent CPUs), a no-op for float32."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")


def explained_variance(samples: dict[str, Any]) -> float:
    """How much of the returns' variance the value estimates explain (1: all; <= 0: none), over
    the rollout's decision steps: a value function that stopped learning shows here first."""
    returns, values = samples["returns"][samples["rows"]], samples["values"][samples["rows"]]
    variance = returns.var() if len(returns) > 1 else returns.new_tensor(0.0)
    return float(1 - (returns - values).var() / variance) if variance > 0 else float("nan")


def snapshot(model: nn.Module, optimizer: torch.optim.Optimizer) -> tuple[dict, dict]:
    """Copies of the weights and optimizer state, to undo an update."""
    weights = {key: value.detach().clone() for key, value in model.state_dict().items()}
    return weights, copy.deepcopy(optimizer.state_dict())


def restore(model: nn.Module, optimizer: torch.optim.Optimizer, saved: tuple[dict, dict]) -> None:
    model.load_state_dict(saved[0])
    optimizer.load_state_dict(saved[1])


def model_inputs(keys: tuple[str, ...] | None, obs: Any) -> Any:
    """The part of an observation the model reads (``keys`` of a dict observation; None: all):
    only that is stored for the update (a ``dist`` coordinator on Procgen would otherwise keep
    every frame of the rollout)."""
    return {key: obs[key] for key in keys} if keys is not None and isinstance(obs, dict) else obs


Actor = Callable[[Any], tuple[torch.Tensor, torch.Tensor]]  # observations -> (logits, values)


def model_actor(model: nn.Module) -> Actor:
    def act(obs: Any) -> tuple[torch.Tensor, torch.Tensor]:
        out = model(obs)
        return out.logits, out.value

    return act


class Rollout:
    """The environment's copies as PPO plays them: the current observations, which copies are on a
    reset step, their episodes so far, and the buffer each rollout fills. ``actor`` gives the
    logits and values of every copy (one network's, or a group's, see ``grouped_ppo``)."""

    def __init__(
        self,
        env: VectorEnv,
        actor: Actor,
        input_keys: tuple[str, ...] | None,
        buffer: RolloutBuffer,
        scaler: Any | None,
        episodes: Any | None = None,
    ):
        self.env, self.actor, self.input_keys = env, actor, input_keys
        self.buffer, self.scaler = buffer, scaler
        self.episodes = episodes or EpisodeTracker(env.num_envs)
        self.obs = to_tensor(env.reset()[0], buffer.device)
        self.resetting = np.zeros(env.num_envs, bool)

    def collect(
        self, num_steps: int, precision: str, on_step: Callable[[int], object] | None = None
    ) -> torch.Tensor:
        """Fill the buffer with ``num_steps`` of every copy; the value of the observation after.
        ``on_step`` hears of every step's samples (a progress bar moves during long rollouts)."""
        buffer = self.buffer
        with torch.inference_mode(), autocast(precision, buffer.device):
            for step in range(num_steps):
                logits, value = self.actor(self.obs)
                dist = action_distribution(logits.float())
                action = dist.sample()
                buffer.store_obs(step, model_inputs(self.input_keys, self.obs))
                buffer.actions[step], buffer.logprobs[step] = action, dist.log_prob(action)
                buffer.values[step] = value
                buffer.valid[step] = torch.from_numpy(~self.resetting)
                action_np = action.cpu().numpy()
                next_obs, reward, terminated, truncated, info = self.env.step(action_np)
                base_reward = np.asarray(info.get("base_reward", reward), np.float64)
                ended = np.asarray(terminated) | np.asarray(truncated)
                learned = self.scaler(reward, terminated, truncated) if self.scaler else reward
                buffer.rewards[step] = torch.as_tensor(learned, dtype=torch.float32)
                buffer.terminated[step] = torch.as_tensor(terminated)
                buffer.truncated[step] = torch.as_tensor(truncated)
                decided = np.flatnonzero(~self.resetting)  # a reset step is no decision
                self.episodes.step(decided, reward[decided], base_reward[decided], action_np[decided])
                self.episodes.end(np.flatnonzero(ended & ~self.resetting))
                self.resetting = ended
                self.obs = to_tensor(next_obs, buffer.device)
                if on_step is not None:
                    on_step(self.env.num_envs)
            return self.actor(self.obs)[1].float()


def say_duration(first_seconds: float, left: int) -> None:
    """One line after the first iteration: how long the rest of the run takes at its rate."""
    if left > 0:
        logger.info("the first iteration took %.1f s: the %d left take about %.1f minutes at this rate "
                    "(validations aside)", first_seconds, left, first_seconds * left / 60)  # fmt: skip


def report_iteration(
    bar: Any,
    window: dict[str, float],
    iteration: int,
    num_iterations: int,
    global_step: int,
    env: VectorEnv,
) -> None:
    """The progress bar's figures and one log line of an iteration's training window."""
    coordinator = isinstance(env, CoordEnv)
    share = {"expert": f"{window['action_1_fraction']:.2f}"} if coordinator else {}  # an agent has no expert
    bar.set_postfix(reward=f"{window['episode_reward']:.2f}", **share)
    logger.info(
        "iteration %d/%d, step %d: train reward %.3f over %d episodes, %s %.2f, %.0f steps/s",
        iteration, num_iterations, global_step, window["episode_reward"], window["episodes"],
        "expert fraction" if coordinator else "action 1 fraction", window["action_1_fraction"],
        window["steps_per_second"],
    )  # fmt: skip


def check_ppo_fits(config: Any, env: VectorEnv, device: torch.device, copies_per_run: int) -> None:
    """Refuse, before anything is allocated, minibatches that would be empty (a run's update splits
    its ``num_steps`` x ``copies_per_run`` samples) and a rollout of ``env`` larger than ``device``'s
    free memory."""
    batch = config.num_steps * copies_per_run
    if config.num_minibatches > batch:
        raise ConfigError(
            f"algorithm.num_minibatches: {config.num_minibatches} minibatches of a rollout of "
            f"{batch} samples (algorithm.num_steps x env.num_envs) would leave some empty; use at most {batch}"
        )
    check_rollout_fits(config.num_steps, env, device)


@registry.register_algorithm("ppo")
class PPO(Algorithm):
    config_class = PPOConfig

    def check_fits(self, env: VectorEnv, device: torch.device) -> None:
        check_ppo_fits(self.config, env, device, env.num_envs)

    def train(
        self,
        policy: PPOPolicy,
        env: VectorEnv,
        validators: dict[str, Evaluator],
        run: Run | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> None:
        cfg, run = self.config, require_run(run)
        batch_size = cfg.num_steps * env.num_envs
        num_iterations = -(-cfg.total_timesteps // batch_size)
        optimizer = torch.optim.Adam(policy.model.parameters(), lr=cfg.learning_rate, eps=1e-5)
        validation = Validation(validators, run, pending=True, callbacks=callbacks)
        scaler = RewardScaler(env.num_envs, cfg.gamma) if cfg.normalize_reward else None
        start_iteration = self._resume(run, policy, optimizer, validation, scaler) if run.resuming else 0
        buffer = RolloutBuffer(cfg.num_steps, env.num_envs, policy.device)
        rollout = Rollout(env, model_actor(policy.model), policy.model.input_keys, buffer, scaler)
        bar = progress(num_iterations * batch_size, "training", "step", initial=start_iteration * batch_size)
        for iteration in range(start_iteration, num_iterations):
            iteration_start = time.time()
            if cfg.anneal_lr:
                optimizer.param_groups[0]["lr"] = cfg.learning_rate * (1 - iteration / num_iterations)

            # 1. Rollout: num_steps of every copy with the current policy.
            policy.train()
            next_value = rollout.collect(cfg.num_steps, cfg.precision, bar.update)

            # 2. Advantages (GAE), leaving out the reset steps of next-step autoreset.
            advantages, returns = compute_gae(
                buffer.rewards, buffer.values, next_value, buffer.terminated, buffer.truncated,
                cfg.gamma, cfg.gae_lambda, cfg.bootstrap_truncated,
            )  # fmt: skip
            samples = buffer.flat_valid(advantages, returns)

            # 3. Update: clipped surrogate, clipped value loss, entropy bonus; an update that moved
            #    the policy further than max_kl is undone (TRPO's rule).
            losses = self.improve(policy.model, optimizer, samples, scaler)
            global_step = (iteration + 1) * batch_size

            # 4. Record the iteration; every log_freq, report it, validate and save. A callback
            #    may end training here (after the save).
            window = rollout.episodes.read()
            window["steps_per_second"] = batch_size / max(time.time() - iteration_start, 1e-9)
            if iteration == start_iteration:
                say_duration(batch_size / window["steps_per_second"], num_iterations - iteration - 1)
            metrics = {f"train/{k}": v for k, v in {**window, **losses}.items()}
            run.log_metrics(global_step, metrics)
            stop = notify(callbacks, "on_iteration", global_step, metrics)
            done = iteration + 1 == num_iterations
            if (iteration + 1) % cfg.log_freq == 0 or done:
                report_iteration(bar, window, iteration + 1, num_iterations, global_step, env)
                validation(policy, global_step)
            stop |= validation.stop_requested
            if (iteration + 1) % cfg.save_freq == 0 or (iteration + 1) % cfg.log_freq == 0 or done or stop:
                self._save(run, policy, env, optimizer, validation, scaler, iteration + 1, global_step)
            if stop:
                logger.info("a callback stopped training at step %d", global_step)
                break
        bar.close()

    def improve(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        samples: dict[str, Any],
        scaler: RewardScaler | None,
    ) -> dict[str, float]:
        """One update on the batch (undone if it moved the policy past ``max_kl``), with its statistics.
        Public so that a profiler can time it (benchmarks/speed.py, breakdown.py wrap it)."""
        before = snapshot(model, optimizer) if self.config.max_kl is not None else None
        losses = self._update(model, optimizer, samples)
        if before is not None:
            losses["update_kl"] = self._batch_kl(model, samples)
            losses["rejected"] = float(losses["update_kl"] > self.config.max_kl)
            if losses["rejected"]:
                restore(model, optimizer, before)
        losses["explained_variance"] = explained_variance(samples)
        if scaler is not None:
            losses["return_std"] = float(np.sqrt(scaler.returns.var))
        return losses

    @staticmethod
    def _save(
        run: Run,
        policy: PPOPolicy,
        env: VectorEnv,
        optimizer: torch.optim.Optimizer,
        validation: Validation,
        scaler: RewardScaler | None,
        iteration: int,
        global_step: int,
    ) -> None:
        """``last.ckpt`` with everything ``resume=1`` needs; then the bests it records become final."""
        state = resume_state(run, optimizer.state_dict(), validation, scaler, iteration, global_step)
        save_checkpoint(run.folder / LAST_CHECKPOINT, policy, env, training_state=state)
        validation.commit()

    def _update(
        self, model: nn.Module, optimizer: torch.optim.Optimizer, samples: dict[str, Any]
    ) -> dict[str, float]:
        cfg = self.config
        device = next(model.parameters()).device
        valid_rows = samples["rows"]
        num_samples = len(valid_rows)
        stats: dict[str, list[float]] = {key: [] for key in UPDATE_STATISTICS}
        for _ in range(cfg.update_epochs):
            order = torch.randperm(num_samples, device=valid_rows.device)
            for index in torch.tensor_split(valid_rows[order], cfg.num_minibatches):
                if len(index) == 0:
                    continue
                with autocast(cfg.precision, device):
                    out = model(tree_map(lambda x, i=index: x[i], samples["obs"]))
                batch = {key: samples[key][index] for key in MINIBATCH_KEYS}
                losses = ppo_losses(cfg, out.logits.float(), out.value.float(), batch)
                optimizer.zero_grad(set_to_none=True)
                losses["loss"].backward()
                losses["grad_norm"] = nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
                optimizer.step()
                for key in stats:
                    stats[key].append(losses[key].item())
            if cfg.target_kl is not None and stats["approx_kl"] and stats["approx_kl"][-1] > cfg.target_kl:
                break
        return summarize_update(stats)

    def _batch_kl(self, model: nn.Module, samples: dict[str, Any]) -> float:
        """The approximate KL from the rollout policy to ``model`` over the whole batch."""
        rows = samples["rows"]
        device = next(model.parameters()).device
        total = 0.0
        with torch.no_grad(), autocast(self.config.precision, device):
            for index in torch.tensor_split(rows, self.config.num_minibatches):
                logits = model(tree_map(lambda x, i=index: x[i], samples["obs"])).logits.float()
                log_ratio = (
                    action_distribution(logits).log_prob(samples["actions"][index])
                    - samples["logprobs"][index]
                )
                total += float(kl_terms(log_ratio).sum())
        return total / max(len(rows), 1)

    def _resume(
        self,
        run: Run,
        policy: PPOPolicy,
        optimizer: torch.optim.Optimizer,
        validation: Validation,
        scaler: RewardScaler | None,
    ) -> int:
        """Restore everything ``last.ckpt`` saved and drop what came after it (metrics, bests,
        partial files); returns the iteration to continue from."""
        state = read_resume_point(run, policy, validation)
        if state is None:
            return 0
        try:
            optimizer.load_state_dict(state["optimizer"])
        except (ValueError, KeyError) as error:
            raise CheckpointError(
                f"{run.folder / LAST_CHECKPOINT}: optimizer state does not fit this model: {error}"
            ) from None
        restore_rng(state["rng"])
        if scaler is not None and state.get("reward_scaler"):
            scaler.load_state_dict(state["reward_scaler"])
        return int(state["iteration"])


def read_resume_point(run: Run, policy: PPOPolicy, validation: Validation) -> dict[str, Any] | None:
    """Load ``last.ckpt``'s weights into ``policy`` and put the run back where it was saved (its
    bests, metrics and clock; partial files removed); its training state, or None where the run
    has no resume point yet (it then starts from the beginning)."""
    path = Path(run.folder) / LAST_CHECKPOINT
    remove_partial_saves(run.folder)
    if not path.exists():
        logger.warning("resume=1 but %s has no last.ckpt yet: starting from the beginning", run.folder)
        run.forget_metrics_after(0)
        validation.discard_pending()
        return None
    payload = read_checkpoint(path, map_location=policy.device)
    state = payload.get("training_state")
    if state is None:
        raise CheckpointError(f"{path} has no training state to resume from")
    if payload["policy"]["name"] != policy.config.name:
        raise CheckpointError(
            f"{path} holds a '{payload['policy']['name']}' policy, not '{policy.config.name}'"
        )
    policy.set_params(payload["params"])
    validation.best = dict(state["best"])
    validation.commit()
    run.forget_metrics_after(state["global_step"])
    run.continue_clock(state.get("elapsed_seconds", 0.0))
    logger.info("resumed from %s at iteration %d, step %d", path, state["iteration"], state["global_step"])
    return state


def resume_state(
    run: Run,
    optimizer_state: dict[str, Any],
    validation: Validation,
    scaler: RewardScaler | None,
    iteration: int,
    global_step: int,
) -> dict[str, Any]:
    """What ``last.ckpt`` keeps beside the weights so that ``resume=1`` continues the run."""
    return {
        "iteration": iteration,
        "global_step": global_step,
        "optimizer": optimizer_state,
        "rng": capture_rng(),
        "best": validation.best,
        "reward_scaler": scaler.state_dict() if scaler else None,
        "elapsed_seconds": run.elapsed(),
    }
