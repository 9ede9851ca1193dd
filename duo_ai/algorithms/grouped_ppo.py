"""PPO for a group of coordinator runs trained in one process, in lockstep.

The runs of a group share a task pair, its agents and their network's shape, and differ in seed
and cost weight (alpha). Their copies are one env (each run's copies charged its own alpha), so
the simulator and the novice and expert act once per step for every run; the runs' networks are
one stacked computation (``StackedModels``). Each run keeps what it would have alone: its own
initial weights (its seed), Adam state, advantages and their normalisation, minibatch order
(a generator seeded by its seed), gradient clipping, metrics, validation, checkpoints and
result, in the files of a lone run, so that ``duo report``, ``duo plot`` and ``resume`` see
ordinary runs. What they share: the random stream that samples actions (the process's, seeded by
the first run's seed), and the validation envs, whose copies are split among the runs like the
training env's (``Evaluator.evaluate_groups``: each run still plays its own number of episodes).

Read ``GroupedPPO.train`` beside ``PPO.train``: the same four steps, for every run at once.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from duo_ai.algorithms.base import Validation
from duo_ai.algorithms.gae import compute_gae
from duo_ai.algorithms.ppo import (
    Actor,
    Rollout,
    autocast,
    check_ppo_fits,
    explained_variance,
    model_inputs,
    read_resume_point,
    report_iteration,
    resume_state,
    say_duration,
)
from duo_ai.algorithms.ppo_loss import MINIBATCH_KEYS, UPDATE_STATISTICS, ppo_losses, summarize_update
from duo_ai.algorithms.reward_scaling import RewardScaler
from duo_ai.algorithms.rollout import RolloutBuffer, tree_map
from duo_ai.checkpoint import read_checkpoint, save_checkpoint
from duo_ai.coordination.coord_env import CoordEnv
from duo_ai.errors import CheckpointError
from duo_ai.evaluation import Evaluator
from duo_ai.evaluation.episodes import GroupEpisodes
from duo_ai.models.base import to_tensor
from duo_ai.models.stacked import StackedModels
from duo_ai.policies.base import Policy, sample_actions
from duo_ai.policies.ppo import PPOPolicy
from duo_ai.progress import progress
from duo_ai.run import Run
from duo_ai.run_folder import LAST_CHECKPOINT
from duo_ai.run_log import focus
from duo_ai.seeding import restore_rng

logger = logging.getLogger("duo_ai")
GROUP_SAVE = ".last.ckpt.group"  # each run's part of a group's save, until every run has one


@dataclass
class Member:
    """One run of a group: its policy, folder, seed and cost weight."""

    policy: PPOPolicy
    run: Run
    seed: int
    alpha: float


class GroupScaler:
    """A ``RewardScaler`` per run, each over its own copies' returns."""

    def __init__(self, runs: int, copies_per_run: int, gamma: float):
        self.copies = copies_per_run
        self.scalers = [RewardScaler(copies_per_run, gamma) for _ in range(runs)]

    def __call__(self, reward: np.ndarray, terminated: np.ndarray, truncated: np.ndarray) -> np.ndarray:
        parts = [slice(k * self.copies, (k + 1) * self.copies) for k in range(len(self.scalers))]
        return np.concatenate([
            scaler(reward[part], np.asarray(terminated)[part], np.asarray(truncated)[part])
            for scaler, part in zip(self.scalers, parts, strict=True)
        ])  # fmt: skip


class GroupPolicy(Policy):
    """The runs' networks as one policy over the group's copies (run k acts on its block of
    ``copies_per_run``): what a group's validation evaluates, every run at once."""

    copy_aware = True

    def __init__(self, stacked: StackedModels, env: CoordEnv, copies_per_run: int, device: torch.device):
        super().__init__(None, env, device)
        self.stacked, self.copies = stacked, copies_per_run

    @torch.inference_mode()
    def act(self, obs: Any, temperature: float = 1.0, copies: np.ndarray | None = None) -> np.ndarray:
        copies = np.arange(len(next(iter(obs.values())))) if copies is None else np.asarray(copies)
        runs = copies // self.copies
        slots = GroupEpisodes.rank_within_group(np.ones(len(copies), np.int64), runs) - 1
        rows, width = (torch.from_numpy(runs), torch.from_numpy(slots)), int(slots.max()) + 1

        def padded(x: torch.Tensor) -> torch.Tensor:
            batch = x.new_zeros((self.stacked.size, width, *x.shape[1:]))
            batch[rows] = x
            return batch

        logits, _ = self.stacked(
            tree_map(padded, to_tensor(model_inputs(self.stacked.input_keys, obs), self.device))
        )
        return sample_actions(logits[rows].float(), temperature).cpu().numpy()


