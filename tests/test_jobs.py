"""Train and evaluate through the command line; experiment folders are never clobbered."""

import json

import pytest

import duo_ai
from duo_ai.cli.main import main
from duo_ai.jobs import make_group_envs
from tests.conftest import RANDOM_SWEEP, coord_args


def test_train_refuses_an_existing_folder_without_overwrite(tmp_path, agent_checkpoints, capsys):
    args = [
        "train",
        "--type",
        "coord",
        *coord_args(
            tmp_path, agent_checkpoints, "policy.name=always", "algorithm.name=always", "policy.agent=expert"
        ),
    ]
    assert main(args) == 0
    assert main(args) == 2
    assert "already exists; pass overwrite=1" in capsys.readouterr().err
    assert (tmp_path / "exp" / "run" / "best_val_sim.ckpt").exists()  # nothing was lost
    assert main([*args, "overwrite=1"]) == 0


def test_eval_writes_its_log_beside_the_loaded_policy(tmp_path, agent_checkpoints, capsys):
    common = coord_args(tmp_path, agent_checkpoints, "coordination.base_penalty=0.5")
    train = [
        "train",
        "--type",
        "coord",
        *common,
        *RANDOM_SWEEP,
        "selection_split=test",  # best_test.ckpt: the always-asking choice
    ]
    assert main(train) == 0
    folder = tmp_path / "exp" / "run"
    evaluate = [
        "eval",
        "--type",
        "coord",
        *common,
        "policy.name=random",
        f"policy.load_path={folder}/best_test.ckpt",
        "eval_name=final",
    ]
    assert main(evaluate) == 0
    log = (folder / "final.log").read_text()
    assert "test split" in log and "Action 1 fraction: 1.00" in log
    results = json.loads((folder / "final.json").read_text())
    assert results["test"]["num_episodes"] == 6
    assert results["test"]["reward_mean"] == 5 * (1 - 0.4 * 0.5)


def test_protocol_result_is_the_val_sim_choice_on_test(tmp_path, agent_checkpoints):
    args = coord_args(tmp_path, agent_checkpoints, *RANDOM_SWEEP)
    assert main(["train", "--type", "coord", *args]) == 0
    result = json.loads((tmp_path / "exp" / "run" / "test_result.json").read_text())
    assert (result["selection_split"], result["selected_on_test"], result["skyline"]) == (
        "val_sim",
        False,
        False,
    )
    # On val_sim the stand-in expert is the novice itself, so asking never pays: p = 0 is chosen.
    assert result["test"]["action_1_fraction"] == 0.0
    assert len(result["test"]["episode_rewards"]) == 6


def test_selecting_on_test_and_skyline_runs_are_flagged(tmp_path, agent_checkpoints):
    args = coord_args(tmp_path, agent_checkpoints, *RANDOM_SWEEP)
    assert main(["train", "--type", "coord", *args, "selection_split=test"]) == 0
    folder = tmp_path / "exp" / "run"
    assert json.loads((folder / "test_result.json").read_text())["selected_on_test"] is True
    assert "TEST result of best_test.ckpt (UPPER REFERENCE)" in (folder / "train.log").read_text()
    assert main(["train", "--type", "coord", *args, "skyline=1", "overwrite=1"]) == 0
    result = json.loads((folder / "test_result.json").read_text())
    assert result["skyline"] is True
    assert result["test"]["action_1_fraction"] == 1.0  # trained with the test expert: asking pays
    assert "skyline" in (folder / "train.log").read_text()


def test_selection_split_must_be_validated(tmp_path, agent_checkpoints, capsys):
    args = coord_args(tmp_path, agent_checkpoints, "validation_splits=[val_sim]", "selection_split=test")
    assert main(["train", "--type", "coord", *args]) == 2
    assert "selection_split: 'test' is not validated; valid choices: val_sim" in capsys.readouterr().err


def test_config_command_prints_every_resolved_key(capsys):
    assert main(["config", "env.name=toy", "algorithm.gamma=0.5"]) == 0
    printed = capsys.readouterr().out
    assert "gamma: 0.5" in printed and "total_timesteps: 15000000" in printed and "num_actions: 3" in printed


def test_config_command_shows_the_tasks_a_pair_implies(capsys):
    assert (
        main(["config", "env.name=minigrid", "env.pair=lavagap", "env.test.task=MiniGrid-LavaGapS6-v0"]) == 0
    )
    implied = [line for line in capsys.readouterr().out.splitlines() if line.startswith("#")]
    assert implied == [
        "# env.train.task: MiniGrid-LavaGapS5-v0 (from env.pair=lavagap)",
        "# env.val_sim.task: MiniGrid-LavaGapS5-v0 (from env.pair=lavagap)",
        "# env.val_true.task: MiniGrid-LavaGapS7-v0 (from env.pair=lavagap)",
    ]  # the test task was given


COORDINATORS = {
    "always": ["policy.name=always", "algorithm.name=always", "policy.agent=expert"],
    "random": ["policy.name=random", "algorithm.name=random", "algorithm.probs=[0.0,0.5,1.0]"],
    "logit": ["policy.name=logit", "algorithm.name=logit", "policy.metric=margin"],
    "ood": ["policy.name=ood", "algorithm.name=ood", "policy.detector=IForest", "policy.feature_type=hidden"],
    "ppo": ["policy.name=ppo", "policy.model.name=mlp_coord_ppo", "algorithm.name=ppo",
            "algorithm.total_timesteps=256", "algorithm.num_steps=32", "algorithm.log_freq=2"],
}  # fmt: skip


