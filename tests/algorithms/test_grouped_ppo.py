"""Runs trained as a group are the runs they would be alone: the same update, their own costs,
files and resume point."""

import json
from pathlib import Path

import pytest
import torch

import duo_ai
from duo_ai.algorithms.grouped_ppo import (
    GROUP_SAVE,
    GroupedPPO,
    finish_group_save,
    run_minibatches,
)
from duo_ai.algorithms.ppo import PPO
from duo_ai.checkpoint import read_checkpoint, save_checkpoint
from duo_ai.coordination import CoordEnv
from duo_ai.envs.toy import ChainEnv
from duo_ai.errors import ConfigError, ExperimentError
from duo_ai.jobs import train, train_group
from duo_ai.models.stacked import StackedModels
from tests.algorithms.test_ppo import FAST_PPO
from tests.conftest import coord_args, coord_config, scripted

COORDINATOR = ["policy.name=ppo", "policy.model.name=mlp_coord_ppo", "policy.model.feature_type=dist"]


def group_configs(tmp_path, checkpoints, cells, *extra):
    """Skyline toy runs (trained on the shifted chain, where the novice is always wrong), one per
    (alpha, seed) of ``cells``."""
    return [
        duo_ai.load_config(
            None,
            coord_args(
                tmp_path,
                checkpoints,
                *COORDINATOR,
                *FAST_PPO,
                "skyline=true",
                "evaluation.temperature=0",
                "coordination.base_penalty=1.0",
                "algorithm.log_freq=4",
                f"seed={seed}",
                f"coordination.expert_query_cost_weight={alpha}",
                f"name=a{alpha}_s{seed}",
                *extra,
            ),
        )  # fmt: skip
        for alpha, seed in cells
    ]


def test_the_group_update_is_each_runs_own_update():
    env = CoordEnv(coord_config(), ChainEnv(4, shift=1), scripted(ChainEnv(4), 0), scripted(ChainEnv(4), 1))
    env.set_costs(1.0)
    config = duo_ai.load_config(
        None, ["env.name=toy", *COORDINATOR, *FAST_PPO, "algorithm.num_minibatches=1"]
    )
    models = []
    for seed in (0, 1, 2):
        torch.manual_seed(seed)
        models.append(duo_ai.make_policy(config.policy, env).model)
    samples, size = [], 40
    for run in range(3):  # each run has its own decision steps (rows)
        generator = torch.Generator().manual_seed(10 + run)
        rows = torch.randperm(size, generator=generator)[: 30 + 3 * run].sort().values
        samples.append({
            "rows": rows, "obs": {"novice_logits": torch.randn(size, 3, generator=generator)},
            "actions": torch.randint(0, 2, (size,), generator=generator),
            "logprobs": -torch.rand(size, generator=generator), "values": torch.randn(size, generator=generator),
            "advantages": torch.randn(size, generator=generator), "returns": torch.randn(size, generator=generator),
        })  # fmt: skip
    stacked = StackedModels(models)
    grouped = GroupedPPO(config.algorithm)
    optimizer = torch.optim.Adam(stacked.parameters(), lr=config.algorithm.learning_rate, eps=1e-5)
    together = {
        key: torch.stack([sample[key] for sample in samples])
        for key in samples[0]
        if key not in ("rows", "obs")
    }
    together["rows"] = [sample["rows"] for sample in samples]
    together["obs"] = {"novice_logits": torch.stack([sample["obs"]["novice_logits"] for sample in samples])}
    statistics = grouped._update(stacked, optimizer, together, [torch.Generator() for _ in range(3)])
    for run, (model, sample) in enumerate(zip(models, samples, strict=True)):
        alone = PPO(config.algorithm)._update(
            model, torch.optim.Adam(model.parameters(), lr=config.algorithm.learning_rate, eps=1e-5), sample
        )
        for name, weights in model.named_parameters():
            torch.testing.assert_close(
                stacked.params[name][run].detach(), weights.detach(), atol=1e-5, rtol=1e-4
            )
        assert statistics[run]["policy_loss"] == pytest.approx(alone["policy_loss"], rel=1e-4, abs=1e-6)
        assert statistics[run]["grad_norm_max"] == pytest.approx(alone["grad_norm_max"], rel=1e-4)