def group_actor(stacked: StackedModels) -> Actor:
    """The logits and values of every copy: run k's network on run k's copies."""

    def act(obs: Any) -> tuple[torch.Tensor, torch.Tensor]:
        logits, values = stacked(tree_map(lambda x: x.unflatten(0, (stacked.size, -1)), obs))
        return logits.flatten(0, 1), values.flatten(0, 1)

    return act


def run_samples(
    buffer: RolloutBuffer, advantages: torch.Tensor, returns: torch.Tensor, runs: int
) -> dict[str, Any]:
    """The rollout as each run's samples: tensors [runs, steps * copies, ...], and ``rows``, each
    run's decision steps (reset steps are left out)."""

    def per_run(x: torch.Tensor) -> torch.Tensor:
        steps = x.shape[0]
        return (
            x.unflatten(1, (runs, -1)).movedim(1, 0).reshape(runs, steps * (x.shape[1] // runs), *x.shape[2:])
        )

    valid = per_run(buffer.valid)
    return {
        "rows": [run_valid.nonzero().squeeze(1) for run_valid in valid],
        "obs": tree_map(per_run, buffer.obs),
        "actions": per_run(buffer.actions),
        "logprobs": per_run(buffer.logprobs),
        "values": per_run(buffer.values),
        "advantages": per_run(advantages),
        "returns": per_run(returns),
    }


def run_minibatches(
    rows: list[torch.Tensor], num_minibatches: int, generators: list[torch.Generator], capacity: int
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """One pass of every run over its own rows in its own random order, split as a lone run splits
    them; minibatch j of every run side by side: indices [runs, M] and a mask of the real ones.
    M is the largest minibatch a rollout of ``capacity`` samples a run can give, whatever the rows:
    the same shapes at every update, which oneDNN and cuDNN plan once."""
    splits = [
        torch.tensor_split(run_rows[torch.randperm(len(run_rows), generator=generator)], num_minibatches)
        for run_rows, generator in zip(rows, generators, strict=True)
    ]
    width = -(-capacity // num_minibatches)
    minibatches = []
    for parts in zip(*splits, strict=True):
        index = torch.zeros(len(parts), width, dtype=torch.long)
        mask = torch.zeros(len(parts), width)
        for run, part in enumerate(parts):
            index[run, : len(part)], mask[run, : len(part)] = part, 1.0
        if any(len(part) for part in parts):
            minibatches.append((index, mask))
    return minibatches


def clip_run_grad_norms(params: list[torch.Tensor], max_norm: float) -> torch.Tensor:
    """``clip_grad_norm_`` for each run on its own slice of the stacked gradients; the norms before."""
    norms = (
        torch.stack([param.grad.reshape(len(param.grad), -1).pow(2).sum(1) for param in params]).sum(0).sqrt()
    )
    scale = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for param in params:
        param.grad.mul_(scale.view(-1, *[1] * (param.dim() - 1)))
    return norms


def run_optimizer_state(optimizer: torch.optim.Adam, run: int) -> dict[str, Any]:
    """Run ``run``'s slice of the group's Adam state, in the form a lone run's Adam saves."""
    state = optimizer.state_dict()
    return {
        "state": {
            index: {key: value if key == "step" else value[run].clone() for key, value in entry.items()}
            for index, entry in state["state"].items()
        },
        "param_groups": state["param_groups"],
    }


def stacked_optimizer_state(states: list[dict[str, Any]]) -> dict[str, Any]:
    """The group's Adam state from its runs' (``run_optimizer_state``'s inverse)."""
    first = states[0]
    return {
        "state": {
            index: {
                key: value if key == "step" else torch.stack([state["state"][index][key] for state in states])
                for key, value in entry.items()
            }
            for index, entry in first["state"].items()
        },
        "param_groups": first["param_groups"],
    }


@dataclass
class Group:
    """What a group's training carries from one iteration to the next, run by run."""

    members: list[Member]
    stacked: StackedModels
    optimizer: torch.optim.Adam
    validations: list[Validation]
    generators: list[torch.Generator]  # each run's minibatch order
    scaler: GroupScaler | None

    @property
    def models(self) -> list[torch.nn.Module]:
        return [member.policy.model for member in self.members]


class GroupedPPO:
    """PPO (``PPO``'s settings) for the runs of a group at once; ``jobs.train_group`` checks
    that its runs can train together (``run_folder.group_refusal``)."""

    def __init__(self, config: Any):
        self.config = config

    def check_fits(self, env: CoordEnv, device: torch.device, copies_per_run: int) -> None:
        """``PPO.check_fits`` for a group: each run splits its own copies' samples."""
        check_ppo_fits(self.config, env, device, copies_per_run)

    def train(self, members: list[Member], env: CoordEnv, validators: dict[str, Evaluator]) -> None:
        """Train every run; ``validators`` hold every run's copies like ``env`` (each run's block
        charged its alpha), so that one evaluation validates them all."""
        cfg, runs = self.config, len(members)
        copies = env.num_envs // runs
        batch_size = cfg.num_steps * copies  # per run
        num_iterations = -(-cfg.total_timesteps // batch_size)
        group, start_iteration = self._start(members, validators, copies)
        buffer = RolloutBuffer(cfg.num_steps, env.num_envs, members[0].policy.device)
        episodes = GroupEpisodes(runs, copies)
        rollout = Rollout(
            env, group_actor(group.stacked), group.stacked.input_keys, buffer, group.scaler, episodes
        )
        bar = progress(
            num_iterations * batch_size * runs,
            "training",
            "step",
            initial=start_iteration * batch_size * runs,
        )
        for iteration in range(start_iteration, num_iterations):
            iteration_start = time.time()
            if cfg.anneal_lr:
                group.optimizer.param_groups[0]["lr"] = cfg.learning_rate * (1 - iteration / num_iterations)

            # 1. Rollout: num_steps of every copy of every run, each run's network on its copies.
            next_value = rollout.collect(cfg.num_steps, cfg.precision, bar.update)

            # 2. Advantages (GAE) of every copy; then each run's samples apart.
            advantages, returns = compute_gae(
                buffer.rewards, buffer.values, next_value, buffer.terminated, buffer.truncated,
                cfg.gamma, cfg.gae_lambda, cfg.bootstrap_truncated,
            )  # fmt: skip
            samples = run_samples(buffer, advantages, returns, runs)

            # 3. Update every run at once, each on its own minibatches, gradients and Adam state.
            losses = self._update(group.stacked, group.optimizer, samples, group.generators)
            global_step = (iteration + 1) * batch_size

            # 4. Record each run's iteration; every log_freq, validate every run at once and
            #    record each one's results; save them all.
            seconds = max(time.time() - iteration_start, 1e-9)
            if iteration == start_iteration:
                say_duration(seconds, num_iterations - iteration - 1)
            validating = (iteration + 1) % cfg.log_freq == 0 or iteration + 1 == num_iterations
            results = self._validate(group, env, validators, copies) if validating else None
            for index, (member, window) in enumerate(zip(members, episodes.read(), strict=True)):
                window["steps_per_second"] = batch_size * runs / seconds  # the group's
                member.run.log_metrics(
                    global_step, {f"train/{k}": v for k, v in {**window, **losses[index]}.items()}
                )
                if results is not None:
                    with focus(member.run):
                        report_iteration(bar, window, iteration + 1, num_iterations, global_step, env)
                        own = {split: summaries[index] for split, summaries in results.items()}
                        group.validations[index].record(member.policy, global_step, own)
            if (iteration + 1) % cfg.save_freq == 0 or validating:
                self._save(group, env, iteration + 1, global_step)
        bar.close()

    def _start(
        self, members: list[Member], validators: dict[str, Evaluator], copies: int
    ) -> tuple[Group, int]:
        """The group's training state, resumed from the runs' saves where they resume; the
        iteration to start from."""
        stacked = StackedModels([member.policy.model for member in members])
        group = Group(
            members, stacked, torch.optim.Adam(stacked.parameters(), lr=self.config.learning_rate, eps=1e-5),
            [Validation(validators, member.run, pending=True) for member in members],
            [torch.Generator().manual_seed(member.seed) for member in members],
            GroupScaler(len(members), copies, self.config.gamma) if self.config.normalize_reward else None,
        )  # fmt: skip
        return group, self._resume(group) if members[0].run.resuming else 0

    @staticmethod
    def _validate(
        group: Group, env: CoordEnv, validators: dict[str, Evaluator], copies: int
    ) -> dict[str, list[dict[str, Any]]]:
        """Every split's evaluation of every run, in one pass per split."""
        group.stacked.write_into(group.models)
        policy = GroupPolicy(group.stacked, env, copies, group.members[0].policy.device)
        runs = len(group.members)
        return {split: evaluator.evaluate_groups(policy, runs) for split, evaluator in validators.items()}

    def _update(
        self,
        stacked: StackedModels,
        optimizer: torch.optim.Optimizer,
        samples: dict[str, Any],
        generators: list[torch.Generator],
    ) -> list[dict[str, float]]:
        """Every run's PPO update at once; each run's statistics (``PPO._update``'s)."""
        cfg = self.config
        device = stacked.parameters()[0].device
        runs = torch.arange(stacked.size, device=device)[:, None]
        stats: dict[str, list[torch.Tensor]] = {key: [] for key in UPDATE_STATISTICS}
        capacity = samples["actions"].shape[1]  # samples a run's rollout holds
        for _ in range(cfg.update_epochs):
            for index, mask in run_minibatches(samples["rows"], cfg.num_minibatches, generators, capacity):
                index, mask = index.to(device), mask.to(device)
                with autocast(cfg.precision, device):
                    logits, values = stacked(tree_map(lambda x, i=index: x[runs, i], samples["obs"]))
                batch = {key: samples[key][runs, index] for key in MINIBATCH_KEYS}
                losses = ppo_losses(cfg, logits.float(), values.float(), batch, mask)
                optimizer.zero_grad(set_to_none=True)
                losses["loss"].sum().backward()
                losses["grad_norm"] = clip_run_grad_norms(stacked.parameters(), cfg.max_grad_norm)
                optimizer.step()
                for key in stats:
                    stats[key].append(losses[key].detach().cpu())
        table = {
            key: torch.stack(values).T.tolist() if values else [[]] * stacked.size
            for key, values in stats.items()
        }
        summaries = []
        for run in range(stacked.size):
            summary = summarize_update({key: table[key][run] for key in stats})
            summary["explained_variance"] = explained_variance({
                "returns": samples["returns"][run], "values": samples["values"][run], "rows": samples["rows"][run]
            })  # fmt: skip
            summaries.append(summary)
        return summaries

    @staticmethod
    def _save(group: Group, env: CoordEnv, iteration: int, global_step: int) -> None:
        """Every run's ``last.ckpt`` (a lone run's, plus its minibatch generator), as one save:
        each run's part is written beside it first and all become ``last.ckpt`` only once every
        part is on disk, so a kill leaves the group at one iteration (``finish_group_save``)."""
        group.stacked.write_into(group.models)
        for index, (member, validation) in enumerate(zip(group.members, group.validations, strict=True)):
            scaler = group.scaler.scalers[index] if group.scaler else None
            optimizer_state = run_optimizer_state(group.optimizer, index)
            state = resume_state(member.run, optimizer_state, validation, scaler, iteration, global_step)
            state["minibatch_rng"] = group.generators[index].get_state()
            save_checkpoint(member.run.folder / GROUP_SAVE, member.policy, env, training_state=state)
        for member, validation in zip(group.members, group.validations, strict=True):
            os.replace(member.run.folder / GROUP_SAVE, member.run.folder / LAST_CHECKPOINT)
            validation.commit()

    @staticmethod
    def _resume(group: Group) -> int:
        """Continue every run from its ``last.ckpt``; the iteration they continue from."""
        folders = [member.run.folder for member in group.members]
        finish_group_save(folders)
        states = []
        for member, validation in zip(group.members, group.validations, strict=True):
            with focus(member.run):
                states.append(read_resume_point(member.run, member.policy, validation))
        iterations = {None if state is None else int(state["iteration"]) for state in states}
        if len(iterations) > 1:
            found = ", ".join(
                f"{folder}: {state and state['iteration']}"
                for folder, state in zip(folders, states, strict=True)
            )
            raise CheckpointError(
                f"resume=1: the runs of this group were saved at different iterations ({found}); "
                "resume them one by one, or start the group again with overwrite=1"
            )
        if iterations == {None}:
            return 0
        group.stacked.read_from(group.models)
        try:
            group.optimizer.load_state_dict(stacked_optimizer_state([state["optimizer"] for state in states]))
        except (ValueError, KeyError, RuntimeError) as error:
            raise CheckpointError(
                f"resume=1: the runs' optimizer states do not fit this group: {error}"
            ) from None
        restore_rng(states[0]["rng"])
        for index, (state, generator) in enumerate(zip(states, group.generators, strict=True)):
            if "minibatch_rng" in state:
                generator.set_state(state["minibatch_rng"])
            if group.scaler is not None and state.get("reward_scaler"):
                group.scaler.scalers[index].load_state_dict(state["reward_scaler"])
        return int(states[0]["iteration"])


def finish_group_save(folders: list[Path]) -> None:
    """Complete a group save that a kill cut short, or undo it: if every run has its part or has
    already made it its ``last.ckpt``, the parts left become ``last.ckpt``; otherwise (a part was
    never written) the parts are dropped and every run keeps its previous ``last.ckpt``."""
    parts = [folder / GROUP_SAVE for folder in folders if (folder / GROUP_SAVE).exists()]
    if not parts:
        return
    saved_at = {_iteration(path) for path in parts}
    complete = len(saved_at) == 1 and all(
        (folder / GROUP_SAVE).exists() or _iteration(folder / LAST_CHECKPOINT) in saved_at
        for folder in folders
    )
    for path in parts:
        if complete:
            os.replace(path, path.with_name(LAST_CHECKPOINT))
        else:
            path.unlink()


def _iteration(path: Path) -> int | None:
    if not path.exists():
        return None
    state = read_checkpoint(path).get("training_state") or {}
    return state.get("iteration")