@pytest.mark.parametrize("method", list(COORDINATORS))
def test_every_coordinator_trains_saves_loads_and_evaluates(tmp_path, agent_checkpoints, method):
    weak = f"train_novice={agent_checkpoints['novice_weak']}"  # a simulated novice: ood and logit recalibrate
    args = coord_args(tmp_path, agent_checkpoints, *COORDINATORS[method], "validation_splits=[val_sim]", weak)
    assert main(["train", "--type", "coord", *args]) == 0
    folder = tmp_path / "exp" / "run"
    protocol = json.loads((folder / "test_result.json").read_text())["test"]
    evaluate = ["eval", "--type", "coord", *args, f"policy.load_path={folder}/best_val_sim.ckpt",
                "eval_splits=[test]", "eval_name=again"]  # fmt: skip
    assert main(evaluate) == 0
    again = json.loads((folder / "again.json").read_text())["test"]
    assert again["num_episodes"] == protocol["num_episodes"] == 6
    # The reloaded checkpoint is the policy the protocol reported: same seed, same episodes.
    assert again["reward_mean"] == pytest.approx(protocol["reward_mean"])
    assert again["action_1_fraction"] == pytest.approx(protocol["action_1_fraction"])


def test_never_asking_chosen_on_val_sim_never_asks_at_test(tmp_path, agent_checkpoints):
    args = coord_args(
        tmp_path, agent_checkpoints, "policy.name=logit", "algorithm.name=logit", "validation_splits=[val_sim]",
        f"train_novice={agent_checkpoints['novice_weak']}",
    )  # fmt: skip
    assert main(["train", "--type", "coord", *args]) == 0
    result = json.loads((tmp_path / "exp" / "run" / "test_result.json").read_text())
    assert "carried_to_test_novice" not in result and result["test"]["action_1_fraction"] == 0.0


def test_the_exact_optimum_is_a_flagged_row_of_the_report(tmp_path):
    runs = tmp_path / "runs"
    assert main(["oracle", "--config", "configs/minigrid_distshift.yaml", f"experiment_dir={runs}",
                 "name=optimum", "--layouts", "1"]) == 0  # fmt: skip
    result = json.loads((runs / "optimum" / "test_result.json").read_text())
    assert result["test"]["reward_mean"] == pytest.approx(0.9159, abs=1e-4)  # DistShift2, alpha 0.4
    assert main(["report", str(runs), "--out", str(tmp_path / "report")]) == 0
    markdown = (tmp_path / "report" / "results.md").read_text()
    assert "| minigrid/distshift | optimum (exact) (upper reference) | 0.4 | 0.916 ± 0.000 | - |" in markdown


def test_an_unnamed_optimum_gets_a_folder_that_says_what_it_holds(tmp_path):
    assert main(["oracle", "--config", "configs/minigrid_distshift.yaml", f"experiment_dir={tmp_path}",
                 "coordination.expert_query_cost_weight=0.2", "--layouts", "1"]) == 0  # fmt: skip
    folder = tmp_path / "optimum" / "MiniGrid-DistShift2-v0" / "alpha0.2"
    assert (folder / "test_result.json").exists()
    assert "exact optimum run, folder" in (folder / "train.log").read_text()


def test_the_optimum_is_for_minigrid_only(tmp_path, capsys):
    assert main(["oracle", "env.name=toy", f"experiment_dir={tmp_path}"]) == 2
    assert "the exact optimum is computed for minigrid tasks, not 'toy'" in capsys.readouterr().err


def test_an_optimum_over_no_layout_is_refused_before_anything_is_written(tmp_path, capsys):
    args = [
        "oracle",
        "--config",
        "configs/minigrid_distshift.yaml",
        f"experiment_dir={tmp_path}",
        "name=none",
    ]
    assert main([*args, "--layouts", "0"]) == 2
    assert "--layouts: the optimum averages at least 1 layout, got 0" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()


def test_the_run_folder_and_its_log_exist_before_training_starts(tmp_path, agent_checkpoints, monkeypatch):
    from duo_ai.algorithms.simple import RandomSweep

    folder, seen = tmp_path / "exp" / "run", {}
    original = RandomSweep.train

    def watched(self, *args, **kwargs):
        seen["files"] = sorted(path.name for path in folder.iterdir())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(RandomSweep, "train", watched)
    assert (
        main(
            [
                "train",
                "--type",
                "coord",
                *coord_args(tmp_path, agent_checkpoints, "policy.name=random", "algorithm.name=random"),
            ]
        )
        == 0
    )
    assert {"config.yaml", "train.log"} <= set(seen["files"])  # a user can follow it from the first step


def test_a_groups_training_envs_charge_the_test_tasks_base_penalty(tmp_path, agent_checkpoints):
    # validating on val_sim only, a group's train and validation envs are built without the test
    # split (copies for every run): they must still
    # charge the test expert's base penalty on the test chain (shift 1: 5 / 5 = 1), as a lone
    # run's do, not one measured on the train chain (shift 0, where the test expert earns 0)
    config = duo_ai.load_config(
        None, coord_args(tmp_path, agent_checkpoints, "policy.name=ppo", "validation_splits=[val_sim]")
    )
    envs, wide = make_group_envs(config, runs=2)
    assert envs["test"].base_penalty == pytest.approx(1.0)
    assert {split: env.base_penalty for split, env in wide.items()} == {split: 1.0 for split in wide}
    with pytest.raises(ValueError, match="without the test split, pass the test task's base_penalty"):
        duo_ai.make_coord_envs(config, duo_ai.make_base_envs(config, ("train",)))