def test_each_run_passes_over_its_own_rows_once_per_epoch():
    rows = [torch.arange(10), torch.arange(3, 10), torch.tensor([0, 5])]
    batches = run_minibatches(rows, 3, [torch.Generator().manual_seed(seed) for seed in range(3)], 10)
    assert len(batches) == 3 and all(index.shape == (3, 4) for index, _ in batches)  # 10 rows: 4, 3, 3
    for run, run_rows in enumerate(rows):
        seen = torch.cat([index[run][mask[run] > 0] for index, mask in batches])
        assert sorted(seen.tolist()) == run_rows.tolist()
    assert [int(mask[0].sum()) for _, mask in batches] == [4, 3, 3]  # tensor_split's sizes, as alone


def test_each_run_of_a_group_learns_what_it_learns_alone(tmp_path, agent_checkpoints):
    """alpha 0.2: asking always pays (5 * 0.8 = 4 per episode); alpha 1.5: never asking does (0)."""
    cells = [(0.2, 0), (1.5, 0), (0.2, 1), (1.5, 1)]
    configs = group_configs(tmp_path, agent_checkpoints, cells, "algorithm.total_timesteps=4096")
    folders = train_group(configs)
    alone_config = group_configs(
        tmp_path / "alone", agent_checkpoints, [(1.5, 1)], "algorithm.total_timesteps=4096"
    )[0]
    train(alone_config, "coord")
    expected = {0.2: 4.0, 1.5: 0.0}
    for folder, (alpha, seed) in zip(folders, cells, strict=True):
        result = json.loads((folder / "test_result.json").read_text())
        assert (result["alpha"], result["seed"]) == (alpha, seed)
        assert result["test"]["reward_mean"] == pytest.approx(expected[alpha])
        assert (folder / "best_val_sim.ckpt").exists() and (folder / "last.ckpt").exists()
        steps = [json.loads(row)["step"] for row in (folder / "metrics.jsonl").read_text().splitlines()]
        assert steps[-1] == 4096
        log = (folder / "train.log").read_text()
        assert log.count("TEST result") == 1 and "train group of 4 runs" in log
    alone = json.loads((tmp_path / "alone" / "exp" / "a1.5_s1" / "test_result.json").read_text())
    assert alone["test"]["reward_mean"] == pytest.approx(expected[1.5])


def test_a_group_resumes_every_run_from_its_last_save(tmp_path, agent_checkpoints):
    cells = [(0.2, 0), (1.5, 1)]
    train_group(group_configs(tmp_path, agent_checkpoints, cells, "algorithm.total_timesteps=1024"))
    folders = train_group(
        group_configs(tmp_path, agent_checkpoints, cells, "algorithm.total_timesteps=2048", "resume=1")
    )
    for folder in folders:
        assert read_checkpoint(folder / "last.ckpt")["training_state"]["global_step"] == 2048
        assert "resumed from" in (folder / "train.log").read_text()
        steps = [json.loads(row)["step"] for row in (folder / "metrics.jsonl").read_text().splitlines()]
        assert steps == sorted(steps) and steps[-1] == 2048


def test_a_group_save_cut_short_is_finished_or_undone(tmp_path):
    env = ChainEnv(2)
    policy = scripted(env, 0)
    folders = [tmp_path / name for name in "abc"]
    for folder in folders:
        folder.mkdir()
        save_checkpoint(folder / "last.ckpt", policy, env, training_state={"iteration": 4})

    def part(folder: Path, iteration: int) -> None:
        save_checkpoint(folder / GROUP_SAVE, policy, env, training_state={"iteration": iteration})

    part(folders[0], 8)  # killed while writing the parts: undone
    finish_group_save(folders)
    assert not (folders[0] / GROUP_SAVE).exists()
    assert [read_checkpoint(f / "last.ckpt")["training_state"]["iteration"] for f in folders] == [4, 4, 4]
    for folder in folders[1:]:
        part(folder, 8)
    save_checkpoint(folders[0] / "last.ckpt", policy, env, training_state={"iteration": 8})  # renamed already
    finish_group_save(folders)  # killed while renaming: finished
    assert [read_checkpoint(f / "last.ckpt")["training_state"]["iteration"] for f in folders] == [8, 8, 8]


def test_groups_of_runs_that_differ_in_more_are_refused(tmp_path, agent_checkpoints):
    configs = group_configs(tmp_path, agent_checkpoints, [(0.2, 0), (0.2, 1)])
    other = group_configs(tmp_path, agent_checkpoints, [(0.2, 0)], "algorithm.learning_rate=0.1", "name=lr")[
        0
    ]
    with pytest.raises(
        ConfigError, match="algorithm.learning_rate: the runs of a group may differ only in seed"
    ):
        train_group([configs[0], other])
    same_folder = group_configs(tmp_path, agent_checkpoints, [(0.2, 0), (0.2, 0)])
    same_folder[1].seed = 5
    with pytest.raises(ConfigError, match="two runs of the group write into"):
        train_group(same_folder)
    with pytest.raises(ConfigError, match="max_kl"):
        train_group(group_configs(tmp_path, agent_checkpoints, [(0.2, 0)], "algorithm.max_kl=0.1"))
    logit = duo_ai.load_config(
        None, coord_args(tmp_path, agent_checkpoints, "policy.name=logit", "algorithm.name=logit")
    )
    with pytest.raises(ConfigError, match="a group trains PPO coordinators"):
        train_group([logit])
    # each run splits only its own copies' samples: more minibatches than those is refused as alone
    many = group_configs(tmp_path, agent_checkpoints, [(0.2, 0), (0.2, 1)], "algorithm.num_minibatches=1000")
    with pytest.raises(ConfigError, match="algorithm.num_minibatches: 1000 minibatches of a rollout of"):
        train_group(many)
    assert not (tmp_path / "exp").exists()  # nothing written by a refused group


def test_a_group_that_fails_midway_leaves_every_run_resumable_at_one_iteration(
    tmp_path, agent_checkpoints, monkeypatch
):
    cells = [(0.2, 0), (1.5, 1)]
    original, calls = GroupedPPO._update, []

    def fails_at_the_third(self, *args):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("killed")
        return original(self, *args)

    monkeypatch.setattr(GroupedPPO, "_update", fails_at_the_third)
    extra = ["algorithm.total_timesteps=2048", "algorithm.save_freq=1"]
    with pytest.raises(RuntimeError, match="killed"):
        train_group(group_configs(tmp_path, agent_checkpoints, cells, *extra))
    folders = [tmp_path / "exp" / f"a{alpha}_s{seed}" for alpha, seed in cells]
    assert [read_checkpoint(f / "last.ckpt")["training_state"]["iteration"] for f in folders] == [2, 2]
    assert not any((folder / "test_result.json").exists() for folder in folders)
    monkeypatch.undo()
    train_group(group_configs(tmp_path, agent_checkpoints, cells, *extra, "resume=1"))
    for folder in folders:
        steps = [json.loads(row)["step"] for row in (folder / "metrics.jsonl").read_text().splitlines()]
        assert steps == sorted(steps) and steps[-1] == 2048 and (folder / "test_result.json").exists()


def test_a_run_whose_folder_is_not_duos_stops_the_group_before_anything_is_written(
    tmp_path, agent_checkpoints
):
    configs = group_configs(tmp_path, agent_checkpoints, [(0.2, 0), (0.2, 1)])
    foreign = tmp_path / "exp" / configs[1].name
    foreign.mkdir(parents=True)
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(ExperimentError, match="did not write"):
        train_group(configs)
    assert not (tmp_path / "exp" / configs[0].name).exists()
    assert [path.name for path in foreign.iterdir()] == ["notes.txt"]
